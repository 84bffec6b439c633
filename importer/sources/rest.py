"""A live WordPress through its REST API (/wp-json/ or ?rest_route=), as anonymous readers see it.

Users, terms of every public taxonomy, every public post type (posts, pages, media, custom
types) and approved comments, 100 to a page, only the fields the archive keeps. Pingbacks and
trackbacks are hidden from anonymous REST readers; the scraper fills them in from the pages.

A later run first asks the comments feed, conditionally, whether anything changed: WordPress
dates it by the last modified post and the last comment, so an unchanged blog answers 304. Only
then are posts modified since the cursor listed, and users and terms only when a changed post
names one the archive does not hold.
"""
import json
import math
import re
from datetime import datetime, timedelta
from urllib.parse import urljoin

from ..errors import FetchError
from ..model import Author, Comment, Inventory, Post, Problem, Site, SyncState, Term, TermRef
from ..text import wp_date
from ..web import Fetcher
from .feeds import comments_feed_url
from .pages import changed_since, dated_from_feed, page_comments, validators
from .problems import problems_of, skipped

API_REL = "https://api.w.org/"
PRIVATE_TYPES = {"nav_menu_item", "wp_block", "wp_template", "wp_template_part", "wp_navigation",
                 "wp_global_styles", "wp_font_family", "wp_font_face"}
POST_FIELDS = ("id", "date", "date_gmt", "modified", "modified_gmt", "slug", "status", "type", "link", "guid",
               "title", "content", "excerpt", "author", "parent", "menu_order", "comment_status", "ping_status",
               "sticky", "source_url")
COMMENT_FIELDS = "id,post,parent,author,author_name,author_url,date,date_gmt,content,type,status"
PER_PAGE = 100
MAX_PAGES = 10_000


def find_api_root(fetcher: Fetcher, url: str, home=None) -> str | None:
    """The REST root a site announces (Link header or <link>), else /wp-json/ or ?rest_route=/."""
    candidates = []
    if home is not None:
        links = re.findall(r'<([^>]+)>;\s*rel="https://api\.w\.org/"', home.headers.get("link", ""))
        candidates += links
        candidates += re.findall(r'<link[^>]+rel=["\']https://api\.w\.org/["\'][^>]*href=["\']([^"\']+)', home.text)
    candidates += [urljoin(url, "/wp-json/"), urljoin(url, "/?rest_route=/")]
    for candidate in dict.fromkeys(candidates):
        try:
            index = RestAPI(fetcher, candidate).get("/")
        except FetchError:
            continue
        if isinstance(index, dict) and "wp/v2" in index.get("namespaces", []):
            return candidate
    return None


class RestAPI:
    def __init__(self, fetcher: Fetcher, root: str):
        self.fetcher, self.root = fetcher, root

    def _where(self, route: str, params: dict) -> tuple[str, dict]:
        if "rest_route=" in self.root:
            return self.root.split("?")[0], {"rest_route": route, **params}
        return self.root.rstrip("/") + route, params

    def get(self, route: str, **params):
        url, params = self._where(route, params)
        return self.fetcher.get(url, params=params).json()

    def pages(self, route: str, start: int = 1, at=None, **params):
        """Every item of a collection, following X-WP-TotalPages as far as X-WP-Total can need; a
        listing whose pages repeat or never end is stopped with a FetchError saying so. A resumed
        listing starts at page `start`; `at(page)` is told each page before it is asked for."""
        page, total, previous = start, start, None
        while page <= total:
            if at:
                at(page)
            url, query = self._where(route, {**params, "per_page": PER_PAGE, "page": page})
            response = self.fetcher.get(url, params=query)
            total = _page_count(response.headers)
            items = response.json()
            if not isinstance(items, list):
                raise FetchError(response.url, "expected a list of items")
            ids = [item.get("id") for item in items if isinstance(item, dict)]
            if page > 1 and ids and ids == previous:
                raise FetchError(response.url, f"page {page} repeats page {page - 1}; listing stopped")
            previous = ids
            yield from items
            page += 1


