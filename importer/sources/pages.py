"""A blog read through its pages: each post's page and every comment page it links to, listed
by the sitemaps or the feed. Also how richer sources find what they hide (pingbacks and
trackbacks are hidden from anonymous REST readers)."""
import email.utils
import re
from urllib.parse import urljoin

from ..errors import FetchError, HostileInputError
from ..model import Inventory, Post, Problem, Site, SyncState
from .feeds import comment_id_of, comments_feed_url, feed_items, feed_posts, items_of, post_comments_feed_url
from .html import page_from_html
from .problems import problems_of, skipped
from .sitemap import sitemap_urls

MAX_COMMENT_PAGES = 500
FEED_CHECK_ITEMS = 50


def read_page(fetcher, link):
    """The page's post and comment links, or the Problem of a page that could not be read."""
    try:
        response = fetcher.get(link)
    except FetchError as error:
        return skipped(error)
    return page_from_html(response.content, response.url, response.encoding)


def all_comments(fetcher, page):
    """The comments of a post's page and of every comment page linked from it, to the end;
    Problems in-band for pages that could not be read."""
    comments = {c.wp_id: c for c in page.post.comments}
    queue, seen = list(page.comment_pages), set(page.comment_pages)
    while queue and len(seen) <= MAX_COMMENT_PAGES:
        more = read_page(fetcher, queue.pop(0))
        if isinstance(more, Problem):
            yield more
            continue
        if more.post is None:
            continue
        for c in more.post.comments:
            comments.setdefault(c.wp_id, c)
        for link in more.comment_pages:
            if link not in seen:
                seen.add(link)
                queue.append(link)
    yield from comments.values()


def dated_from_feed(fetcher, post_url, comments):
    """Fill the dates a theme hides (pingbacks and trackbacks often show none) from the post's
    comments feed; Problems in-band."""
    undated = {c.wp_id: c for c in comments if c.date_gmt is None and c.wp_id is not None}
    if not undated:
        return
    for item in feed_items(fetcher, post_comments_feed_url(post_url)):
        if isinstance(item, Problem):
            yield item
        elif comment_id_of(item.link) in undated and item.date_gmt:
            undated.pop(comment_id_of(item.link)).date_gmt = item.date_gmt


def page_comments(fetcher, link):
    """Every comment a post's pages show, comment pages included."""
    page = read_page(fetcher, link)
    if isinstance(page, Problem):
        yield page
    elif page.post is not None:
        yield from all_comments(fetcher, page)


def posts_from_pages(fetcher, url, links):
    """The post each page shows, with the comments of all its comment pages. A page without a
    WordPress id still gives its post, identified by URL until a source reveals the id."""
    category_slugs = {}
    for link in links:
        if link.rstrip("/") == url.rstrip("/"):
            continue  # the home page lists posts; it is not one
        page = read_page(fetcher, link)
        if isinstance(page, Problem):
            yield page
            continue
        if page.post is None:
            continue
        post = page.post
        if post.wp_id is None:
            yield Problem(f"{link}: no WordPress post id on the page", "kept, identified by its URL")
        comments = []
        yield from problems_of(all_comments(fetcher, page), comments)
        yield from dated_from_feed(fetcher, link, comments)
        post.comments = comments
        yield from _name_categories(fetcher, url, post, category_slugs)
        yield post


def _name_categories(fetcher, site_url, post, slugs: dict[int, str | None]):
    """Categories a page names only by id (`?cat=N`, plain permalinks) get their slug from the
    category's own page, read once per run; Problems in-band."""
    for ref in post.terms:
        if ref.slug or ref.wp_id is None:
            continue
        if ref.wp_id not in slugs:
            slugs[ref.wp_id] = yield from _category_slug(fetcher, urljoin(site_url, f"?cat={ref.wp_id}"), ref.wp_id)
        ref.slug = slugs[ref.wp_id] or ""
    post.terms = [ref for ref in post.terms if ref.slug]


def _category_slug(fetcher, link: str, wp_id: int):
    """The slug in a category page's body class (`category-<slug>` beside `category-<id>`)."""
    try:
        response = fetcher.get(link)
    except FetchError as error:
        yield skipped(error, "category slug unknown, the post's link to it left out: ")
        return None
    body = re.search(r"<body[^>]*\sclass=[\"']([^\"']*)", response.text)
    for name in (body.group(1).split() if body else []):
        if name.startswith("category-") and name != f"category-{wp_id}":
            return name.removeprefix("category-")
    return None


