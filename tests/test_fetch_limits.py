"""Limits that make every fetch end, and keep it where it may go, against local servers that
misbehave on purpose: headers and bodies dripped a byte at a time, Retry-After and Crawl-delay
asking for days, charsets Python does not know, JSON nested a million deep, redirects that change
scheme or port, and site URLs at loopback addresses (as a stranger's export can name)."""
import socket
import subprocess
import sys
import threading
import time

import pytest

from local_servers import QuietHandler, serving

import importer.web.fetcher as fetcher_module
from importer.web.fetcher import Fetcher, FetchError

CALLS: list[str] = []
DRIP = 0.05  # seconds between two dripped bytes; a drip would last 20 s if the client let it
HUNG_UP = threading.Event()  # set when a dripping server finds the client gone


class Hostile(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?")[0]
        CALLS.append(path)
        if path == "/robots.txt":
            self.send(200, ROBOTS.get(self.server.server_address[1], b"User-agent: *\nAllow: /\n"))
        elif path == "/drip-body":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.drip(b"x" * 400)
        elif path == "/days":
            self.send(429, b"come back later", [("Retry-After", "999999999")])
        elif path.startswith("/wait-"):
            first = path not in CALLS[:-1]
            self.send(429, b"", [("Retry-After", path[6:])]) if first else self.send(200, b"done")
        elif path == "/bogus-charset":
            self.send(200, "café".encode(), [("Content-Type", "text/html; charset=x-bogus")])
        elif path == "/codec-charset":
            self.send(200, "café".encode(), [("Content-Type", "text/html; charset=base64")])
        elif path == "/deep-json":
            self.send(200, b"[" * 1_000_000, [("Content-Type", "application/json")])
        elif path.startswith("/to/"):
            self.send(302, b"", [("Location", path[4:].replace("_", "/", 2))])
        else:
            self.send(200, b"page")

    def drip(self, data: bytes):
        if not super().drip(data, DRIP):
            HUNG_UP.set()


ROBOTS: dict[int, bytes] = {}


@pytest.fixture(scope="module")
def server():
    with serving(Hostile) as url:
        yield url


@pytest.fixture(scope="module")
def drip_headers():
    """A raw socket server that answers every request with its status line and headers a byte at a time."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer(conn):
        with conn:
            conn.recv(65536)
            try:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"p" * 400 + b"\r\n\r\nok":
                    conn.sendall(bytes([byte]))
                    time.sleep(DRIP)
            except OSError:
                HUNG_UP.set()

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture
def fetch(server):
    CALLS.clear()
    waits = []
    fetcher = Fetcher(server + "/", delay=0, sleep=waits.append, deadline=1.0)
    fetcher.waits = waits
    return fetcher


def test_headers_dripped_a_byte_at_a_time_end_at_the_deadline(drip_headers):
    HUNG_UP.clear()
    fetcher = Fetcher(drip_headers + "/", delay=0, robots=False, deadline=0.5, retries=0, sleep=lambda s: None)
    with pytest.raises(FetchError, match="within the 0.5 s deadline"):
        fetcher.get("/page")
    assert HUNG_UP.wait(5)  # the connection was cut, not read to its end


def test_a_body_dripped_a_byte_at_a_time_ends_at_the_deadline(fetch, server):
    """No Content-Length: the shut socket reads as the end of the body, which must not pass for all of it."""
    HUNG_UP.clear()
    with pytest.raises(FetchError, match="within the 1 s deadline"):
        fetch.get("/drip-body")
    assert HUNG_UP.wait(5)  # the connection was cut, not read to its end
    assert CALLS.count("/drip-body") == 1  # a deadline is a limit, not a fault to retry


def test_a_retry_after_of_decades_fails_the_url_without_waiting(fetch):
    with pytest.raises(FetchError, match="wait budget") as error:
        fetch.get("/days")
    assert error.value.status == 429 and fetch.waits == []


def test_retry_after_waits_share_one_budget_per_fetcher(fetch):
    fetch.wait_budget = 300
    assert fetch.get("/wait-200").text == "done"
    with pytest.raises(FetchError, match="more than the 100 s left of the 300 s wait budget"):
        fetch.get("/wait-150")
    assert fetch.waits == [200]


def test_a_crawl_delay_of_days_is_capped_and_noted(server):
    port = int(server.rsplit(":", 1)[1])
    ROBOTS[port] = b"User-agent: *\nCrawl-delay: 999999\n"
    waits = []
    try:
        fetcher = Fetcher(server + "/", delay=0, sleep=waits.append)
        fetcher.get("/one")
        fetcher.get("/two")
    finally:
        del ROBOTS[port]
    assert waits and max(waits) <= 60
    assert fetcher.delay == 60 and any("Crawl-delay 999999 s capped at 60 s" in note for note in fetcher.notes)


@pytest.mark.parametrize("path", ["/bogus-charset", "/codec-charset"])
def test_a_charset_python_cannot_decode_text_with_is_read_as_utf8(fetch, path):
    response = fetch.get(path)
    assert response.encoding == "utf-8" and response.text == "café"


def test_json_nested_a_million_deep_is_a_fetch_error(fetch):
    with pytest.raises(FetchError, match="nested too deeply"):
        fetch.get("/deep-json").json()


def test_a_redirect_to_another_port_is_refused(fetch, server):
    with serving(Hostile) as other:
        target = other.replace("://", ":__") + "/page"
        with pytest.raises(FetchError, match="redirect off-site"):
            fetch.get(f"/to/{target}")


@pytest.mark.parametrize("site, url", [
    ("https://example.test/", "http://example.test/page"),  # a downgrade
    ("http://127.0.0.1/", "https://127.0.0.1:80/"),  # same host, same port number, another scheme
    ("http://example.test/", "http://example.test:8080/"),
])
def test_scheme_downgrades_and_port_changes_are_off_site(site, url):
    with pytest.raises(FetchError, match="off-site URL refused"):
        Fetcher(site, delay=0).get(url)


@pytest.mark.parametrize("site, url", [
    ("http://localhost/", "https://localhost/page"),  # an upgrade, default ports
    ("http://localhost:1/", "http://www.localhost:1/page"),
])
def test_an_https_upgrade_and_www_stay_on_site(site, url):
    """Allowed, so it goes to the network: where nothing listens, the error is the connection's."""
    fetcher = Fetcher(site, delay=0, robots=False, retries=0, timeout=(1, 1))
    with pytest.raises(FetchError) as error:
        fetcher.get(url)
    assert "off-site" not in error.value.reason


def test_a_loopback_site_is_refused_before_any_request(fetch, server):
    fetcher = Fetcher(server + "/", delay=0, allow_private=False)
    with pytest.raises(FetchError, match="127.0.0.1 is at 127.0.0.1, a loopback"):
        fetcher.get("/page")
    assert CALLS == [] and fetcher.requests == 0


def test_a_name_that_resolves_to_loopback_at_connect_time_is_refused(fetch, server, monkeypatch):
    """A name may resolve to a public address when checked and to loopback when connected to."""
    monkeypatch.setattr(fetcher_module, "first_not_public", lambda host, port: None)
    fetcher = Fetcher(server + "/", delay=0, allow_private=False, robots=False)
    with pytest.raises(FetchError, match="is at 127.0.0.1"):
        fetcher.get("/page")
    assert CALLS == []


def test_sync_refuses_a_site_url_at_a_private_address_unless_allowed(fetch, server, tmp_path):
    """The site URL comes from an imported export: someone else chose it."""
    export = tmp_path / "export.xml"
    export.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Stranger</title><link>{server}/internal-admin</link>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>{server}/internal-admin</wp:base_site_url>
<wp:base_blog_url>{server}/internal-admin</wp:base_blog_url></channel></rss>""")
    db = tmp_path / "archive.db"
    run = [sys.executable, "-m", "importer"]
    imported = subprocess.run([*run, "import", str(export), "--db", str(db)], capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    refused = subprocess.run([*run, "sync", "--db", str(db), "--delay", "0"], capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 2 and "--allow-private" in refused.stderr and "Traceback" not in refused.stderr
    assert CALLS == []
    allowed = subprocess.run([*run, "sync", "--db", str(db), "--delay", "0", "--allow-private"],
                             capture_output=True, text=True, timeout=120)
    assert "--allow-private" not in allowed.stderr and "/robots.txt" in CALLS  # it went to the site
