"""The reader pages: a site's posts, and a post with its comment thread, provenance and earlier
versions, as Datasette routes of ours (README "Reading"; markup contract in notes: PLAN "Reader markup").

Old links keep working: /sites/<id>/p/<wp_id> and /sites/<id>/path/<permalink path> redirect to the
post's page. Pending, spam and trashed comments are shown only with ?all=1. A password-protected
post's content, earlier versions' text and comments are not shown, as WordPress does not show them.
"""
import html as entities
import re

from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from . import history, queries
from .access import ensure_can_read
from .media import archived_copies
from .sanitise import sanitised
from .thread import discussion

BASE = "/-/wparchive"
ID = re.compile(r"[0-9]{1,18}")  # what SQLite's integer holds
_BLOCKS = re.compile(r"<(?:p|div|h[1-6]|ul|ol|table|blockquote|pre|figure)\b|<!-- wp:", re.I)


def reader_routes() -> list:
    return [
        (rf"^{BASE}/sites/(?P<site_id>[0-9]{{1,18}})$", site_page),
        (rf"^{BASE}/sites/(?P<site_id>[0-9]{{1,18}})/p/(?P<wp_id>[0-9]{{1,18}})$", by_wp_id),
        (rf"^{BASE}/sites/(?P<site_id>[0-9]{{1,18}})/path/(?P<path>.*)$", by_path),
        (rf"^{BASE}/posts/(?P<post_id>[0-9]{{1,18}})$", post_page),
        (rf"^{BASE}/posts/(?P<post_id>[0-9]{{1,18}})/versions/(?P<version_id>[0-9]{{1,18}})$", version_page),
        (rf"^{BASE}/posts/(?P<post_id>[0-9]{{1,18}})/diff$", diff_page),
        (rf"^{BASE}/posts/(?P<post_id>[0-9]{{1,18}})/comments/(?P<comment_id>[0-9]{{1,18}})/versions$",
         comment_versions_page),
    ]


async def archive(datasette, request, *tables: str, holding: str = "posts"):
    """The served archive (the first database holding `holding` and comments), if the actor may
    read each of `tables` (posts when none is named)."""
    for name, db in datasette.databases.items():
        if not name.startswith("_") and await db.table_exists(holding) and await db.table_exists("comments"):
            for table in tables or ("posts",):
                await ensure_can_read(datasette, request.actor, name, table)
            return db
    raise NotFound("No wparchive archive is being served")


def number(request, name: str, default: int | None = None) -> int | None:
    value = request.args.get(name, "")
    return int(value) if ID.fullmatch(value) else default


def plain(value) -> str:
    """Titles and names as the blog showed them: WordPress keeps entities (&#8217;) in them."""
    return entities.unescape(value) if isinstance(value, str) else ("" if value is None else str(value))


async def render(datasette, request, template: str, context: dict) -> Response:
    base = {"reader": datasette.urls.path(BASE), "plain": plain}
    return Response.html(await datasette.render_template(template, {**base, **context}, request=request))


def content_html(html: str | None, copies: dict[str, str]) -> Markup:
    """Sanitised content, its media pointing at the archive's copies (copies: original URL ->
    route; a file not archived shows as its alt text and link); classic-editor text without block
    markup gets WordPress's paragraphs."""
    html = html or ""
    if "\n" in html and not _BLOCKS.search(html):
        html = "".join(f"<p>{block.strip().replace(chr(10), '<br>')}</p>"
                       for block in re.split(r"\n\s*\n", html) if block.strip())
    return Markup(sanitised(html, media=copies.get))


