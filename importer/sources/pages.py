"""A blog read through its pages: each post's page and every comment page it links to, listed
by the sitemaps or the feed. Also how richer sources find what they hide (pingbacks and
trackbacks are hidden from anonymous REST readers)."""
from ..errors import FetchError
from ..model import Inventory, Post, Problem, Site, SyncState
from .feeds import feed_items, feed_posts
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
        post.comments = comments
        yield post


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


def collect(site, via: str = "html"):
    """Records of the site's pages. A first run (or --full) reads every listed post; later runs
    ask the feed conditionally whether anything changed and read the posts of its first page."""
    yield Site(url=site.url, title=site.found.title if site.first_run or site.full else None)
    feed = site.state.get("feed") or site.found.feed
    state = {"via": via, "feed": feed}
    if site.first_run or site.full:
        if via == "feed" and not site.full:
            yield from _feed_then_pages(site, feed)
        else:
            yield from _everything(site, feed_first=via == "feed")
        yield SyncState(state)
        return
    try:
        response = site.fetcher.get(feed, etag=site.state.get("feed_etag"), modified=site.state.get("feed_modified"))
    except FetchError as error:
        yield skipped(error)
        return
    if response.status == 304:
        return
    state["feed_etag"] = response.headers.get("etag") or ""
    state["feed_modified"] = response.headers.get("last-modified") or ""
    links = []
    for item in feed_items(site.fetcher, feed, first=response):
        if isinstance(item, Problem):
            yield item
        elif len(links) < FEED_CHECK_ITEMS:
            links.append(item.link)
        else:
            break
    yield from posts_from_pages(site.fetcher, site.url, links)
    yield SyncState(state)


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
