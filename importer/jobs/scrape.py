"""Archiving a live blog: find what it offers, read the richest source, write it like any import.

REST API first (all posts, pages, media, terms, users, comments in a few requests), then the
posts' pages for what REST hides from anonymous readers (pingbacks, trackbacks). Without REST:
sitemaps or the feed for the list of posts, and every post's page, comment pages included.
"""
import json

from ..errors import FetchError
from ..sources import richest, web_source
from ..sources.live import discover
from ..web import Fetcher
from .collect import RunReport, apply, live_site

__all__ = ["discover", "scrape"]


def scrape(conn, url: str, via: str = "auto", fetcher: Fetcher | None = None, pages: bool = True,
           progress=None, wayback: dict | None = None, resumable: bool = False) -> RunReport:
    """Archive the blog at `url` into the open archive, in one transaction. `resumable` (a fleet
    step): a REST scrape cut by the budget saves where it got to, and the next call goes on."""
    fetcher = fetcher or Fetcher(url)
    if via == "wayback":
        return from_wayback(conn, url, fetcher, wayback or {}, progress)
    saved = resume_point(conn, url) if resumable else None
    if saved:
        return resumed(conn, url, saved, fetcher, pages, progress)
    site = live_site(conn, fetcher, url, pages=pages, state={"resumable": "1"} if resumable else None)
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
    from ..sources.cdx import DEFAULT_BASE, archive_fetcher
    from ..sources.live import Discovery

    base = (options.get("wayback_url") or DEFAULT_BASE).rstrip("/")
    site = live_site(conn, archive_fetcher(base, fetcher), url, pages=True)
    site.state = {key: value for key, value in options.items() if value}
    site.discovery = Discovery(url=url, title=None)
    return apply(conn, site, web_source("wayback"), progress, require_posts=True)


def resume_point(conn, url: str) -> str | None:
    """Where a first REST scrape cut by a fleet step's budget got to (sources/rest_resume)."""
    from ..archive import read, runs
    from ..sources.rest_resume import RESUME

    site_id = read.site_id_of(conn, url)
    return runs.sync_state(conn, site_id).get(RESUME) or None if site_id is not None else None


def resumed(conn, url: str, saved: str, fetcher: Fetcher, pages: bool, progress=None) -> RunReport:
    """The first scrape going on from the point an earlier step saved (`saved`), without
    discovering the site again (the point holds its REST root)."""
    from ..sources.live import Discovery
    from ..sources.rest_resume import RESUME

    site = live_site(conn, fetcher, url, state={"resumable": "1", RESUME: saved}, pages=pages)
    site.discovery = Discovery(url=url, rest_root=json.loads(saved)["state"]["rest_root"])
    return apply(conn, site, web_source("rest"), progress)
