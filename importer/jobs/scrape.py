"""Archiving a live blog: find what it offers, read the richest source, write it like any import.

REST API first (all posts, pages, media, terms, users, comments in a few requests), then the
posts' pages for what REST hides from anonymous readers (pingbacks, trackbacks). Without REST:
sitemaps or the feed for the list of posts, and every post's page, comment pages included.
"""
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from ..web import BudgetExhausted, Fetcher, FetchError, host_of
from ..model import Post, Problem, Site
from ..sources.feeds import feed_items, feed_url
from ..sources.html import page_from_html
from ..sources.rest import RestAPI, find_api_root, rest_records
from ..sources.sitemap import sitemap_urls
from ..sources.wpcom import WpcomAPI
from ..archive import Writer


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


@dataclass
class ScrapeReport:
    url: str
    via: str
    requests: int = 0
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)
    problems: int = 0
    run_id: int | None = None
    error: str | None = None


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


def scrape(conn, url: str, via: str = "auto", fetcher: Fetcher | None = None, pages: bool = True,
           progress=None) -> ScrapeReport:
    """Archive the blog at `url` into the open archive, in one transaction."""
    started = time.monotonic()
    fetcher = fetcher or Fetcher(url)
    report = ScrapeReport(url=url, via=via)
    found = discover(fetcher, url)
    chosen = via if via != "auto" else richest_source(found)
    if chosen == "rest" and not found.rest_root:
        raise FetchError(url, f"--via {via}: the site offers no REST API")
    report.via = chosen
    writer = Writer(conn, url, None, source="rest" if chosen in ("rest", "wpcom") else "html")
    problems = []

    def note(where, reason):
        problems.append(Problem(f"{where}: {reason}", "skipped; the run went on"))

    try:
        cursors = {}
        if chosen in ("rest", "wpcom"):
            records = _rest_then_pages(fetcher, api_for(chosen, fetcher, url, found.rest_root), url, note, pages,
                                       cursors)
        else:
            records = pages_of_site(fetcher, found, url, note, feed_first=chosen == "feed")
        for record in records:
            writer.write(record)
            while problems:
                writer.problem(problems.pop(0))
            if progress:
                progress(fetcher.requests)
    except BudgetExhausted as stop:
        report.error = str(stop)
        writer.problem(Problem(str(stop), "run stopped; everything read so far kept"))
    except BaseException:
        writer.abandon()
        raise
    for problem in problems:
        writer.problem(problem)
    if chosen in ("rest", "wpcom") and report.error is None:
        remember_sync_state(conn, writer.site_id, {"via": chosen, "rest_root": found.rest_root or "",
                                                   "cursors": json.dumps(cursors, sort_keys=True)})
    writer.finish("ok" if report.error is None else "partial", report.error, requests=fetcher.requests)
    report.requests, report.seconds = fetcher.requests, time.monotonic() - started
    report.counts, report.problems, report.run_id = writer.counts, writer.problems, writer.run_id
    return report


def remember_sync_state(conn, site_id: int, state: dict):
    """Where a later sync picks up: the source, its REST root, the cursors."""
    for key, value in state.items():
        conn.execute("INSERT INTO sync_state (site_id, key, value) VALUES (?, ?, ?) ON CONFLICT (site_id, key) "
                     "DO UPDATE SET value = excluded.value", (site_id, key, value))


def richest_source(found: Discovery) -> str:
    return "rest" if found.rest_root else "wpcom" if found.wordpress_com else "html"


def api_for(via: str, fetcher: Fetcher, url: str, rest_root: str | None) -> RestAPI:
    """The site's own REST API, or WordPress.com's public API for it (whose host is then allowed)."""
    if via == "wpcom":
        api = WpcomAPI(fetcher, url)
        fetcher.also = (*fetcher.also, host_of(api.root))
        return api
    return RestAPI(fetcher, rest_root)


def _rest_then_pages(fetcher, api, url, note, pages, cursors):
    posts = []
    comment_ids = set()
    for record in rest_records(api, url, note, cursors=cursors):
        if isinstance(record, Post) and record.type in ("post", "page") and record.status == "publish":
            posts.append((record.wp_id, record.url))
        elif hasattr(record, "post_wp_id"):
            comment_ids.add(record.wp_id)
        yield record
    if not pages:
        return
    for wp_id, link in posts:
        for comment in page_comments(fetcher, link, note):
            if comment.wp_id not in comment_ids:  # what REST hid: pingbacks, trackbacks
                comment.post_wp_id = wp_id
                yield comment


def page_comments(fetcher, link, note):
    """Every comment a post's pages show, comment pages included."""
    page = read_page(fetcher, link, note)
    if page is None or page.post is None:
        return []
    return all_comments(fetcher, page, note)


def all_comments(fetcher, page, note, limit=500):
    """The comments of a post's page and of every comment page linked from it, to the end."""
    comments = {c.wp_id: c for c in page.post.comments}
    queue, seen = list(page.comment_pages), set(page.comment_pages)
    while queue and len(seen) <= limit:
        more = read_page(fetcher, queue.pop(0), note)
        if more is None or more.post is None:
            continue
        for c in more.post.comments:
            comments.setdefault(c.wp_id, c)
        for link in more.comment_pages:
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return list(comments.values())


def read_page(fetcher, link, note):
    try:
        response = fetcher.get(link)
    except FetchError as error:
        note(error.url, error.reason)
        return None
    return page_from_html(response.content, response.url, response.encoding)


def pages_of_site(fetcher, found, url, note, feed_first=False):
    """Every post's page, found through the sitemaps and the feed (the feed first with --via feed);
    comment pages followed."""
    yield Site(url=url, title=found.title)
    listings = [lambda: sitemap_urls(fetcher, url, found.sitemaps, note),
                lambda: [item.link for item in feed_items(fetcher, found.feed or urljoin(url, "/feed/"), note)]]
    links = []
    for listing in (reversed(listings) if feed_first else listings):
        links = links or listing()
    yield from posts_from_pages(fetcher, url, links, note)


def posts_from_pages(fetcher, url, links, note):
    """The post each page shows, with the comments of all its comment pages."""
    for link in links:
        if link.rstrip("/") == url.rstrip("/"):
            continue  # the home page lists posts; it is not one
        page = read_page(fetcher, link, note)
        if page is None or page.post is None:
            continue
        post = page.post
        if post.wp_id is None:
            note(link, "no WordPress post id on the page")
            continue
        post.comments = all_comments(fetcher, page, note)
        yield post
