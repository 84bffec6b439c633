"""The WordPress.com public API path, against the real test WordPress seen through a stand-in for
public-api.wordpress.com that serves its REST routes under /wp/v2/sites/<site>/ (as WordPress.com
does for its blogs) and its name under /rest/v1.1/sites/<site>. Live and from the recording
(conftest.Web), where the stand-in's address is as recorded and no server runs."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import rows
from importer import connect
from importer.web.fetcher import Fetcher
from importer.jobs.scrape import scrape


def stand_in(wordpress: str):
    class PublicAPI(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path, _, query = self.path.partition("?")
            parts = path.split("/")
            if path.startswith("/rest/v1.1/sites/"):
                target = wordpress + "wp-json/"
            elif path.startswith("/wp/v2/sites/") and len(parts) > 5:
                target = wordpress + "wp-json/wp/v2/" + "/".join(parts[5:]) + ("?" + query if query else "")
            else:
                self.send_response(404)
                self.end_headers()
                return
            answer = requests.get(target, timeout=10)
            self.send_response(answer.status_code)
            for name in ("Content-Type", "X-WP-Total", "X-WP-TotalPages"):
                if name in answer.headers:
                    self.send_header(name, answer.headers[name])
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

    return PublicAPI


@pytest.fixture
def public_api(web, monkeypatch):
    wordpress = web.url("classic")
    server = None
    if web.mode == "live":
        server = ThreadingHTTPServer(("127.0.0.1", 0), stand_in(wordpress))
        threading.Thread(target=server.serve_forever, daemon=True).start()
    api = web.value("wpcom_api", lambda: f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("WPARCHIVE_WPCOM_API", api)
    yield wordpress
    if server:
        server.shutdown()


def test_wpcom_path_reads_the_same_rows_as_rest(public_api, tmp_path):
    url = public_api
    via_rest, via_wpcom = connect(tmp_path / "rest.db"), connect(tmp_path / "wpcom.db")
    scrape(via_rest, url, via="rest", fetcher=Fetcher(url, delay=0), pages=False)
    report = scrape(via_wpcom, url, via="wpcom", fetcher=Fetcher(url, delay=0), pages=False)
    assert report.error is None and report.via == "wpcom"
    for sql in ("SELECT wp_id, type, status, title, date_gmt FROM posts ORDER BY wp_id",
                "SELECT wp_id, parent_wp_id, author_name, date_gmt FROM comments ORDER BY wp_id",
                "SELECT taxonomy, slug, name FROM terms ORDER BY 1, 2", "SELECT wp_id, display_name FROM authors"):
        assert rows(via_wpcom, sql) == rows(via_rest, sql)
    assert rows(via_wpcom, "SELECT title FROM sites") == [("wp-local test blog",)]


def test_the_api_host_is_allowed_only_for_wpcom(public_api):
    fetcher = Fetcher(public_api, delay=0)
    with pytest.raises(Exception, match="off-site"):
        fetcher.get("http://example.org/")
