"""Table views that fit a screen: a content cell becomes a short plain-text excerpt, and sites' and
posts' titles and comments' excerpts link to the reader pages. Row pages keep the full sanitised HTML,
their titles (and a comment's wp_id) linking to the reader pages too.

Datasette 0.65 tells render_cell nothing about the page, so an ASGI wrapper notes the request's
path in a context variable (per request, like Datasette's own) and, on a table page, leaves out
the columns schema/metadata.json lists as default_hidden (content_text, provenance, private
columns) unless the user chose columns, with its html_defaults (fewer rows, no facet suggestions):
a page then fits a screen and comes quickly on a large archive.
"""
from contextvars import ContextVar
from urllib.parse import parse_qsl, unquote, urlencode

from markupsafe import Markup, escape

from ..text import html_to_text
from .reader import BASE
from .settings import source

EXCERPT_CHARS = 140
_SCAN_CHARS = 4000  # enough markup to find the first words of even a block-heavy post
TEXT_TABLES = ("posts", "comments", "sites")
request_path: ContextVar[str] = ContextVar("wparchive_request_path", default="")


def page_kind(path: str) -> str:
    """table, row, query (a database's custom SQL) or other, from a Datasette page's path."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if not parts or parts[0].startswith("-") or "." in parts[-1]:
        return "other"
    return {1: "query", 2: "table", 3: "row"}.get(len(parts), "other")


def html_defaults(spec: dict) -> dict[str, list[tuple[str, str]]]:
    """Per table, the arguments its HTML table page gets unless the user gave them: _nocol for each
    default_hidden column, and html_defaults (a page size; _nosuggest, as suggesting facets reads
    every column of a large table); the JSON API keeps Datasette's defaults."""
    defaults = {}
    for table, entry in spec["tables"].items():
        args = [("_nocol", column) for column in entry.get("default_hidden", [])]
        args += list(entry.get("html_defaults", {}).items())
        if args:
            defaults[table] = args
    return defaults


def with_defaults(path: str, query_string: bytes, defaults: dict[str, list[tuple[str, str]]]) -> bytes:
    """The query string a table page runs with; columns the user chose (_col / _nocol) are kept."""
    table = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    if page_kind(path) != "table" or table not in defaults:
        return query_string
    given = {key for key, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)}
    columns_chosen = bool(given & {"_col", "_nocol"})
    extra = [(key, value) for key, value in defaults[table]
             if key not in given and not (key == "_nocol" and columns_chosen)]
    if not extra:
        return query_string
    added = urlencode(extra).encode("ascii")
    return query_string + b"&" + added if query_string else added


def table_views(app):
    """ASGI wrapper: remembers the path for render_cell, trims table pages to their default columns."""
    defaults = html_defaults(source())

    async def wrapped(scope, receive, send):
        if scope.get("type") != "http":
            return await app(scope, receive, send)
        path = scope.get("path", "")
        scope = {**scope, "query_string": with_defaults(path, scope.get("query_string", b""), defaults)}
        token = request_path.set(path)
        try:
            return await app(scope, receive, send)
        finally:
            request_path.reset(token)
    return wrapped


def field(row, name: str):
    """A column of the row render_cell was given (a foreign key may come as {"value", "label"})."""
    try:
        value = row[name]
    except (IndexError, KeyError, TypeError):
        return None
    return value.get("value") if isinstance(value, dict) else value


def excerpt(value: str, limit: int = EXCERPT_CHARS) -> str:
    """The first words of HTML as plain text, cut at a word boundary."""
    text = html_to_text(value[:_SCAN_CHARS])
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut + "…"


def post_path(post_id) -> str:
    return f"{BASE}/posts/{int(post_id)}"


def comment_path(post_id, wp_id) -> str:
    return post_path(post_id) + (f"#comment-{int(wp_id)}" if wp_id is not None else "#comments")


def link(href: str, text: str, css: str = "wparchive-read") -> Markup:
    return Markup(f'<a class="{css}" href="{escape(href)}">{escape(text)}</a>')


def short_cell(row, value, column: str, table: str | None) -> Markup | None:
    """What a table view or query result shows instead of Datasette's cell; None keeps Datasette's.
    Row pages (and any other page) keep the full cell."""
    kind = page_kind(request_path.get())
    if kind == "table" and table in TEXT_TABLES:
        return table_cell(row, value, column, table)
    if kind == "row" and table in TEXT_TABLES:
        return reader_link(row, value, column, table)
    if kind in ("table", "query") and table is None:
        return query_cell(row, value, column)
    return None


def table_cell(row, value, column: str, table: str) -> Markup | None:
    if column in ("content", "content_text") and isinstance(value, str):
        short = excerpt(value)
        post_id = field(row, "post_id")
        if table == "comments" and column == "content" and isinstance(post_id, int):
            return link(comment_path(post_id, field(row, "wp_id")), short or "(empty)")
        return Markup(f'<span class="wparchive-excerpt">{escape(short)}</span>')
    return reader_link(row, value, column, table)


def reader_link(row, value, column: str, table: str) -> Markup | None:
    """The cell that opens the row's reader page: a post's or site's title, a comment's wp_id."""
    if table in ("posts", "sites") and column == "title" and isinstance(field(row, "id"), int):
        href = post_path(field(row, "id")) if table == "posts" else f"{BASE}/sites/{int(field(row, 'id'))}"
        return link(href, value or "(untitled)")
    post_id = field(row, "post_id")
    if table == "comments" and column == "wp_id" and isinstance(value, int) and isinstance(post_id, int):
        return link(comment_path(post_id, value), str(value))
    return None


def query_cell(row, value, column: str) -> Markup | None:
    """Canned queries name the reader's ids post_id and comment_wp_id; those cells link to the post."""
    if column == "post_id" and isinstance(value, int):
        return link(post_path(value), str(value))
    post_id = field(row, "post_id")
    if column == "comment_wp_id" and isinstance(value, int) and isinstance(post_id, int):
        return link(comment_path(post_id, value), str(value))
    if column in ("content", "content_text") and isinstance(value, str):
        return Markup(f'<span class="wparchive-excerpt">{escape(excerpt(value, 300))}</span>')
    return None


def search_box(template: str, request) -> dict:
    """The table page's search box keeps what was searched for. Datasette 1.0's table view no longer
    hands its template the `search` value 0.65 did (its box came back empty); this gives both the
    value 0.65 computes: `_search`, else the first `_search_<column>`."""
    if template != "table.html" or request is None:
        return {}
    args = request.args
    typed = args.get("_search") or next((args.get(k) for k in args if k.startswith("_search_")
                                         and k != "_searchmode" and args.get(k)), None)
    return {"search": typed} if typed else {}