def _page_count(headers) -> int:
    """Pages a listing has: X-WP-TotalPages, but never more than X-WP-Total items can fill, nor
    more than MAX_PAGES (a million posts)."""
    pages = int(headers.get("x-wp-totalpages") or 1) if (headers.get("x-wp-totalpages") or "1").isdigit() else 1
    items = headers.get("x-wp-total") or ""
    if items.isdigit():
        pages = min(pages, math.ceil(int(items) / PER_PAGE))
    return min(pages, MAX_PAGES)


def collect(site, api: "RestAPI | None" = None, via: str = "rest"):
    """Records of a blog through its REST API: everything on the first run (or with --full),
    else what changed since the last; then the pages of posts that changed, for the pingbacks
    and trackbacks REST hides; with --full, the ids of every public post, so what is gone can be
    marked. Ends with the state the next run starts from."""
    api = api or RestAPI(site.fetcher, site.state.get("rest_root") or site.found.rest_root)
    if site.first_run and site.state.get("resumable") and via == "rest":
        from .rest_resume import resumable

        return (yield from resumable(site, api))
    gate = site.state.get("gate") or comments_feed_url(site.url)
    cursors = site.cursors()
    incremental = bool(cursors) and not site.first_run
    unchanged, response = yield from changed_since(site, gate, check=incremental and not site.full)
    if unchanged:
        yield Site(url=site.url)  # nothing more to ask
        return
    if site.full:
        cursors.pop("comments", None)  # edits and re-approvals show no date: read every comment
    state = {"via": via, "rest_root": api.root if via == "rest" else "", "gate": gate, **validators(response)}
    since = {key: _second_before(value) for key, value in cursors.items() if value}
    if incremental and not site.full and site.state.get("types"):
        listing = _changes(api, site, since, json.loads(site.state["types"]))
    else:
        listing = _everything(api, site.url, since, state)
    newest, changed, listed = dict(cursors), [], set()
    for record in listing:
        if isinstance(record, (Post, Comment)) and (_moment(record) or "") > newest.get(_cursor(record), ""):
            newest[_cursor(record)] = _moment(record)
        if isinstance(record, Post) and record.type in ("post", "page") and record.status == "publish" and record.url:
            changed.append((record.wp_id, record.url))
        elif isinstance(record, Comment):
            listed.add(record.wp_id)
        yield record
    if site.pages:
        yield from _hidden_comments(site, changed, site.known.comments | listed)
    if site.full:
        posts = yield from live_ids(api)
        if posts is not None:
            yield Inventory(posts, listed)
    yield SyncState({**state, "cursors": json.dumps(newest, sort_keys=True)})


def _everything(api, site_url, since, state):
    """Site, authors, terms, every public post type (after `since` where it has a moment),
    comments; the post types are remembered for later runs."""
    index = api.get("/")
    yield Site(url=index.get("home") or site_url, title=index.get("name"), description=index.get("description"))
    yield from _authors(api)
    taxonomies = yield from _taxonomies(api)
    terms = {}
    for taxonomy, base in taxonomies.items():
        yield from _terms_into(terms, api, taxonomy, base)
    types = yield from _types(api, taxonomies)
    state["types"] = json.dumps(types, sort_keys=True)
    for post_type, spec in types.items():
        for post, term_ids in _posts(api, post_type, spec, since.get(post_type)):
            if isinstance(post, Problem):
                yield post
                continue
            _name_terms(post, term_ids, terms)
            yield post
    yield from _comments(api, since.get("comments"), set())


