"""The fetcher against a local server that misbehaves on purpose: faults a real WordPress will not
produce (timeouts, 429 with Retry-After, 500 then success, resets, truncated bodies, redirect
loops and off-site redirects, a 50 MB response, HTML where JSON was expected)."""
import socket
import threading

import pytest

from local_servers import QuietHandler, serving

from importer.web.fetcher import BudgetExhausted, Fetcher, FetchError, USER_AGENT

CALLS: dict[str, int] = {}


class Faulty(QuietHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        CALLS[path] = CALLS.get(path, 0) + 1
        count = CALLS[path]
        if path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /private/\n")
        elif path == "/ua":
            self.send(200, self.headers.get("User-Agent", "").encode())
        elif path == "/slow":
            threading.Event().wait(2)
            self.send(200)
        elif path == "/busy":
            self.send(429, b"slow down", [("Retry-After", "7")]) if count == 1 else self.send(200, b"done")
        elif path == "/flaky":
            self.send(500, b"oops") if count < 3 else self.send(200, b"recovered")
        elif path == "/down":
            self.send(503, b"maintenance")
        elif path == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"only part of it")
            self.wfile.flush()
            self.connection.close()
        elif path == "/loop-a":
            self.send(302, b"", [("Location", "/loop-b")])
        elif path == "/loop-b":
            self.send(302, b"", [("Location", "/loop-a")])
        elif path == "/away":
            self.send(301, b"", [("Location", "http://example.org/elsewhere")])
        elif path == "/moved":
            self.send(301, b"", [("Location", "/here")])
        elif path == "/here":
            self.send(200, b"arrived")
        elif path == "/huge":
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(50 * 16):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/json-wanted":
            self.send(200, b"<html><body>Not JSON</body></html>", [("Content-Type", "text/html")])
        else:
            self.send(404, b"not found")


@pytest.fixture(scope="module")
def server():
    with serving(Faulty) as url:
        yield url


@pytest.fixture
def fetcher(server):
    CALLS.clear()
    waits = []
    fetch = Fetcher(server + "/", delay=0, timeout=(1, 0.5), sleep=waits.append)
    fetch.waits = waits
    return fetch


def test_user_agent_says_who_we_are(fetcher, server):
    assert fetcher.get(server + "/ua").text == USER_AGENT
    assert "wparchive" in USER_AGENT


def test_timeout_is_retried_then_reported(fetcher, server):
    with pytest.raises(FetchError, match="timed out"):
        fetcher.get(server + "/slow")
    assert CALLS["/slow"] == fetcher.retries + 1


def test_429_waits_as_long_as_retry_after_says(fetcher, server):
    assert fetcher.get(server + "/busy").text == "done"
    assert 7 in fetcher.waits


def test_500_then_success_backs_off(fetcher, server):
    assert fetcher.get(server + "/flaky").text == "recovered"
    assert CALLS["/flaky"] == 3 and len(fetcher.waits) == 2 and fetcher.waits[1] > fetcher.waits[0]


def test_persistent_503_is_an_error_with_the_status(fetcher, server):
    with pytest.raises(FetchError) as error:
        fetcher.get(server + "/down")
    assert error.value.status == 503


def test_connection_reset_is_retried_then_reported(fetcher, server):
    with pytest.raises(FetchError, match="connection failed"):
        fetcher.get(server + "/reset")
    assert CALLS["/reset"] == fetcher.retries + 1


def test_truncated_body_is_not_taken_for_the_whole(fetcher, server):
    with pytest.raises(FetchError, match="truncated"):
        fetcher.get(server + "/truncated")


def test_redirects_stay_on_site_and_loops_stop(fetcher, server):
    assert fetcher.get(server + "/moved").text == "arrived"
    with pytest.raises(FetchError, match="redirect loop"):
        fetcher.get(server + "/loop-a")
    with pytest.raises(FetchError, match="off-site"):
        fetcher.get(server + "/away")
    with pytest.raises(FetchError, match="off-site URL refused"):
        fetcher.get("http://example.org/")


def test_a_50_mb_response_is_cut_at_the_cap(fetcher, server):
    fetcher.max_bytes = 1 << 20
    with pytest.raises(FetchError, match="cap"):
        fetcher.get(server + "/huge")


def test_html_where_json_was_expected(fetcher, server):
    with pytest.raises(FetchError, match="expected JSON, got text/html"):
        fetcher.get(server + "/json-wanted").json()


def test_robots_txt_is_honoured(fetcher, server):
    with pytest.raises(FetchError, match="robots.txt"):
        fetcher.get(server + "/private/page")


def test_request_budget_stops_the_run(fetcher, server):
    fetcher.max_requests = 2
    fetcher.get(server + "/here")  # robots.txt + this page
    with pytest.raises(BudgetExhausted):
        fetcher.get(server + "/here")


def test_delay_between_requests_to_the_host(server):
    waits = []
    polite = Fetcher(server + "/", delay=1.0, sleep=waits.append)
    polite.get(server + "/here")
    polite.get(server + "/here")
    assert waits and all(0 < w <= 1.0 for w in waits)
