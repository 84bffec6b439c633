"""A blog read over the web in one run: what it exposes (discovered at most once) and the state
the run starts from, which is all that tells a first scrape from a later sync."""
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urljoin, urlsplit, urlunsplit

from ..web import Fetcher
from ..web.site_url import host_root
from .feeds import feed_url
from .html import page_from_html
from .rest import find_api_root


@dataclass
class Discovery:
    url: str
    rest_root: str | None = None
    wordpress_com: bool = False
    feed: str | None = None  # the feed announced, else WordPress's default URL to try
    feed_announced: bool = False
    sitemaps: list[str] = field(default_factory=list)
    title: str | None = None
    root: str | None = None  # the blog's root as the page names it (its REST link or feed), if it does

    def lines(self) -> list[str]:
        """What was fetched and found, and only that: a guessed feed URL is said to be a guess."""
        lines = [f"site: {self.url}" + (f" ({self.title})" if self.title else ""),
                 f"REST API: {self.rest_root or 'not found'}",
                 f"WordPress.com: {'yes' if self.wordpress_com else 'no'}",
                 f"feed: {self._feed()}",
                 f"sitemaps: {', '.join(self.sitemaps) or 'none announced'}"]
        root = self.announced_root()
        if root:
            lines.append(f"blog root: {root} (this address is below it; scrape the root)")
        return lines

    def nothing_found(self, requests: int) -> str:
        """Why a run that found no post failed, and what to try instead."""
        tried = (f"no blog post found in {requests} requests (REST API: {self.rest_root or 'not found'}; "
                 f"feed: {self._feed()}; sitemaps: {', '.join(self.sitemaps) or 'none announced'})")
        if self.root and self.root.rstrip("/") != self.url.rstrip("/"):
            root = self.root.rstrip("/") + "/"
            return f"{tried}; the page names its blog at {root}: try wparchive scrape {root}"
        root = host_root(self.url)
        if root:
            return f"{tried}; if it is a page of a blog, try the blog's root: wparchive scrape {root}"
        return f"{tried}; is this the address of a WordPress blog?"

    def announced_root(self) -> str | None:
        """The blog's root when this address is one of its posts: ?p=N, or a path below the root
        the page itself names on the same host. Scraping from there would file the blog under it."""
        here = urlsplit(self.url)
        if re.search(r"(^|&)(p|page_id)=\d+", here.query):
            return urlunsplit((here.scheme, here.netloc, here.path or "/", "", ""))
        root = urlsplit(self.root or "")
        below = here.path.rstrip("/").startswith(root.path.rstrip("/") + "/")
        if (here.scheme, here.netloc) == (root.scheme, root.netloc) and below:
            return self.root.rstrip("/") + "/"
        return None

    def _feed(self) -> str:
        if not self.feed:
            return "not found"
        return self.feed if self.feed_announced else f"none announced ({self.feed} not checked)"


def discover(fetcher: Fetcher, url: str) -> Discovery:
    """What the site exposes, without writing anything."""
    home = fetcher.get(url)
    site = page_from_html(home.content, url).site
    found = Discovery(url=url, title=site.title)
    found.rest_root = find_api_root(fetcher, url, home)
    host = urlsplit(url).hostname or ""
    found.wordpress_com = host.endswith(".wordpress.com") or "wordpress.com" in home.headers.get("x-hacker", "") \
        or "s0.wp.com" in home.text
    found.feed = feed_url(home.text, url)
    found.feed_announced = found.feed in _announced_feeds(home.text, url)
    found.sitemaps = fetcher.announced_sitemaps()
    found.root = site.url if found.rest_root or found.feed_announced else None  # else only a guess
    return found


def _announced_feeds(home_html: str, url: str) -> set[str]:
    links = re.findall(r'<link[^>]+type=["\']application/(?:rss|atom)\+xml["\'][^>]*>', home_html)
    return {urljoin(url, href) for link in links for href in re.findall(r'href=["\']([^"\']+)', link)}


@dataclass
class Known:
    """What the archive holds of the site, read before the run fetches anything: WordPress ids
    of its comments, its posts' modified_gmt, its authors, its terms' (slug, name)."""
    comments: set[int] = field(default_factory=set)
    posts: dict[int, str | None] = field(default_factory=dict)
    authors: set[int] = field(default_factory=set)
    terms: dict[tuple[str, int], tuple[str, str | None]] = field(default_factory=dict)


@dataclass
class LiveSite:
    """One run over one blog. `state` is what the last run left (empty on the first), `known`
    what the archive holds, `full` asks for a complete reconciliation, `pages` for reading post
    pages where a richer source hides something."""
    fetcher: Fetcher
    url: str
    state: dict[str, str] = field(default_factory=dict)
    known: Known = field(default_factory=Known)
    full: bool = False
    pages: bool = True
    discovery: Discovery | None = None

    @cached_property
    def found(self) -> Discovery:
        return self.discovery or discover(self.fetcher, self.url)

    @property
    def first_run(self) -> bool:
        """No run has read this site from the web yet: everything it lists is read."""
        return not self.state.get("via")

    def cursors(self) -> dict[str, str]:
        return json.loads(self.state.get("cursors") or "{}")