def _changes(api, site, since, types):
    """What changed since the cursors: posts modified after them (those the archive holds at
    the same modified_gmt left out), comments newer than theirs; users and terms fetched only
    when a changed post names one the archive does not hold."""
    known = site.known
    yield Site(url=site.url)
    changed = []
    for post_type, spec in types.items():
        for post, term_ids in _posts(api, post_type, spec, since.get(post_type)):
            if isinstance(post, Problem):
                yield post
            elif known.posts.get(post.wp_id) != post.modified_gmt or post.wp_id not in known.posts:
                changed.append((post, term_ids))
    if any(p.author_wp_id and p.author_wp_id not in known.authors for p, _ in changed):
        yield from _authors(api)
    terms = dict(known.terms)
    missing = {taxonomy for _, term_ids in changed for taxonomy, ids in term_ids.items()
               if any((taxonomy, i) not in terms for i in ids)}
    bases = {taxonomy: base for spec in types.values() for taxonomy, base in spec["rest_bases"].items()}
    for taxonomy in sorted(missing):
        yield from _terms_into(terms, api, taxonomy, bases.get(taxonomy))
    for post, term_ids in changed:
        _name_terms(post, term_ids, terms)
        yield post
    yield from _comments(api, since.get("comments"), known.comments)


def _terms_into(terms: dict, api, taxonomy: str, base: str | None):
    """The taxonomy's terms, yielded and kept in `terms` as (taxonomy, id) -> (slug, name)."""
    for term in (yield from _terms(api, taxonomy, base)):
        terms[(taxonomy, term.wp_id)] = (term.slug, term.name)
        yield term


def _name_terms(post, term_ids: dict, terms: dict):
    for taxonomy, ids in term_ids.items():
        for term_id in ids:
            if (taxonomy, term_id) in terms:
                slug, name = terms[(taxonomy, term_id)]
                post.terms.append(TermRef(taxonomy, slug, name))


def _hidden_comments(site, posts, known: set[int]):
    """What the posts' pages show that REST did not: pingbacks and trackbacks, dated from the
    post's comment feed where the theme hides their dates."""
    for wp_id, link in posts:
        found = []
        yield from problems_of(page_comments(site.fetcher, link), found)
        hidden = [c for c in found if c.wp_id not in known]
        yield from dated_from_feed(site.fetcher, link, hidden)
        for comment in hidden:
            comment.post_wp_id = wp_id
            yield comment


def _cursor(record) -> str:
    return "comments" if isinstance(record, Comment) else record.type


def _moment(record) -> str | None:
    return record.date_gmt if isinstance(record, Comment) else record.modified


