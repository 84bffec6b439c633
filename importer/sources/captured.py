"""A blog read from captures of it (Wayback Machine, WARC files) through the same page, feed and
REST readers a live scrape uses.

`CapturedWeb` stands in for the live fetcher: a reader asks for a URL of the blog and gets the
capture of it nearest to one moment (the capture being read), so a post's comment pages and
comments feed come from the same time as its page. `read_captures` walks each post's captures
oldest first, each as evidence at its own time: the newest becomes the current row, and earlier
texts that differ become versions dated by their capture.
"""
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode, urlsplit

from ..errors import FetchError, HostileInputError
from ..model import Author, Capture, Post, Problem, Site, Term
from .feeds import items_of
from .pages import posts_from_pages
from .rest import _post


@dataclass(frozen=True)
class Seen:
    """One capture the index lists: the URL as captured, its 14-digit time, its digest."""
    url: str
    timestamp: str
    digest: str | None = None
    mimetype: str | None = None
    exact: bool = True  # False: only listed (the inventory); ask for the moment wanted, the archive picks the nearest

    @property
    def moment(self) -> str:
        """The capture's time as the archive writes times (UTC, 'YYYY-MM-DD HH:MM:SS')."""
        t = self.timestamp.ljust(14, "0")
        return f"{t[:4]}-{t[4:6]}-{t[6:8]} {t[8:10]}:{t[10:12]}:{t[12:14]}"


def url_key(url: str) -> str:
    """A URL as captures of it are looked up: no scheme, no www., no fragment, no default port."""
    parts = urlsplit(url.split("#")[0])
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return f"{host}{port}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


class CapturedWeb:
    """The fetcher a reader is handed: `get` answers from the captures nearest to `moment`.
    `captured` is every URL key the index lists; `read(url, timestamp)` fetches one capture
    (for a URL only listed, the archive answers with its capture nearest that time). URLs never
    captured are a 404 without any request."""

    def __init__(self, captured: dict[str, list[Seen]], read: Callable, moment: str):
        self.captured, self.read, self.moment = captured, read, moment

    def get(self, url: str, params: dict | None = None, etag=None, modified=None, accept_status=(200,)):
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        seen = self.captured.get(url_key(url))
        if not seen:
            raise FetchError(url, "not captured", 404)
        nearest = min(seen, key=lambda s: (abs(int(s.timestamp.ljust(14, "0")) - int(self.moment)), s.timestamp))
        return self.read(nearest.url, nearest.timestamp if nearest.exact else self.moment)


POST_PATH_SKIP = re.compile(
    r"/(tag|category|author|search|feed|wp-json|wp-admin|wp-content|wp-includes|trackback|embed|amp|"
    r"comment-page-\d+|page/\d+|attachment)(/|$)|^/\d{4}(/\d{2}){0,2}/?$|^/$|\.(?!html?$)[a-z0-9]{2,4}$", re.I)
POST_QUERY = re.compile(r"^(p|page_id)=\d+$")
REST_ITEM = re.compile(r"/wp/v2/(posts|pages|users|categories|tags)/(\d+)/?$")


def is_post_page(url: str) -> bool:
    """A URL that may be a post's or page's permalink: any permalink shape or ?p=N, not a
    listing (tags, categories, dates, authors, search), a feed, a comment page or a file."""
    parts = urlsplit(url)
    if parts.query:
        return bool(POST_QUERY.match(parts.query)) and parts.path in ("", "/")
    return not POST_PATH_SKIP.search(parts.path or "/")


def rest_item(url: str) -> tuple[str, int] | None:
    """(route, id) of a captured REST response of one item (/wp-json/... or ?rest_route=...)."""
    parts = urlsplit(url)
    route = parts.path
    query = dict(pair.partition("=")[::2] for pair in parts.query.split("&") if pair)
    if "rest_route" in query:
        route = query["rest_route"].replace("%2F", "/")
    elif "/wp-json/" not in route:
        return None
    match = REST_ITEM.search(route)
    return (match.group(1), int(match.group(2))) if match else None


