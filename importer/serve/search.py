"""Search across posts and comments in every language: the reader's search page (/-/wparchive/search?q=)
and Datasette's own search box on the posts and comments tables.

Both match against the search index's derived text (schema/fts.sql, archive/search_text.py). The
box sends the user's words through Datasette's SQL function escape_fts; on an archive's connections
that function is replaced by one that also writes CJK words as the pairs the index holds, so plain
input finds words inside Japanese and Chinese text there too (`_searchmode=raw` hands FTS5 the query
as typed, with no rewriting). The page's snippets come from FTS5's snippet() over the derived text,
mapped back to the original words and HTML-escaped before the <mark>s go in: archived text never
becomes markup.
"""
import asyncio
from functools import partial

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from ..archive.search_text import ELLIPSIS, MARK_CLOSE, MARK_OPEN, match_query, readable
from .queries import rows
from .reader import BASE, archive

PAGE_SIZE = 20
SNIPPET_TOKENS = 24
# Published and not password-protected, as WordPress's own search shows a visitor; a comment only
# when its post is one of those.
VISIBLE_POSTS = "p.type IN ('post', 'page') AND p.status = 'publish' AND ifnull(p.password, '') = ''"
VISIBLE_COMMENTS = "c.status NOT IN ('pending', 'spam', 'trash')"  # as on the post page (serve/thread.py)


def search_routes() -> list:
    return [(rf"^{BASE}/search$", search_page)]


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, so its escape_fts is the one replaced
def prepare_connection(conn):
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = 'posts_search_text'").fetchone():
        conn.create_function("escape_fts", 1, match_query)


async def search_page(datasette, request):
    query = request.args.get("q", "").strip()
    page = request.args.get("page", "")
    page = max(int(page), 1) if page.isdigit() else 1
    db = await archive(datasette, request, "posts", "comments", holding="posts_fts")  # its search index
    found = await _found(db, query, page) if query else {}
    context = {"reader": datasette.urls.path(BASE), "q": query, "page": page, "database": db.name,
               "has_next": any(len(hits) > PAGE_SIZE for hits in found.values()),
               **{kind: [_shown(hit) for hit in found.get(kind, [])[:PAGE_SIZE]] for kind in FINDERS}}
    return Response.html(await datasette.render_template("search.html", context, request=request))


async def _found(db, query: str, page: int) -> dict[str, list[dict]]:
    """Posts and comments searched at once, on two of Datasette's SQL threads: most of a search's
    time is FTS5 ranking every match of each kind."""
    hits = await asyncio.gather(*(db.execute_fn(partial(find, query=query, page=page)) for find in FINDERS.values()))
    return dict(zip(FINDERS, hits))


def results(conn, query: str, page: int) -> dict[str, list[dict]]:
    """Best matches first (FTS5's bm25 rank), a page of each kind and one more (is there a next?)."""
    return {kind: find(conn, query, page) for kind, find in FINDERS.items()}


def post_results(conn, query: str, page: int) -> list[dict]:
    marks = (MARK_OPEN, MARK_CLOSE)
    return rows(conn, "SELECT p.id, p.site_id, p.date, p.date_gmt, p.title, "
                      "highlight(posts_fts, 0, ?, ?) AS title_marked, "
                      "snippet(posts_fts, -1, ?, ?, ?, ?) AS snippet "
                      f"FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid "
                      f"WHERE posts_fts MATCH ? AND {VISIBLE_POSTS} ORDER BY posts_fts.rank LIMIT ? OFFSET ?",
                (*marks, *marks, ELLIPSIS, SNIPPET_TOKENS, match_query(query), *_window(page)))


def comment_results(conn, query: str, page: int) -> list[dict]:
    return rows(conn, "SELECT c.id, c.wp_id, c.post_id, c.author_name, c.date, c.date_gmt, p.title AS post_title, "
                      "snippet(comments_fts, 1, ?, ?, ?, ?) AS snippet "
                      "FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid "
                      "JOIN posts p ON p.id = c.post_id "
                      f"WHERE comments_fts MATCH ? AND {VISIBLE_COMMENTS} AND {VISIBLE_POSTS} "
                      "ORDER BY comments_fts.rank LIMIT ? OFFSET ?",
                (MARK_OPEN, MARK_CLOSE, ELLIPSIS, SNIPPET_TOKENS, match_query(query), *_window(page)))


FINDERS = {"posts": post_results, "comments": comment_results}


def _window(page: int) -> tuple[int, int]:
    """LIMIT and OFFSET: a page and one more row (is there a next?)."""
    return PAGE_SIZE + 1, (page - 1) * PAGE_SIZE


def _shown(hit: dict) -> dict:
    """A hit with its marked texts as safe HTML."""
    shown = {**hit, "snippet_html": marked_html(hit["snippet"])}
    if "title_marked" in hit:
        shown["title_html"] = marked_html(hit["title_marked"]) if hit["title"] else Markup("(untitled)")
    return shown


def marked_html(derived: str | None) -> Markup:
    """The original text of a snippet, escaped, its matches in <mark>."""
    return Markup("".join(f"<mark>{escape(text)}</mark>" if marked else str(escape(text))
                          for text, marked in readable(derived or "")))
