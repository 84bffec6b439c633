"""A blog's RSS/Atom feed, page by page (?paged=N), for the links and ids of its posts."""
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

from ..web import Fetcher, FetchError
from .safe_xml import local, parse

MAX_FEED_PAGES = 1000


@dataclass
class FeedItem:
    link: str
    wp_id: int | None
    title: str | None


def feed_items(fetcher: Fetcher, feed_url: str, report=lambda url, reason: None):
    """Items of every page of the feed, until a page adds nothing new."""
    seen = set()
    for page in range(1, MAX_FEED_PAGES + 1):
        try:
            response = fetcher.get(feed_url, params={"paged": page} if page > 1 else None)
        except FetchError as error:
            if error.status not in (404, 410):
                report(error.url, error.reason)
            return
        root = parse(response.content)
        items = [_item(e, response.url) for e in (root.iter() if root is not None else []) if local(e.tag) in ("item", "entry")]
        fresh = [i for i in items if i and i.link not in seen]
        if not fresh:
            return
        for item in fresh:
            seen.add(item.link)
            yield item


def _item(elem, base) -> FeedItem | None:
    fields = {}
    for child in elem:
        name = local(child.tag)
        if name == "link" and child.get("href"):
            fields.setdefault("link", child.get("href"))
        elif child.text:
            fields.setdefault(name, child.text.strip())
    link = fields.get("link")
    if not link:
        return None
    guid = fields.get("guid") or fields.get("id") or ""
    ids = parse_qs(urlsplit(guid).query).get("p")
    return FeedItem(urljoin(base, link), int(ids[0]) if ids and ids[0].isdigit() else None, fields.get("title"))


def feed_url(home_html: str, site_url: str) -> str:
    """The posts feed the home page announces, else WordPress's /feed/."""
    for match in re.finditer(r'<link[^>]+type=["\']application/(?:rss|atom)\+xml["\'][^>]*>', home_html):
        href = re.search(r'href=["\']([^"\']+)', match.group(0))
        if href and "comments" not in href.group(1):
            return urljoin(site_url, href.group(1))
    return urljoin(site_url, "/feed/")
