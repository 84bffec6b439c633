"""A live WordPress through its REST API (/wp-json/ or ?rest_route=), as anonymous readers see it.

Users, terms of every public taxonomy, every public post type (posts, pages, media, custom
types) and approved comments, 100 to a page, only the fields the archive keeps. Pingbacks and
trackbacks are hidden from anonymous REST readers; the scraper fills them in from the pages.
"""
import re
from datetime import datetime, timedelta
from urllib.parse import urljoin

from ..web import Fetcher, FetchError
from ..model import Author, Comment, Post, Site, Term, TermRef
from ..text import wp_date

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


def rest_records(api: RestAPI, site_url: str, report, cursors: dict | None = None):
    """Site, authors, terms, posts of each public type, then comments. `report(url, reason)`
    notes what could not be read; the run goes on without it.

    With `cursors` (from a previous run: {'post': '2024-01-01 10:00:00', ..., 'comments': ...})
    posts come newest-modified first and stop at the cursor, comments newest first and stop at
    theirs, so an unchanged blog costs one request per collection. `cursors` is updated in place."""
    index = api.get("/")
    yield Site(url=index.get("home") or site_url, title=index.get("name"), description=index.get("description"))
    yield from _authors(api, report)
    terms = {}
    taxonomies = _collection(api, "/wp/v2/taxonomies", report) or {}
    taxonomies = {t: spec for t, spec in taxonomies.items()
                  if not set(spec.get("types") or []) <= PRIVATE_TYPES}
    for taxonomy, spec in taxonomies.items():
        for term in _terms(api, taxonomy, spec, report):
            terms[(taxonomy, term.wp_id)] = term
            yield term
    bases = {t: spec["rest_base"] for t, spec in taxonomies.items() if spec.get("rest_base")}
    types = _collection(api, "/wp/v2/types", report) or {}
    for post_type, spec in types.items():
        if post_type in PRIVATE_TYPES or not spec.get("rest_base"):
            continue
        yield from _posts(api, post_type, spec, bases, terms, report, cursors)
    yield from _comments(api, report, cursors)


def _since(cursors, key):
    """A cursor minus a day: WordPress compares site-local times, and clocks and offsets drift."""
    if cursors is None or not cursors.get(key):
        return None
    moment = datetime.strptime(cursors[key], "%Y-%m-%d %H:%M:%S") - timedelta(days=1)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _advance(cursors, key, value):
    if cursors is not None and value and value > (cursors.get(key) or ""):
        cursors[key] = value


def _comments(api, report, cursors):
    since = _since(cursors, "comments")
    order = {"orderby": "date_gmt", "order": "desc"} if since else {"orderby": "id", "order": "asc"}
    try:
        for item in api.pages("/wp/v2/comments", _fields=COMMENT_FIELDS, **order):
            comment = _comment(item)
            if since and (comment.date_gmt or "") < since:
                break
            _advance(cursors, "comments", comment.date_gmt)
            yield comment
    except FetchError as error:
        report(error.url, error.reason)


def live_ids(api: RestAPI, report) -> dict[str, set[int]] | None:
    """Ids of every public post, by type: a full reconciliation reads only these, not bodies."""
    try:
        types = api.get("/wp/v2/types")
        return {t: {item["id"] for item in api.pages(f"/wp/v2/{spec['rest_base']}", _fields="id")}
                for t, spec in types.items() if t not in PRIVATE_TYPES and spec.get("rest_base")}
    except FetchError as error:
        report(error.url, f"ids not readable, deletions not checked: {error.reason}")
        return None


def _collection(api, route, report):
    try:
        return api.get(route)
    except FetchError as error:
        report(error.url, error.reason)
        return None


def _authors(api, report):
    try:
        for user in api.pages("/wp/v2/users", _fields="id,name,url,slug"):
            yield Author(login=None, wp_id=user["id"], display_name=user.get("name"), url=user.get("url") or None,
                         nicename=user.get("slug"))
    except FetchError as error:
        report(error.url, f"users not readable: {error.reason}")


def _terms(api, taxonomy, spec, report):
    if not spec.get("rest_base"):
        return []
    try:
        items = list(api.pages(f"/wp/v2/{spec['rest_base']}", _fields="id,name,slug,description,parent"))
    except FetchError as error:
        report(error.url, f"{taxonomy} not readable: {error.reason}")
        return []
    slugs = {item["id"]: item["slug"] for item in items}
    return [Term(taxonomy=taxonomy, slug=item["slug"], name=item.get("name"), wp_id=item["id"],
                 description=item.get("description"), parent_slug=slugs.get(item.get("parent")))
            for item in items]


def _posts(api, post_type, spec, bases, terms, report, cursors):
    taxonomies = [t for t in spec.get("taxonomies", []) if t in bases]
    fields = ",".join(POST_FIELDS + tuple(bases[t] for t in taxonomies))
    since = _since(cursors, post_type)
    order = {"orderby": "id", "order": "asc"}  # stable paging for a whole read; ties in modified are not
    if since:
        order = {"orderby": "modified", "order": "desc", "modified_after": since.replace(" ", "T")}
    try:
        for item in api.pages(f"/wp/v2/{spec['rest_base']}", _fields=fields, **order):
            post = _post(item, post_type)
            if since and (post.modified or "") < since:
                break  # newest first: everything after this was seen by an earlier run
            _advance(cursors, post_type, post.modified)
            for taxonomy in taxonomies:
                for term_id in item.get(bases[taxonomy]) or []:
                    term = terms.get((taxonomy, term_id))
                    if term:
                        post.terms.append(TermRef(taxonomy, term.slug, term.name))
            yield post
    except FetchError as error:
        report(error.url, f"{post_type} not readable: {error.reason}")


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
