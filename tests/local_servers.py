"""What the tests' local stand-ins share: a quiet request handler that answers in one call, and
waiting for a served Datasette to answer."""
import time
from http.server import BaseHTTPRequestHandler

import pytest
import requests


class QuietHandler(BaseHTTPRequestHandler):
    """A handler that logs nothing and sends a whole answer with `send`."""

    def log_message(self, *args):
        pass

    def send(self, status, body=b"ok", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, as timeout tests want


def wait_until_serving(process, port: int, tries: int = 300):
    """Until the Datasette started as `process` answers on `port` (its stderr if it dies first)."""
    for _ in range(tries):
        try:
            requests.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=1)
            return
        except requests.ConnectionError:
            if process.poll() is not None:
                pytest.fail(process.stderr.read().decode())
            time.sleep(0.1)
