"""The recording and replaying transports (importer/web/transport.py), against a real local
server whose answers change between requests: what the Fetcher reads through a replayed
exchange must be what it read live."""
import gzip
from http.server import BaseHTTPRequestHandler

import pytest

from importer.web.fetcher import Fetcher
from importer.web.transport import NotRecorded, Recorder, Replayer, canonical_url, pack, read
from local_servers import serving

PICTURE = bytes(range(256)) * 4


def handler(hits):
    class Site(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            path = self.path.partition("?")[0]
            if path == "/robots.txt":
                self.answer(404, b"none")
            elif path == "/count":
                self.answer(200, f"visit {hits.count(self.path)} of {self.path}".encode())
            elif path == "/feed":
                if self.headers.get("If-None-Match") == '"v1"':
                    self.answer(304, b"", ETag='"v1"')
                else:
                    self.answer(200, "<rss>caf\u00e9</rss>".encode(), ETag='"v1"')
            elif path == "/picture":
                self.answer(200, PICTURE, **{"Content-Type": "image/png"})
            elif path == "/zipped":
                self.answer(200, gzip.compress(b"unzipped on the way in" * 50), **{"Content-Encoding": "gzip"})
            elif path == "/moved":
                self.answer(301, b"", Location="/count")
            else:
                self.answer(404, b"not here")

        def answer(self, status, body, **headers):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Link", "<a>; rel=one")
            self.send_header("Link", "<b>; rel=two")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Site


@pytest.fixture
def site():
    hits = []
    with serving(handler(hits)) as url:
        yield url + "/", hits


def fetch_all(fetcher):
    """A run touching each kind of answer; what it read, as comparable values."""
    got = []
    for url, params, etag in [("count", {"b": "2", "a": "1"}, None), ("count", {"a": "1", "b": "2"}, None),
                              ("feed", None, None), ("feed", None, '"v1"'), ("picture", None, None),
                              ("zipped", None, None), ("moved", None, None), ("count", {"a": "1", "b": "2"}, None)]:
        response = fetcher.get(url, params=params, etag=etag)
        got.append((response.url, response.status, response.headers.get("etag"), response.headers.get("link"),
                    response.content))
    return got


def test_a_replayed_run_reads_what_the_live_run_read(site, tmp_path):
    url, hits = site
    cassette = tmp_path / "run.jsonl"
    live = fetch_all(Fetcher(url, delay=0, transport=Recorder(cassette)))
    sent = len(hits)
    replayed = fetch_all(Fetcher(url, delay=0, transport=Replayer(cassette)))
    assert len(hits) == sent, "replay sent nothing"
    assert replayed == live
    assert live[3][1] == 304 and live[4][4] == PICTURE and live[5][4] == b"unzipped on the way in" * 50
    assert live[3][3] == "<a>; rel=one, <b>; rel=two"  # repeated headers kept
    assert [r[4] for r in live if b"visit" in r[4]] == [b"visit 1 of /count?b=2&a=1", b"visit 1 of /count?a=1&b=2",
                                                        b"visit 1 of /count", b"visit 2 of /count?a=1&b=2"]


def test_one_request_recorded_several_times_replays_in_order_then_the_last_again(site, tmp_path):
    url, _ = site
    cassette = tmp_path / "repeat.jsonl"
    live = Fetcher(url, delay=0, transport=Recorder(cassette))
    recorded = [live.get("count").text for _ in range(2)]
    pack(cassette, tmp_path / "repeat.jsonl.xz")
    replay = Fetcher(url, delay=0, transport=Replayer(tmp_path / "repeat.jsonl.xz"))
    assert [replay.get("count").text for _ in range(3)] == [*recorded, recorded[-1]]
    assert recorded == ["visit 1 of /count", "visit 2 of /count"]


def test_notes_divide_a_cassette_into_parts(site, tmp_path):
    url, _ = site
    cassette = tmp_path / "parts.jsonl"
    recorder = Recorder(cassette)
    live = Fetcher(url, delay=0, transport=recorder)
    before = live.get("count").text
    recorder.note(change=["edit"], output="7")
    after = live.get("count").text
    notes, parts = read(cassette)
    assert notes == [{"change": ["edit"], "output": "7"}] and len(parts) == 2
    replayer = Replayer(cassette)
    replay = Fetcher(url, delay=0, transport=replayer)
    assert replay.get("count").text == before
    assert replayer.next_note() == {"change": ["edit"], "output": "7"}
    assert replay.get("count").text == after == "visit 2 of /count"
    assert Fetcher(url, delay=0, robots=False, transport=Replayer(cassette, part=1)).get("count").text == after
    with pytest.raises(NotRecorded, match="no note after part 1"):
        replayer.next_note()


def test_an_unrecorded_request_names_the_url_and_the_cassette(site, tmp_path):
    url, hits = site
    cassette = tmp_path / "stale.jsonl"
    Fetcher(url, delay=0, transport=Recorder(cassette)).get("feed")
    sent = len(hits)
    replay = Fetcher(url, delay=0, transport=Replayer(cassette))
    with pytest.raises(NotRecorded, match=rf"{cassette}: no recorded answer for GET {url}count\?a=1 .*scripts/record-exchanges"):
        replay.get("count", params={"a": "1"})
    with pytest.raises(NotRecorded, match='If-None-Match: "v0"'):
        replay.get("feed", etag='"v0"')
    assert len(hits) == sent
    with pytest.raises(NotRecorded, match="no such cassette"):
        Replayer(tmp_path / "missing.jsonl.xz")


def test_canonical_url_sorts_the_query_and_keeps_blank_values():
    assert canonical_url("http://Example.org?b=2&a=&a=1") == "http://example.org/?a=&a=1&b=2"
    assert canonical_url("http://example.org/x/?rest_route=/wp/v2/posts&page=2") == \
        "http://example.org/x/?page=2&rest_route=%2Fwp%2Fv2%2Fposts"
