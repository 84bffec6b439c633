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
           progress=None) -> RunReport:
    """Archive the blog at `url` into the open archive, in one transaction."""
    fetcher = fetcher or Fetcher(url)
    site = live_site(conn, fetcher, url, pages=pages)
    site.discovery = discover(fetcher, url)
    root = site.discovery.announced_root()
    if root:
        raise FetchError(url, f"this is a page of the blog at {root}, not its root: try wparchive scrape {root}")
    source = richest(site.found) if via == "auto" else web_source(via)
    if via == "rest" and not site.found.rest_root:
        raise FetchError(url, f"--via {via}: the site offers no REST API")
    return apply(conn, site, source, progress, require_posts=True)
