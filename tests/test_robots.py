"""robots.txt as RFC 9309 reads it: matching (longest rule wins, Allow wins ties, `*` and `$`,
groups by product token), and what a fetch of robots.txt that fails means, against a local server
serving the robots.txt each test asks for (a 503, a utf-16 label, 100 MB of it)."""
from http.server import BaseHTTPRequestHandler

import pytest

from importer.web import robots
from importer.web.fetcher import Fetcher, FetchError
from local_servers import serving

SITE = "http://blog.test"


def allowed(text: str, path: str) -> bool:
    return robots.parse(text.encode()).allowed(SITE + path)


@pytest.mark.parametrize("text, path, expected", [
    ("User-agent: *\nDisallow: /\nAllow: /2024/", "/2024/05/post", True),  # the longer Allow wins
    ("User-agent: *\nAllow: /\nDisallow: /2024/", "/2024/05/post", False),  # the longer Disallow wins
    ("User-agent: *\nDisallow: /page\nAllow: /page", "/page", True),  # a tie goes to Allow
    ("User-agent: *\nDisallow: /*.php$", "/wp-login.php", False),
    ("User-agent: *\nDisallow: /*.php$", "/wp-login.php?x=1", True),  # `$` anchors the end
    ("User-agent: *\nDisallow: /*/feed/", "/2024/feed/", False),
    ("User-agent: *\nDisallow: /\n\nUser-agent: WPArchive\nAllow: /", "/post", True),  # our group, any case
    ("User-agent: *\nAllow: /\n\nUser-agent: wparchive\nDisallow: /drafts", "/drafts/1", False),
    ("User-agent: googlebot\nDisallow: /", "/post", True),  # not our group, and no `*` group
    ("User-agent: archives\nDisallow: /", "/post", True),  # a word of our User-Agent header is not our token
    ("User-agent: *\nDisallow: /%7Eme/", "/~me/page", False),  # percent-encoding compared decoded
])
def test_rfc_9309_matching(text, path, expected):
    assert allowed(text, path) is expected


def test_robots_txt_itself_is_always_allowed():
    assert allowed("User-agent: *\nDisallow: /", "/robots.txt")


@pytest.mark.parametrize("status, verdict", [(404, True), (403, True), (410, True), (500, False), (503, False),
                                             (429, False)])
def test_what_a_status_means(status, verdict):
    rules = robots.from_response(status, b"User-agent: *\nDisallow: /")
    assert rules.allowed(SITE + "/post") is verdict


def test_only_the_first_500_kib_is_parsed():
    head = b"User-agent: *\nDisallow: /early\n"
    padding = b"# " + b"x" * (robots.MAX_BYTES) + b"\n"
    rules = robots.parse(head + padding + b"Disallow: /late\n")
    assert not rules.allowed(SITE + "/early") and rules.allowed(SITE + "/late") and rules.notes


BODIES: dict[str, tuple[int, list, object]] = {}


class Robots(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        status, headers, body = BODIES.get(self.path, (200, [], b"page"))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        chunks = body() if callable(body) else [body]
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def site():
    BODIES.clear()
    with serving(Robots) as url:
        yield url


def fetcher(site):
    return Fetcher(site + "/", delay=0, sleep=lambda seconds: None)


def test_a_robots_txt_answering_503_disallows_everything(site):
    BODIES["/robots.txt"] = (503, [], b"down for maintenance")
    with pytest.raises(FetchError, match="robots.txt unreachable \\(HTTP 503\\)"):
        fetcher(site).get("/post")


def test_a_robots_txt_that_cannot_be_reached_disallows_everything():
    closed = Fetcher("http://127.0.0.1:9/", delay=0, retries=0, sleep=lambda seconds: None)
    with pytest.raises(FetchError, match="robots.txt unreachable"):
        closed.get("/post")


def test_a_missing_robots_txt_allows_everything(site):
    BODIES["/robots.txt"] = (404, [], b"not found")
    assert fetcher(site).get("/post").text == "page"


def test_robots_txt_is_read_as_utf8_whatever_its_charset_label(site):
    BODIES["/robots.txt"] = (200, [("Content-Type", "text/plain; charset=utf-16")],
                             "User-agent: *\nDisallow: /privé/\n".encode())
    with pytest.raises(FetchError, match="robots.txt"):
        fetcher(site).get("/privé/page")


def test_a_100_mb_robots_txt_is_read_for_its_first_500_kib(site):
    def huge():
        yield b"User-agent: *\nDisallow: /\n"
        for _ in range(100 * 16):
            yield b"#" * 65535 + b"\n"
    BODIES["/robots.txt"] = (200, [("Content-Type", "text/plain")], huge)
    polite = fetcher(site)
    with pytest.raises(FetchError, match="disallowed by robots.txt"):
        polite.get("/post")
    assert any("rules past it were not read" in note for note in polite.notes)


def test_robots_txt_redirects_are_followed(site):
    BODIES["/robots.txt"] = (301, [("Location", "/elsewhere/robots.txt")], b"")
    BODIES["/elsewhere/robots.txt"] = (200, [], b"User-agent: *\nDisallow: /post\n")
    with pytest.raises(FetchError, match="disallowed by robots.txt"):
        fetcher(site).get("/post")


def test_sitemaps_robots_txt_announces(site):
    BODIES["/robots.txt"] = (200, [], f"Sitemap: {site}/wp-sitemap.xml\nUser-agent: *\nAllow: /\n".encode())
    polite = fetcher(site)
    polite.get("/post")
    assert polite.announced_sitemaps() == [f"{site}/wp-sitemap.xml"]
