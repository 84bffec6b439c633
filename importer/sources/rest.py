"""A live WordPress through its REST API (/wp-json/ or ?rest_route=), as anonymous readers see it.

Users, terms of every public taxonomy, every public post type (posts, pages, media, custom
types) and approved comments, 100 to a page, only the fields the archive keeps. Pingbacks and
trackbacks are hidden from anonymous REST readers; the scraper fills them in from the pages.
"""
import json
import re
from datetime import datetime, timedelta
from urllib.parse import urljoin

from ..errors import FetchError
from ..model import Author, Comment, Inventory, Post, Problem, Site, SyncState, Term, TermRef
from ..text import wp_date
from ..web import Fetcher
from .pages import page_comments
from .problems import skipped

API_REL = "https://api.w.org/"
PRIVATE_TYPES = {"nav_menu_item", "wp_block", "wp_template", "wp_template_part", "wp_navigation",
                 "wp_global_styles", "wp_font_family", "wp_font_face"}
POST_FIELDS = ("id", "date", "date_gmt", "modified", "modified_gmt", "slug", "status", "type", "link", "guid",
               "title", "content", "excerpt", "author", "parent", "menu_order", "comment_status", "ping_status",
               "sticky", "source_url")
COMMENT_FIELDS = "id,post,parent,author,author_name,author_url,date,date_gmt,content,type,status"


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

    def pages(self, route: str, **params):
        """Every item of a collection, following X-WP-TotalPages."""
        page, total = 1, 1
        while page <= total:
            url, query = self._where(route, {**params, "per_page": 100, "page": page})
            response = self.fetcher.get(url, params=query)
            total = int(response.headers.get("x-wp-totalpages") or 1)
            items = response.json()
            if not isinstance(items, list):
                raise FetchError(response.url, "expected a list of items")
            yield from items
            page += 1


def collect(site, api: "RestAPI | None" = None, via: str = "rest"):
    """Records of a blog through its REST API, from where the last run stopped (everything on
    the first); then the pages of posts that changed, for the pingbacks and trackbacks REST
    hides; with --full, the ids of every public post, so what is gone can be marked. Ends with
    the state the next run starts from."""
    api = api or RestAPI(site.fetcher, site.state.get("rest_root") or site.found.rest_root)
    cursors = site.cursors()
    if site.full:
        cursors.pop("comments", None)  # edits and re-approvals show no date: read every comment
    since = {key: _with_margin(value) for key, value in cursors.items() if value}
    newest, changed, listed = dict(cursors), [], set()
    for record in rest_records(api, site.url, since, lambda r: (_moment(r) or "") < since[_cursor(r)]):
        if isinstance(record, (Post, Comment)) and _moment(record) and _moment(record) > newest.get(_cursor(record), ""):
            newest[_cursor(record)] = _moment(record)
        if isinstance(record, Post) and record.type in ("post", "page") and record.status == "publish" and record.url:
            changed.append((record.wp_id, record.url))
        elif isinstance(record, Comment):
            listed.add(record.wp_id)
        yield record
    if site.pages:
        yield from _hidden_comments(site, changed, site.known_comments | listed)
    if site.full:
        posts = yield from live_ids(api)
        if posts is not None:
            yield Inventory(posts, listed)
    yield SyncState({"via": via, "rest_root": api.root if via == "rest" else "",
                     "cursors": json.dumps(newest, sort_keys=True)})


def _hidden_comments(site, posts, known: set[int]):
    """What the posts' pages show that REST did not: pingbacks and trackbacks."""
    for wp_id, link in posts:
        for found in page_comments(site.fetcher, link):
            if isinstance(found, Problem):
                yield found
            elif found.wp_id not in known:
                found.post_wp_id = wp_id
                yield found


def _cursor(record) -> str:
    return "comments" if isinstance(record, Comment) else record.type


def _moment(record) -> str | None:
    return record.date_gmt if isinstance(record, Comment) else record.modified


