"""A blog read over the web in one run: what it exposes (discovered at most once) and the state
the run starts from, which is all that tells a first scrape from a later sync."""
import json
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from ..web import Fetcher
from .feeds import feed_url
from .html import page_from_html
from .rest import find_api_root


@dataclass
class Discovery:
    url: str
    rest_root: str | None = None
    wordpress_com: bool = False
    feed: str | None = None
    sitemaps: list[str] = field(default_factory=list)
    title: str | None = None

    def lines(self) -> list[str]:
        return [f"site: {self.url}" + (f" ({self.title})" if self.title else ""),
                f"REST API: {self.rest_root or 'not found'}",
                f"WordPress.com: {'yes' if self.wordpress_com else 'no'}",
                f"feed: {self.feed or 'not found'}",
                f"sitemaps: {', '.join(self.sitemaps) or 'none announced'}"]


def discover(fetcher: Fetcher, url: str) -> Discovery:
    """What the site exposes, without writing anything."""
    home = fetcher.get(url)
    found = Discovery(url=url, title=page_from_html(home.content, url).site.title)
    found.rest_root = find_api_root(fetcher, url, home)
    host = urlsplit(url).hostname or ""
    found.wordpress_com = host.endswith(".wordpress.com") or "wordpress.com" in home.headers.get("x-hacker", "") \
        or "s0.wp.com" in home.text
    found.feed = feed_url(home.text, url)
    found.sitemaps = fetcher.announced_sitemaps()
    return found


@dataclass
class LiveSite:
    """One run over one blog. `state` is what the last run left (empty on the first), `known_comments`
    the WordPress ids of comments the archive holds, `full` asks for a complete reconciliation,
    `pages` for reading post pages where a richer source hides something."""
    fetcher: Fetcher
    url: str
    state: dict[str, str] = field(default_factory=dict)
    known_comments: set[int] = field(default_factory=set)
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
