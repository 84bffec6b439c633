"""A blog's RSS/Atom feed, page by page (?paged=N): the links of its posts, and the posts
themselves as the feed shows them (known by URL and guid: a feed's guid is not a post id, as
posts moved from another blog keep the old blog's guid)."""
import email.utils
import re
from dataclasses import dataclass
from datetime import timezone
from urllib.parse import urljoin

from ..errors import FetchError, HostileInputError
from ..model import Post, Problem
from ..text import wp_date
from ..web import Fetcher
from .problems import skipped
from .safe_xml import local, parse

MAX_FEED_PAGES = 1000
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


@dataclass
class FeedItem:
    link: str
    title: str | None = None
    guid: str | None = None
    date_gmt: str | None = None
    content: str | None = None
    summary: str | None = None


def feed_items(fetcher: Fetcher, feed_url: str, first=None):
    """Items of every page of the feed, until a page adds nothing new; Problems in-band. `first`
    is page 1's response when the caller fetched it already (a conditional GET)."""
    seen = set()
    for page in range(1, MAX_FEED_PAGES + 1):
        try:
            response = first if page == 1 and first is not None else fetcher.get(
                feed_url, params={"paged": page} if page > 1 else None)
        except FetchError as error:
            if error.status not in (404, 410):
                yield skipped(error)
            return
        try:
            fresh = [i for i in items_of(response) if i.link not in seen]
        except HostileInputError as refused:
            yield Problem(str(refused), "feed refused; the run went on")
            return
        if not fresh:
            return
        for item in fresh:
            seen.add(item.link)
            yield item


def items_of(response) -> list[FeedItem]:
    """The items of one feed page."""
    root = parse(response.content, response.url)
    items = [_item(e, response.url) for e in (root.iter() if root is not None else [])
             if local(e.tag) in ("item", "entry")]
    return [item for item in items if item]


def feed_posts(fetcher: Fetcher, feed_url: str):
    """Every post the feed shows, as far as it shows it; Problems in-band."""
    for item in feed_items(fetcher, feed_url):
        if isinstance(item, Problem):
            yield item
            continue
        yield Post(wp_id=None, type="post", status="publish", title=item.title, url=item.link, guid=item.guid,
                   date_gmt=item.date_gmt, content=item.content, excerpt=item.summary)


def _item(elem, base) -> FeedItem | None:
    fields = {}
    for child in elem:
        name = CONTENT if child.tag == CONTENT else local(child.tag)
        if name == "link" and child.get("href"):
            fields.setdefault("link", child.get("href"))
        elif child.text:
            fields.setdefault(name, child.text.strip())
    link = fields.get("link")
    if not link:
        return None
    return FeedItem(urljoin(base, link), fields.get("title"), fields.get("guid") or fields.get("id"),
                    _gmt(fields.get("pubDate") or fields.get("published")),
                    fields.get(CONTENT) or fields.get("content"), fields.get("description") or fields.get("summary"))


def _gmt(value: str | None) -> str | None:
    """An RSS (RFC 822) or Atom (RFC 3339) date in UTC."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return wp_date(value) if value.endswith(("Z", "+00:00")) else None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if moment.tzinfo else None


def comments_feed_url(site_url: str) -> str:
    """The site's comments feed, which WordPress dates by its last modified post and its last
    comment: one conditional GET tells whether anything changed. A query works under every
    permalink setting."""
    return urljoin(site_url, "?feed=comments-rss2")


def post_comments_feed_url(post_url: str) -> str:
    """A post's own comments feed (pingbacks and trackbacks included, with their dates)."""
    if "?" in post_url:
        return f"{post_url}&feed=rss2"
    return post_url.split("#")[0].rstrip("/") + "/feed/"


def comment_id_of(link: str) -> int | None:
    """The comment id in a comment's permalink (`...#comment-12`)."""
    match = re.search(r"#comment-(\d+)$", link)
    return int(match.group(1)) if match else None


def feed_url(home_html: str, site_url: str) -> str:
    """The posts feed the home page announces, else WordPress's /feed/."""
    for match in re.finditer(r'<link[^>]+type=["\']application/(?:rss|atom)\+xml["\'][^>]*>', home_html):
        href = re.search(r'href=["\']([^"\']+)', match.group(0))
        if href and "comments" not in href.group(1):
            return urljoin(site_url, href.group(1))
    return urljoin(site_url, "/feed/")