def read_captures(site_url: str, captured: dict[str, list[Seen]], read: Callable, archive: str):
    """Records of every post page and REST item captured, each capture as evidence at its own
    time (a Site record carrying it, then what the capture shows, then the Capture itself);
    oldest first within each URL, so the newest capture is the current row. REST items come
    first: they know what pages hide (excerpts, ids), so a page read later fills no gap a
    version would record."""
    fed = yield from _feed_items(site_url, captured, read)
    pages = set()
    for seen in sorted(captured.values(), key=lambda listed: rest_item(listed[0].url) is None):
        first = seen[0].url
        item = rest_item(first)
        if item is None and not (is_post_page(first) and _html(seen)):
            continue
        for capture in sorted(seen, key=lambda s: s.timestamp):
            yield Site(url=site_url, exported_at=capture.moment)
            web = CapturedWeb(captured, read, capture.timestamp.ljust(14, "0"))
            if item is None:
                pages.add(url_key(capture.url))
                yield from _dated_by_feed(posts_from_pages(web, site_url, [capture.url]), fed, site_url)
            else:
                yield from _rest_records(web, capture, item[0])
            yield Capture(capture.url, capture.moment, capture.digest, archive)
    for key, (entry, capture) in fed.items():  # posts only a feed's capture shows
        if key not in pages:
            yield Site(url=site_url, exported_at=capture.moment)
            yield Post(wp_id=_feed_id(entry.guid, site_url), type="post", status="publish", title=entry.title,
                       url=entry.link, guid=entry.guid, date_gmt=entry.date_gmt, content=entry.content,
                       excerpt=entry.summary)
            yield Capture(capture.url, capture.moment, capture.digest, archive)


def is_site_feed(url: str, site_url: str) -> bool:
    """The blog's posts feed (RSS or Atom, any page of it), not a comments feed."""
    key, home = url_key(url), url_key(site_url).rstrip("/") + "/"
    rest = key[len(home):] if key.startswith(home) else None
    return rest is not None and bool(SITE_FEED.match(rest))


SITE_FEED = re.compile(r"^(feed/((rss2?|atom|rdf)/?)?|\?feed=(rss2?|atom|rdf))([?&]paged=\d+)?$")


def _feed_items(site_url: str, captured: dict[str, list[Seen]], read: Callable):
    """URL key of each post -> (its newest item in a captured posts feed, that capture): the
    dates and ids themes hide on the page. Problems in-band."""
    fed = {}
    for seen in captured.values():
        if not is_site_feed(seen[0].url, site_url):
            continue
        for capture in sorted(seen, key=lambda s: s.timestamp):
            try:
                entries = items_of(CapturedWeb(captured, read, capture.timestamp.ljust(14, "0")).get(capture.url))
            except (FetchError, HostileInputError) as error:
                yield Problem(f"{capture.url} ({capture.timestamp}): {error}", "feed capture skipped")
                continue
            for entry in entries:
                key = url_key(entry.link)
                if key not in fed or fed[key][1].timestamp <= capture.timestamp:
                    fed[key] = (entry, capture)
    return fed


def _dated_by_feed(records, fed: dict, site_url: str):
    """The page's post with the date and id its theme hid, from the feed's item of it."""
    for record in records:
        entry = fed.get(url_key(record.url)) if isinstance(record, Post) else None
        if entry:
            record.date_gmt = record.date_gmt or entry[0].date_gmt
            record.wp_id = record.wp_id if record.wp_id is not None else _feed_id(entry[0].guid, site_url)
        yield record


def _feed_id(guid: str | None, site_url: str) -> int | None:
    """The post id in a guid WordPress wrote for this blog (`<home>/?p=N`); a guid on another
    host is a moved post's old one, not an id here."""
    if not guid or not url_key(guid).startswith(url_key(site_url).rstrip("/") + "/"):
        return None
    match = re.search(r"[?&]p=(\d+)$", guid)
    return int(match.group(1)) if match else None


def _html(seen: list[Seen]) -> bool:
    return any((s.mimetype or "text/html").startswith(("text/html", "application/xhtml")) for s in seen)


def _rest_records(web: CapturedWeb, capture: Seen, route: str):
    """A captured REST response of one post, page, user or term, read as the REST source reads it."""
    try:
        item = web.get(capture.url).json()
    except FetchError as error:
        yield Problem(f"{capture.url} ({capture.timestamp}): {error.reason}", "capture skipped")
        return
    if not isinstance(item, dict) or "id" not in item:
        return
    if route in ("posts", "pages"):
        yield _post(item, route.rstrip("s"))
    elif route == "users":
        yield Author(login=None, wp_id=item["id"], display_name=item.get("name"), url=item.get("url") or None,
                     nicename=item.get("slug"))
    elif item.get("slug"):
        yield Term(taxonomy="category" if route == "categories" else "post_tag", slug=item["slug"],
                   name=item.get("name"), wp_id=item["id"], description=item.get("description") or None)