def listed_links(site, feed_first: bool):
    """Every post URL the sitemaps list, else the feed's (the feed first with --via feed)."""
    found = site.found
    listings = [lambda: sitemap_urls(site.fetcher, site.url, found.sitemaps),
                lambda: (item if isinstance(item, Problem) else item.link
                         for item in feed_items(site.fetcher, found.feed))]
    for listing in (reversed(listings) if feed_first else listings):
        links = []
        yield from problems_of(listing(), links)
        if links:
            yield from links
            return


def changed_since(site, gate: str, check: bool):
    """(unchanged, response) of a conditional GET of the site's comments feed with the last run's
    validators (`check`), or a plain GET that learns them; a failure is a Problem and counts as
    changed, so the run reads the listings."""
    etag, modified = (site.state.get("gate_etag"), site.state.get("gate_modified")) if check else (None, None)
    try:
        response = site.fetcher.get(gate, etag=etag or None, modified=modified or None)
    except FetchError as error:
        yield skipped(error, "change check failed: ")
        return False, None
    return response.status == 304, response


def validators(response) -> dict[str, str]:
    """What the next run sends to ask whether anything changed. None when the site changed in the
    second it answered: WordPress's validators have one-second resolution, so a change later in
    that second would look like no change."""
    if response is None or _changed_as_answered(response.headers):
        return {}
    return {"gate_etag": response.headers.get("etag") or "", "gate_modified": response.headers.get("last-modified") or ""}


def _changed_as_answered(headers) -> bool:
    try:
        modified = email.utils.parsedate_to_datetime(headers.get("last-modified") or "")
        answered = email.utils.parsedate_to_datetime(headers.get("date") or "")
    except (TypeError, ValueError):
        return False
    return abs((answered - modified).total_seconds()) <= 1


def collect(site, via: str = "html"):
    """Records of the site's pages. A first run (or --full) reads every listed post; a later run
    asks the comments feed conditionally whether anything changed (one 304 when nothing did),
    and reads the posts at the top of the feed and those with new comments."""
    reading_all = site.first_run or site.full
    yield Site(url=site.url, title=site.found.title if reading_all else None)
    feed = site.state.get("feed") or site.found.feed
    gate = site.state.get("gate") or comments_feed_url(site.url)
    unchanged, response = yield from changed_since(site, gate, check=not reading_all)
    if unchanged:
        return
    state = {"via": via, "feed": feed, "gate": gate, **validators(response)}
    if reading_all and via == "feed" and not site.full:
        yield from _feed_then_pages(site, feed)
    elif reading_all:
        yield from _everything(site, feed_first=via == "feed")
    else:
        links = []
        yield from problems_of(_recent_links(site, feed, response), links)
        yield from posts_from_pages(site.fetcher, site.url, dict.fromkeys(links))
    yield SyncState(state)


def collect_feed(site):
    """--via feed: the posts as the feed shows them first, then their pages."""
    return collect(site, via="feed")


def _recent_links(site, feed, comments_response):
    """Posts at the top of the feed, and the posts the newest comments belong to."""
    for number, item in enumerate(feed_items(site.fetcher, feed)):
        if isinstance(item, Problem) or number < FEED_CHECK_ITEMS:
            yield item if isinstance(item, Problem) else item.link
        else:
            break
    if comments_response is not None:  # the page already fetched: its newest comments
        try:
            yield from (item.link.split("#")[0] for item in items_of(comments_response))
        except HostileInputError as refused:
            yield Problem(str(refused), "comments feed refused; the run went on")


def _everything(site, feed_first: bool):
    links = []
    yield from problems_of(listed_links(site, feed_first), links)
    seen_posts: dict[str, set[int]] = {"post": set(), "page": set()}
    seen_comments: set[int] = set()
    for record in posts_from_pages(site.fetcher, site.url, links):
        if isinstance(record, Post) and record.type in seen_posts and record.wp_id is not None:
            seen_posts[record.type].add(record.wp_id)
            seen_comments.update(c.wp_id for c in record.comments)
        yield record
    if site.full:  # every page was read: what the site no longer lists is gone
        yield Inventory(seen_posts, seen_comments)


def _feed_then_pages(site, feed: str):
    """--via feed: each feed item as a post (known by its URL and guid), then, unless told not
    to read pages, its page, which reveals its WordPress id and its comments."""
    links = []
    for record in feed_posts(site.fetcher, feed):
        if isinstance(record, Post):
            links.append(record.url)
        yield record
    if site.pages:
        yield from posts_from_pages(site.fetcher, site.url, links)