def _with_margin(cursor: str) -> str:
    """A cursor minus a day: WordPress compares site-local times, and clocks and offsets drift."""
    return (datetime.strptime(cursor, "%Y-%m-%d %H:%M:%S") - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")


def rest_records(api: RestAPI, site_url: str, since: dict | None = None, stop_when=None):
    """Site, authors, terms, posts of each public type, then comments; Problems in-band for what
    could not be read (the run goes on without it).

    `since` ({'post': '2024-01-01 10:00:00', ..., 'comments': ...}) asks for posts modified after
    those moments, newest-modified first, and comments newest first; `stop_when(record)` ends a
    listing at the first record an earlier run has seen, so an unchanged blog costs one request
    per collection."""
    index = api.get("/")
    yield Site(url=index.get("home") or site_url, title=index.get("name"), description=index.get("description"))
    yield from _authors(api)
    terms = {}
    taxonomies = yield from _collection(api, "/wp/v2/taxonomies")
    taxonomies = {t: spec for t, spec in (taxonomies or {}).items()
                  if not set(spec.get("types") or []) <= PRIVATE_TYPES}
    for taxonomy, spec in taxonomies.items():
        for term in (yield from _terms(api, taxonomy, spec)):
            terms[(taxonomy, term.wp_id)] = term
            yield term
    bases = {t: spec["rest_base"] for t, spec in taxonomies.items() if spec.get("rest_base")}
    types = (yield from _collection(api, "/wp/v2/types")) or {}
    for post_type, spec in types.items():
        if post_type in PRIVATE_TYPES or not spec.get("rest_base"):
            continue
        yield from _posts(api, post_type, spec, bases, terms, (since or {}).get(post_type), stop_when)
    yield from _comments(api, (since or {}).get("comments"), stop_when)


def _comments(api, since, stop_when):
    order = {"orderby": "date_gmt", "order": "desc"} if since else {"orderby": "id", "order": "asc"}
    try:
        for item in api.pages("/wp/v2/comments", _fields=COMMENT_FIELDS, **order):
            comment = _comment(item)
            if since and stop_when and stop_when(comment):
                break
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


def _authors(api):
    try:
        for user in api.pages("/wp/v2/users", _fields="id,name,url,slug"):
            yield Author(login=None, wp_id=user["id"], display_name=user.get("name"), url=user.get("url") or None,
                         nicename=user.get("slug"))
    except FetchError as error:
        yield skipped(error, "users not readable: ")


def _terms(api, taxonomy, spec):
    if not spec.get("rest_base"):
        return []
    try:
        items = list(api.pages(f"/wp/v2/{spec['rest_base']}", _fields="id,name,slug,description,parent"))
    except FetchError as error:
        yield skipped(error, f"{taxonomy} not readable: ")
        return []
    slugs = {item["id"]: item["slug"] for item in items}
    return [Term(taxonomy=taxonomy, slug=item["slug"], name=item.get("name"), wp_id=item["id"],
                 description=item.get("description"), parent_slug=slugs.get(item.get("parent")))
            for item in items]


def _posts(api, post_type, spec, bases, terms, since, stop_when):
    taxonomies = [t for t in spec.get("taxonomies", []) if t in bases]
    fields = ",".join(POST_FIELDS + tuple(bases[t] for t in taxonomies))
    order = {"orderby": "id", "order": "asc"}  # stable paging for a whole read; ties in modified are not
    if since:
        order = {"orderby": "modified", "order": "desc", "modified_after": since.replace(" ", "T")}
    try:
        for item in api.pages(f"/wp/v2/{spec['rest_base']}", _fields=fields, **order):
            post = _post(item, post_type)
            if since and stop_when and stop_when(post):
                break  # newest first: everything after this was seen by an earlier run
            for taxonomy in taxonomies:
                for term_id in item.get(bases[taxonomy]) or []:
                    term = terms.get((taxonomy, term_id))
                    if term:
                        post.terms.append(TermRef(taxonomy, term.slug, term.name))
            yield post
    except FetchError as error:
        yield skipped(error, f"{post_type} not readable: ")


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
