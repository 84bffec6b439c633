"""Archiving a live blog: find what it offers, read the richest source, write it like any import.

REST API first (all posts, pages, media, terms, users, comments in a few requests), then the
posts' pages for what REST hides from anonymous readers (pingbacks, trackbacks). Without REST:
sitemaps or the feed for the list of posts, and every post's page, comment pages included.
"""
from ..errors import FetchError
from ..sources import richest, web_source
from ..sources.live import discover
from ..web import Fetcher
from .collect import RunReport, apply, live_site

__all__ = ["discover", "scrape"]


def scrape(conn, url: str, via: str = "auto", fetcher: Fetcher | None = None, pages: bool = True,
           progress=None, wayback: dict | None = None) -> RunReport:
    """Archive the blog at `url` into the open archive, in one transaction."""
    fetcher = fetcher or Fetcher(url)
    if via == "wayback":
        return from_wayback(conn, url, fetcher, wayback or {}, progress)
    site = live_site(conn, fetcher, url, pages=pages)
    site.discovery = discover(fetcher, url)
    root = site.discovery.announced_root()
    if root:
        raise FetchError(url, f"this is a page of the blog at {root}, not its root: try wparchive scrape {root}")
    source = richest(site.found) if via == "auto" else web_source(via)
    if via == "rest" and not site.found.rest_root:
        raise FetchError(url, f"--via {via}: the site offers no REST API")
    return apply(conn, site, source, progress, require_posts=True)


def from_wayback(conn, url: str, fetcher: Fetcher, options: dict, progress=None) -> RunReport:
    """Archive a dead blog from its Wayback Machine captures; `options` are wayback_url,
    wayback_from, wayback_to, wayback_captures (strings), `fetcher` the run's limits."""
    from ..sources.cdx import archive_fetcher
    from ..sources.live import Discovery

    base = (options.get("wayback_url") or "https://web.archive.org").rstrip("/")
    site = live_site(conn, archive_fetcher(base, fetcher), url, pages=True)
    site.state = {key: value for key, value in options.items() if value}
    site.discovery = Discovery(url=url, title=None)
    return apply(conn, site, web_source("wayback"), progress, require_posts=True)