def _second_before(cursor: str) -> str:
    """The cursor minus a second: WordPress's `modified_after` is exclusive, and a post saved in
    the cursor's own second must not be missed. What comes back unchanged is left out by its
    modified_gmt, not read again."""
    return (datetime.strptime(cursor, "%Y-%m-%d %H:%M:%S") - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")


def _comments(api, since, known: set[int], paging=None):
    """Comments, newest first down to the cursor (or all, oldest first); those the archive
    holds from before the cursor's second are left out."""
    order = {"orderby": "date_gmt", "order": "desc"} if since else {"orderby": "id", "order": "asc"}
    try:
        for item in api.pages("/wp/v2/comments", _fields=COMMENT_FIELDS, **(paging or {}), **order):
            comment = _comment(item)
            if since and (comment.date_gmt or "") < since:
                break  # newest first: everything after this was seen by an earlier run
            if comment.wp_id not in known:
                yield comment
    except FetchError as error:
        yield skipped(error)


def live_ids(api: RestAPI):
    """Ids of every public post, by type (a full reconciliation reads only these, not bodies);
    returns None, after a Problem, when they cannot be read."""
    try:
        types = api.get("/wp/v2/types")
        return {t: {item["id"] for item in api.pages(f"/wp/v2/{spec['rest_base']}", _fields="id")}
                for t, spec in types.items() if t not in PRIVATE_TYPES and spec.get("rest_base")}
    except FetchError as error:
        yield skipped(error, "ids not readable, deletions not checked: ")
        return None


def _collection(api, route):
    try:
        return api.get(route)
    except FetchError as error:
        yield skipped(error)
        return None


def _taxonomies(api) -> dict[str, str]:
    """Public taxonomies and their REST bases."""
    taxonomies = (yield from _collection(api, "/wp/v2/taxonomies")) or {}
    return {t: spec["rest_base"] for t, spec in taxonomies.items()
            if spec.get("rest_base") and not set(spec.get("types") or []) <= PRIVATE_TYPES}


def _types(api, taxonomies: dict[str, str]) -> dict[str, dict]:
    """Public post types: their REST base and the REST bases of their taxonomies."""
    types = (yield from _collection(api, "/wp/v2/types")) or {}
    return {t: {"rest_base": spec["rest_base"],
                "rest_bases": {tax: taxonomies[tax] for tax in spec.get("taxonomies", []) if tax in taxonomies}}
            for t, spec in types.items() if t not in PRIVATE_TYPES and spec.get("rest_base")}


def _authors(api):
    try:
        for user in api.pages("/wp/v2/users", _fields="id,name,url,slug"):
            yield Author(login=None, wp_id=user["id"], display_name=user.get("name"), url=user.get("url") or None,
                         nicename=user.get("slug"))
    except FetchError as error:
        yield skipped(error, "users not readable: ")


def _terms(api, taxonomy, base):
    if not base:
        return []
    try:
        items = list(api.pages(f"/wp/v2/{base}", _fields="id,name,slug,description,parent"))
    except FetchError as error:
        yield skipped(error, f"{taxonomy} not readable: ")
        return []
    slugs = {item["id"]: item["slug"] for item in items}
    return [Term(taxonomy=taxonomy, slug=item["slug"], name=item.get("name"), wp_id=item["id"],
                 description=item.get("description"), parent_slug=slugs.get(item.get("parent")))
            for item in items]


def _posts(api, post_type, spec, since, paging=None):
    """(Post, {taxonomy: term ids}) of one type, newest-modified first after `since`, else all;
    a Problem (and the end) when the listing cannot be read. `paging`: where a resumed listing
    starts (RestAPI.pages' start, at)."""
    bases = spec["rest_bases"]
    fields = ",".join(POST_FIELDS + tuple(bases.values()))
    order = {"orderby": "id", "order": "asc"}  # stable paging for a whole read; ties in modified are not
    if since:
        order = {"orderby": "modified", "order": "desc", "modified_after": since.replace(" ", "T")}
    try:
        for item in api.pages(f"/wp/v2/{spec['rest_base']}", _fields=fields, **(paging or {}), **order):
            post = _post(item, post_type)
            if since and (post.modified or "") < since:
                break  # newest first: everything after this was seen by an earlier run
            yield post, {taxonomy: item.get(base) or [] for taxonomy, base in bases.items()}
    except FetchError as error:
        yield skipped(error, f"{post_type} not readable: "), {}


def _rendered(value):
    if isinstance(value, dict):
        if value.get("protected"):
            return None  # a password-protected text: anonymous readers are shown nothing
        return value.get("rendered")
    return value


def _post(item, post_type) -> Post:
    return Post(
        wp_id=item["id"], type=item.get("type") or post_type, status=item.get("status"),
        title=_rendered(item.get("title")), slug=item.get("slug"), url=item.get("link"),
        guid=_rendered(item.get("guid")), date=wp_date(item.get("date")), date_gmt=wp_date(item.get("date_gmt")),
        modified=wp_date(item.get("modified")), modified_gmt=wp_date(item.get("modified_gmt")),
        author_wp_id=item.get("author") or None, parent_wp_id=item.get("parent"),
        menu_order=item.get("menu_order"), content=_rendered(item.get("content")) or None,
        excerpt=_rendered(item.get("excerpt")) or None, comment_status=item.get("comment_status"),
        ping_status=item.get("ping_status"), sticky=int(item["sticky"]) if "sticky" in item else None,
        attachment_url=item.get("source_url"))


def _comment(item) -> Comment:
    return Comment(
        wp_id=item["id"], post_wp_id=item.get("post"), parent_wp_id=item.get("parent"),
        user_wp_id=item.get("author") or None, author_name=item.get("author_name"),
        author_url=item.get("author_url") or None, date=wp_date(item.get("date")),
        date_gmt=wp_date(item.get("date_gmt")), content=_rendered(item.get("content")),
        type=item.get("type") or "comment", status=item.get("status"))
