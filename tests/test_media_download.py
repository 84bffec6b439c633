"""Media downloads against a local server that misbehaves on purpose: a drip, an endless body,
Content-Lengths that lie both ways, HTML served as a .jpg, redirects off the allowed hosts, files
gone (404, 410), 429 with Retry-After, 304 revalidation and a transfer killed part-way; whatever
goes wrong, nothing is left in the media folder that could pass for a file."""
import io

import pytest
from PIL import Image

from local_servers import QuietHandler, serving

from importer.archive.media_folder import MediaFolder, contradiction
from importer.errors import BudgetExhausted, FetchError
from importer.web.download import Downloaded, Fetchers, download


def jpeg(width=40, height=30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


PHOTO = jpeg()
LARGE = PHOTO + bytes(300_000)  # several reads long, so a cut transfer has written some of it
HTML = b"<!DOCTYPE html><html><head><title>Not found</title></head><body>Oops</body></html>"
DRIP = 0.05  # seconds between two dripped bytes: the whole drip would take 20 s


class Faulty(QuietHandler):
    protocol_version = "HTTP/1.1"
    calls: list  # paths asked for, per server (set by the fixture)
    elsewhere = ""  # another server's URL, for redirects off the allowed hosts

    def do_GET(self):
        path = self.path
        self.calls.append(path)
        if path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /private/\n")
        elif path in ("/photo.jpg", "/copy.jpg"):
            self.validated(PHOTO)
        elif path == "/drip.jpg":
            self.head_only(200, 400)
            self.drip(b"x" * 400, DRIP)
        elif path == "/endless.bin":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.endless()
        elif path == "/huge.bin":
            self.head_only(200, 10 ** 12)
            self.endless()
        elif path == "/short.jpg" or (path == "/flaky.jpg" and self.calls.count(path) == 1):
            self.head_only(200, len(LARGE))
            self.wfile.write(LARGE[:200_000])
            self.close_connection = True
        elif path == "/flaky.jpg":
            self.send(200, LARGE, [("Content-Type", "image/jpeg")])
        elif path == "/long.jpg":  # says 100 bytes, sends the photo whole after them on a kept-alive connection
            self.head_only(200, 100)
            self.wfile.write(PHOTO)
        elif path == "/html.jpg":
            self.send(200, HTML, [("Content-Type", "image/jpeg")])
        elif path == "/away.jpg":
            self.send(302, b"", [("Location", f"{self.elsewhere}/photo.jpg")])
        elif path == "/twin.jpg":
            port = self.server.server_address[1]
            self.send(301, b"", [("Location", f"http://localhost:{port}/photo.jpg")])
        elif path == "/loop.jpg":
            self.send(302, b"", [("Location", "/loop.jpg")])
        elif path == "/gone.jpg":
            self.send(404, HTML, [("Content-Type", "text/html")])
        elif path == "/removed.jpg":
            self.send(410, HTML, [("Content-Type", "text/html")])
        elif path == "/busy.jpg":
            first = self.calls.count(path) == 1
            self.send(429, b"", [("Retry-After", "7")]) if first else self.send(200, PHOTO)
        else:
            self.send(200, b"other")

    def validated(self, body: bytes):
        if self.headers.get("If-None-Match") == '"v1"' or \
                self.headers.get("If-Modified-Since") == "Mon, 01 Jan 2024 00:00:00 GMT":
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
            return
        self.send(200, body, [("Content-Type", "image/jpeg"), ("ETag", '"v1"'),
                              ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")])

    def head_only(self, status: int, length: int):
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        self.end_headers()


    def endless(self):
        chunk = b"z" * 65536
        try:
            while True:
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def handler(**attributes):
    return type("Handler", (Faulty,), {"calls": [], **attributes})


@pytest.fixture
def other():
    """A second server, on no allowed host: what it is asked for shows a refused redirect went nowhere."""
    kind = handler()
    with serving(kind) as url:
        yield url, kind.calls


@pytest.fixture
def site(other):
    kind = handler(elsewhere=other[0])
    with serving(kind) as url:
        yield url, kind.calls


@pytest.fixture
def pool(site):
    port = site[0].rsplit(":", 1)[1]
    sleeps = []
    fetchers = Fetchers((f"127.0.0.1:{port}", f"localhost:{port}"), delay=0, sleep=sleeps.append)
    fetchers.sleeps = sleeps
    return fetchers


@pytest.fixture
def folder(tmp_path):
    return MediaFolder(tmp_path / "blog.db")


def fetch(pool, folder, url, **options):
    """Download into the media folder as the media job does: keep only what downloaded whole."""
    with folder.receiving() as incoming:
        result = download(pool, url, incoming, **options)
        return result, (incoming.keep() if result.status == 200 else None)


def files_in(folder) -> list[str]:
    return sorted(p.relative_to(folder.root).as_posix() for p in folder.root.rglob("*") if p.is_file())


def test_a_file_is_stored_with_its_validators_and_sniffed_type(site, pool, folder):
    result, stored = fetch(pool, folder, f"{site[0]}/photo.jpg")
    assert result == Downloaded(f"{site[0]}/photo.jpg", 200, False, '"v1"', "Mon, 01 Jan 2024 00:00:00 GMT",
                                "image/jpeg")
    assert (stored.mime_type, stored.width, stored.height, stored.bytes) == ("image/jpeg", 40, 30, len(PHOTO))
    with folder.open(stored.path) as file:
        assert file.read() == PHOTO
    assert contradiction(stored.mime_type, result.url, result.content_type) is None


def test_the_same_bytes_under_two_urls_are_stored_once(site, pool, folder):
    _, first = fetch(pool, folder, f"{site[0]}/photo.jpg")
    _, second = fetch(pool, folder, f"{site[0]}/copy.jpg")
    assert first == second
    assert files_in(folder) == [f"{first.sha256[:2]}/{first.sha256}"]


@pytest.mark.parametrize("validators", [{"etag": '"v1"'}, {"modified": "Mon, 01 Jan 2024 00:00:00 GMT"}])
def test_an_unchanged_file_answers_not_modified_and_writes_nothing(site, pool, folder, validators):
    result, stored = fetch(pool, folder, f"{site[0]}/photo.jpg", **validators)
    assert (result.status, result.not_modified, stored) == (304, True, None)
    assert files_in(folder) == []


def test_a_slow_drip_is_cut_off_at_the_deadline_and_leaves_nothing(site, pool, folder):
    with pytest.raises(FetchError, match="within the 0.5 s deadline"):
        fetch(pool, folder, f"{site[0]}/drip.jpg", deadline=0.5)
    assert site[1].count("/drip.jpg") == 1  # a deadline is not retried
    assert files_in(folder) == []


def test_an_endless_body_stops_at_the_byte_cap(site, pool, folder):
    with pytest.raises(FetchError, match="over the 1048576-byte cap"):
        fetch(pool, folder, f"{site[0]}/endless.bin", max_bytes=1 << 20)
    assert files_in(folder) == []


def test_a_declared_length_over_the_cap_is_refused_before_reading(site, pool, folder):
    with pytest.raises(FetchError, match="response of 1000000000000 bytes is over the"):
        fetch(pool, folder, f"{site[0]}/huge.bin")
    assert files_in(folder) == []


def test_a_body_shorter_than_its_content_length_is_retried_then_fails(site, pool, folder):
    with pytest.raises(FetchError, match="truncated response.*after 4 attempts") as failure:
        fetch(pool, folder, f"{site[0]}/short.jpg")
    assert failure.value.status is None  # transient: the job retries it next run
    assert site[1].count("/short.jpg") == 4 and len(pool.sleeps) == 3
    assert files_in(folder) == []


def test_a_retried_transfer_starts_the_file_afresh(site, pool, folder):
    _, stored = fetch(pool, folder, f"{site[0]}/flaky.jpg")
    assert site[1].count("/flaky.jpg") == 2 and stored.bytes == len(LARGE)
    with folder.open(stored.path) as file:
        assert file.read() == LARGE


def test_bytes_past_the_content_length_are_not_taken_and_do_not_spoil_the_next_file(site, pool, folder):
    _, stored = fetch(pool, folder, f"{site[0]}/long.jpg")
    assert stored.bytes == 100
    with folder.open(stored.path) as file:
        assert file.read() == PHOTO[:100]
    assert stored.mime_type == "image/jpeg" and stored.width is None  # a JPEG start, no readable header
    _, photo = fetch(pool, folder, f"{site[0]}/photo.jpg")
    with folder.open(photo.path) as file:
        assert file.read() == PHOTO


def test_html_served_as_a_jpeg_is_seen_for_what_it_is(site, pool, folder):
    result, stored = fetch(pool, folder, f"{site[0]}/html.jpg")
    assert result.content_type == "image/jpeg" and stored.mime_type == "text/html"
    assert contradiction(stored.mime_type, result.url, result.content_type) == \
        "the bytes are text/html where the URL names image/jpeg"


def test_a_redirect_off_the_allowed_hosts_is_refused_unfollowed(site, other, pool, folder):
    with pytest.raises(FetchError, match=f"redirect off the allowed hosts to {other[0]}/photo.jpg refused"):
        fetch(pool, folder, f"{site[0]}/away.jpg")
    assert other[1] == [] and files_in(folder) == []


def test_a_redirect_to_another_allowed_host_goes_through_that_hosts_fetcher(site, pool, folder):
    port = site[0].rsplit(":", 1)[1]
    result, stored = fetch(pool, folder, f"{site[0]}/twin.jpg")
    assert result.url == f"http://localhost:{port}/photo.jpg" and stored.bytes == len(PHOTO)
    assert site[1].count("/robots.txt") == 2  # each origin read its own robots.txt
    assert len(pool.by_origin) == 2


def test_a_redirect_loop_fails(site, pool, folder):
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(pool, folder, f"{site[0]}/loop.jpg")


@pytest.mark.parametrize("path, status", [("/gone.jpg", 404), ("/removed.jpg", 410)])
def test_a_gone_file_fails_with_its_status(site, pool, folder, path, status):
    with pytest.raises(FetchError) as failure:
        fetch(pool, folder, f"{site[0]}{path}")
    assert (failure.value.status, failure.value.reason) == (status, f"HTTP {status}")
    assert site[1].count(path) == 1 and files_in(folder) == []


def test_429_waits_as_retry_after_asks_then_fetches(site, pool, folder):
    _, stored = fetch(pool, folder, f"{site[0]}/busy.jpg")
    assert pool.sleeps == [7.0] and stored.bytes == len(PHOTO)


def test_robots_txt_is_honoured(site, pool, folder):
    with pytest.raises(FetchError, match="robots.txt"):
        fetch(pool, folder, f"{site[0]}/private/photo.jpg")
    assert "/private/photo.jpg" not in site[1]


def test_a_url_on_no_allowed_host_is_refused_before_any_request(other, pool, folder):
    with pytest.raises(FetchError, match="not on an allowed host"):
        fetch(pool, folder, f"{other[0]}/photo.jpg")
    assert other[1] == []


class Killed(Exception):
    pass


class DiesPartWay:
    """A sink that dies after its first chunk, as a run killed mid-transfer does."""

    def __init__(self, incoming):
        self.incoming, self.writes = incoming, 0

    def write(self, data):
        self.writes += 1
        if self.writes > 1:
            raise Killed()
        return self.incoming.write(data)

    def seek(self, *args):
        return self.incoming.seek(*args)

    def truncate(self, *args):
        return self.incoming.truncate(*args)


def test_a_transfer_killed_part_way_leaves_no_file_and_no_temporary(site, pool, folder):
    with pytest.raises(Killed):
        with folder.receiving() as incoming:
            sink = DiesPartWay(incoming)
            download(pool, f"{site[0]}/endless.bin", sink)
            incoming.keep()
    assert sink.writes == 2 and folder.root.is_dir()
    assert list(folder.root.iterdir()) == []


def test_the_pool_shares_one_request_budget(site, folder):
    port = site[0].rsplit(":", 1)[1]
    pool = Fetchers((f"127.0.0.1:{port}", f"localhost:{port}"), delay=0, max_requests=3)
    fetch(pool, folder, f"{site[0]}/photo.jpg")  # robots.txt, then the photo
    with pytest.raises(BudgetExhausted):
        fetch(pool, folder, f"http://localhost:{port}/copy.jpg")  # its robots.txt takes the last one
    assert pool.requests == 3


def test_allowed_hosts_a_bare_name_any_port_a_name_with_a_port_only_that():
    pool = Fetchers(("example.com", "localhost:8769", "https://Cdn.example:8443/"))
    assert pool.allows("http://www.example.com/a.jpg") and pool.allows("https://EXAMPLE.com:443/a.jpg")
    assert pool.allows("http://localhost:8769/a.jpg") and pool.allows("http://example.com./a.jpg")
    assert pool.allows("http://example.com:8080/a.jpg") and not pool.allows("http://localhost/a.jpg")
    assert pool.allows("https://cdn.example:8443/a.jpg") and not pool.allows("https://cdn.example/a.jpg")
    assert not pool.allows("ftp://example.com/a.jpg") and not pool.allows("http://example.com:bad/")
