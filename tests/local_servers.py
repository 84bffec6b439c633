"""What the tests' local stand-ins share: a quiet request handler that answers in one call, a
server on a free port for the length of a block, and waiting for a served Datasette to answer."""
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

    def drip(self, data: bytes, pause: float) -> bool:
        """Write `data` a byte at a time, `pause` seconds apart; False when the client hung up first."""
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            return False
        return True


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


@contextmanager
def serving(handler):
    """A threading HTTP server on a free 127.0.0.1 port for the block; its base URL, no slash."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
