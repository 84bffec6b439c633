"""Listings that would never end: REST collections whose pages repeat or claim a million pages,
sitemap indexes that fan out or point back at themselves. Served by a local stand-in, as no real
WordPress answers like this."""
import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest

from importer.errors import FetchError
from importer.model import Problem
from importer.sources.feeds import feed_items
from importer.sources.rest import RestAPI
from importer.sources.sitemap import MAX_SITEMAPS, sitemap_urls
from importer.web.fetcher import Fetcher
from local_servers import serving


class Hostile(BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/robots.txt":
            return self._send(404, b"", "text/plain")
        if parts.path == "/wp-json/wp/v2/same":  # every page the same items, a million pages claimed
            return self._send(200, json.dumps([{"id": 1}, {"id": 2}]).encode(), "application/json",
                              {"X-WP-TotalPages": "1000000", "X-WP-Total": "100000000"})
        if parts.path == "/wp-json/wp/v2/few":  # five items, a million pages claimed
            page = int(query.get("page", ["1"])[0])
            return self._send(200, json.dumps([{"id": page * 10 + i} for i in range(5)]).encode(),
                              "application/json", {"X-WP-TotalPages": "1000000", "X-WP-Total": "5"})
        if parts.path == "/feed/":  # a feed hiding an entity declaration behind a long comment
            body = (b'<?xml version="1.0"?><!--' + b"c" * 20_000 + b'--><!DOCTYPE rss [<!ENTITY e "X">]>'
                    b"<rss><channel><item><link>http://a.example/&e;</link></item></channel></rss>")
            return self._send(200, body, "application/rss+xml")
        if parts.path.startswith("/sitemap"):  # an index of 100 indexes, all the way down
            name = parts.path.strip("/")
            children = "".join(f"<sitemap><loc>http://{self.headers['Host']}/{name}-{i}.xml</loc></sitemap>"
                               for i in range(100))
            loop = f"<sitemap><loc>http://{self.headers['Host']}/{name}</loc></sitemap>"
            body = f'<?xml version="1.0"?><sitemapindex>{loop}{children}</sitemapindex>'
            return self._send(200, body.encode(), "application/xml")
        self._send(404, b"", "text/plain")

    def _send(self, status, body, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hostile():
    Hostile.requests = []
    with serving(Hostile) as url:
        yield url + "/"


def test_a_rest_listing_ends_where_its_item_count_says(hostile):
    api = RestAPI(Fetcher(hostile, delay=0), hostile + "wp-json/")
    assert [item["id"] for item in api.pages("/wp/v2/few")] == [10, 11, 12, 13, 14]
    assert len([r for r in Hostile.requests if r.startswith("/wp-json/")]) == 1


def test_a_rest_listing_whose_pages_repeat_is_stopped(hostile):
    api = RestAPI(Fetcher(hostile, delay=0), hostile + "wp-json/")
    with pytest.raises(FetchError, match="repeats page 1"):
        list(api.pages("/wp/v2/same"))
    assert len([r for r in Hostile.requests if r.startswith("/wp-json/")]) == 2


def test_a_sitemap_index_that_fans_out_and_loops_is_read_once_per_sitemap_up_to_a_cap(hostile):
    found = list(sitemap_urls(Fetcher(hostile, delay=0), hostile, announced=[hostile + "sitemap.xml"]))
    problems = [f for f in found if isinstance(f, Problem)]
    assert len(problems) == 1 and f"more than {MAX_SITEMAPS} sitemaps" in problems[0].problem
    sitemaps = [r for r in Hostile.requests if r.startswith("/sitemap")]
    assert len(sitemaps) == len(set(sitemaps)) <= MAX_SITEMAPS


def test_a_hostile_feed_is_refused_with_a_problem_saying_why(hostile):
    [problem] = list(feed_items(Fetcher(hostile, delay=0), hostile + "feed/"))
    assert isinstance(problem, Problem) and "entit" in problem.problem and "feed/" in problem.problem