async def site_page(datasette, request):
    db = await archive(datasette, request)
    site_id = int(request.url_vars["site_id"])
    page = max(number(request, "page", 1), 1)
    month = request.args.get("month") if re.fullmatch(r"\d{4}-\d{2}", request.args.get("month", "")) else None
    term_id = number(request, "term")
    everything = request.args.get("all") == "1"

    def read(conn):
        found = queries.site(conn, site_id)
        if found is None:
            return None
        return {"site": found, "posts": queries.site_posts(conn, site_id, page, month, term_id, everything),
                "total": queries.count_posts(conn, site_id, month, term_id, everything),
                "unlisted": queries.unlisted(conn, site_id), "pages": queries.pages(conn, site_id),
                "months": queries.months(conn, site_id, everything),
                "categories": queries.categories(conn, site_id),
                "term": queries.term(conn, term_id) if term_id else None}

    data = await db.execute_fn(read)
    if data is None:
        raise NotFound(f"No site {site_id} in this archive")
    return await render(datasette, request, "wparchive_site.html", {
        **data, "page": page, "month": month, "term_id": term_id, "everything": everything,
        "last_page": max(-(-data["total"] // queries.PAGE_SIZE), 1), "database": db.name,
        "title": data["site"]["title"] or data["site"]["url"]})


async def by_wp_id(datasette, request):
    db = await archive(datasette, request)
    site_id, wp_id = int(request.url_vars["site_id"]), int(request.url_vars["wp_id"])
    return to_post(datasette, await db.execute_fn(lambda conn: queries.post_by_wp_id(conn, site_id, wp_id)),
                   f"No post {wp_id} on site {site_id}")


async def by_path(datasette, request):
    """An old link's path on the blog: ?p=N / ?page_id=N (WordPress's plain links) or the permalink."""
    db = await archive(datasette, request)
    site_id, path = int(request.url_vars["site_id"]), request.url_vars["path"]
    wp_id = number(request, "p") or number(request, "page_id") or number(request, "attachment_id")
    if wp_id:
        found = await db.execute_fn(lambda conn: queries.post_by_wp_id(conn, site_id, wp_id))
    else:
        found = await db.execute_fn(lambda conn: queries.post_by_path(conn, site_id, path))
    return to_post(datasette, found, f"No post at /{path} on site {site_id}")


def to_post(datasette, post_id: int | None, missing: str) -> Response:
    if post_id is None:
        raise NotFound(missing)
    return Response.redirect(datasette.urls.path(f"{BASE}/posts/{post_id}"))


async def post_page(datasette, request):
    db = await archive(datasette, request)
    post_id = int(request.url_vars["post_id"])
    everything = request.args.get("all") == "1"

    def read(conn):
        found = queries.post(conn, post_id)
        if found is None:
            return None
        return {"post": found, "terms": queries.post_terms(conn, post_id), "comments": queries.comments(conn, post_id),
                "versions": queries.versions(conn, post_id)}

    data = await db.execute_fn(read)
    if data is None:
        raise NotFound(f"No post {post_id} in this archive")
    post = data["post"]
    protected = bool(post["password"])
    talk = discussion([] if protected else data["comments"], everything)
    shown = [post["content"] or "", *(e.comment["content"] or "" for e in talk.thread)]
    copies = await archived_copies(datasette, db.name, "\n".join(shown), post["site_id"])
    return await render(datasette, request, "wparchive_post.html", {
        "post": post, "terms": data["terms"], "versions": data["versions"], "thread": talk.thread,
        "pings": talk.pings, "hidden": talk.hidden, "everything": everything, "database": db.name,
        "content": Markup("") if protected else content_html(post["content"], copies), "protected": protected,
        "comment_html": lambda c: content_html(c["content"], copies)})


async def version_page(datasette, request):
    db = await archive(datasette, request, "post_versions")
    post_id, version_id = int(request.url_vars["post_id"]), int(request.url_vars["version_id"])
    data = await db.execute_fn(lambda conn: (queries.post(conn, post_id), queries.version(conn, post_id, version_id)))
    post, version = data
    if post is None or version is None:
        raise NotFound(f"No version {version_id} of post {post_id}")
    protected = bool(post["password"])
    copies = {} if protected else await archived_copies(datasette, db.name, version["content"] or "", post["site_id"])
    return await render(datasette, request, "wparchive_version.html", {
        "post": post, "version": version, "protected": protected,
        "content": Markup("") if protected else content_html(version["content"], copies)})


async def diff_page(datasette, request):
    """What changed from one version (?from=) to another or to the post as archived now (?to=current)."""
    db = await archive(datasette, request, "post_versions")
    post_id = int(request.url_vars["post_id"])
    chosen = {side: request.args.get(side, "current") for side in ("from", "to")}

    def read(conn):
        post = queries.post(conn, post_id)
        if post is None:
            return None
        sides = {side: post if value == "current"
                 else ID.fullmatch(value) and queries.version(conn, post_id, int(value))
                 for side, value in chosen.items()}
        return {"post": post, **sides}

    data = await db.execute_fn(read)
    if not data or not data["from"] or not data["to"]:
        raise NotFound(f"No such versions of post {post_id}")
    protected = bool(data["post"]["password"])
    lines = [] if protected else history.diff(history.text_lines(data["from"]["title"], data["from"]["content"]),
                         history.text_lines(data["to"]["title"], data["to"]["content"]))
    labels = {side: "the post as archived now" if chosen[side] == "current"
              else f"the version replaced {data[side]['captured_at']}" for side in chosen}
    return await render(datasette, request, "wparchive_diff.html", {
        "post": data["post"], "lines": lines, "protected": protected, "from_label": labels["from"], "to_label": labels["to"]})


async def comment_versions_page(datasette, request):
    """A comment as archived now and each earlier text or status it had (comment_versions)."""
    db = await archive(datasette, request, "comment_versions")
    post_id, comment_id = int(request.url_vars["post_id"]), int(request.url_vars["comment_id"])

    def read(conn):
        post, found = queries.post(conn, post_id), queries.comment(conn, post_id, comment_id)
        return post and found and {"post": post, "comment": found, "versions": queries.comment_versions(conn, comment_id)}

    data = await db.execute_fn(read)
    if not data:
        raise NotFound(f"No comment {comment_id} on post {post_id}")
    protected = bool(data["post"]["password"])
    texts = [data["comment"]["content"] or "", *(v["content"] or "" for v in data["versions"])]
    copies = {} if protected else await archived_copies(datasette, db.name, "\n".join(texts), data["post"]["site_id"])
    return await render(datasette, request, "wparchive_comment_versions.html", {
        **data, "protected": protected, "comment_html": lambda c: content_html(c["content"], copies)})
