"""robots.txt revalidated, not re-read: a fetcher given what the last run read sends its
validators, and a 304 keeps the remembered rules. A local server, as WordPress's generated
robots.txt carries no validators."""

import pytest

from importer.errors import FetchError
from importer.web.fetcher import Fetcher
from local_servers import QuietHandler, serving

ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class Validating(QuietHandler):
    seen: list[tuple[str, str | None]] = []

    def do_GET(self):
        type(self).seen.append((self.path, self.headers.get("If-None-Match")))
        if self.path == "/robots.txt":
            if self.headers.get("If-None-Match") == '"r1"':
                return self.send(304, b"", [("ETag", '"r1"')])
            return self.send(200, ROBOTS, [("ETag", '"r1"'), ("Content-Type", "text/plain")])
        self.send(200, b"page")


@pytest.fixture
def site():
    Validating.seen = []
    with serving(Validating) as url:
        yield url + "/"


def test_robots_txt_is_revalidated_and_its_rules_kept_on_304(site):
    first = Fetcher(site, delay=0)
    first.get("/page")
    assert first.robots_memo["etag"] == '"r1"' and "Disallow: /private/" in first.robots_memo["body"]
    later = Fetcher(site, delay=0, robots_memo=first.robots_memo)
    later.get("/page")
    assert ("/robots.txt", '"r1"') in Validating.seen
    with pytest.raises(FetchError, match="robots.txt"):
        later.get("/private/x")  # the remembered rules still hold after the 304

