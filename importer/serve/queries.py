"""The reader pages' SQL: each function takes a sqlite3 connection (Datasette's execute_fn hands one
over, so no row limit applies to a long thread) and returns plain dicts for the templates."""
import re
import sqlite3
from urllib.parse import quote, unquote, urlsplit

PAGE_SIZE = 20
PUBLISHED = "type = 'post' AND status = 'publish'"
ANY_STATUS = "type = 'post' AND status NOT IN ('auto-draft', 'inherit')"  # drafts, private, pending, future too


def listed(everything: bool) -> str:
    """The posts the site page lists: published ones, or with ?all=1 also those the blog did not publish."""
    return ANY_STATUS if everything else PUBLISHED


def rows(conn, sql: str, params=()) -> list[dict]:
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return [dict(row) for row in cursor.execute(sql, params)]


def one(conn, sql: str, params=()) -> dict | None:
    found = rows(conn, sql, params)
    return found[0] if found else None


def site(conn, site_id: int) -> dict | None:
    return one(conn, "SELECT id, url, title, description, language, source, first_seen, last_seen "
                     "FROM sites WHERE id = ?", (site_id,))


def chosen(site_id: int, month: str | None, term_id: int | None, everything: bool) -> tuple[str, list]:
    """The WHERE clause and parameters of the posts a site page shows."""
    where, params = [f"site_id = ? AND {listed(everything)}"], [site_id]
    if month:
        where.append("substr(coalesce(date_gmt, date), 1, 7) = ?")
        params.append(month)
    if term_id:
        where.append("id IN (SELECT post_id FROM post_terms WHERE term_id = ?)")
        params.append(term_id)
    return " AND ".join(where), params


def site_posts(conn, site_id: int, page: int, month: str | None, term_id: int | None,
               everything: bool = False) -> list[dict]:
    """One page of the site's posts, newest first."""
    where, params = chosen(site_id, month, term_id, everything)
    return rows(conn, f"SELECT id, wp_id, title, date, date_gmt, status, deleted_at, password != '' AS protected "
                      f"FROM posts WHERE {where} ORDER BY date_gmt DESC, id DESC LIMIT ? OFFSET ?",
                (*params, PAGE_SIZE, (page - 1) * PAGE_SIZE))


def count_posts(conn, site_id: int, month: str | None, term_id: int | None, everything: bool = False) -> int:
    where, params = chosen(site_id, month, term_id, everything)
    return conn.execute(f"SELECT count(*) FROM posts WHERE {where}", params).fetchone()[0]


def unlisted(conn, site_id: int) -> int:
    """How many posts the blog did not publish (drafts, private, pending, scheduled): hidden unless asked."""
    return conn.execute(f"SELECT count(*) FROM posts WHERE site_id = ? AND {ANY_STATUS} AND status != 'publish'",
                        (site_id,)).fetchone()[0]


def months(conn, site_id: int, everything: bool = False) -> list[dict]:
    return rows(conn, "SELECT substr(coalesce(date_gmt, date), 1, 7) AS month, count(*) AS posts FROM posts "
                      f"WHERE site_id = ? AND {listed(everything)} GROUP BY month ORDER BY month DESC", (site_id,))


def categories(conn, site_id: int) -> list[dict]:
    """The site's categories with how many posts are filed under each (of any status: counting
    only published ones reads every post row, seconds on a large archive)."""
    return rows(conn, "SELECT t.id, t.name, t.slug, count(pt.id) AS posts FROM terms t "
                      "JOIN post_terms pt ON pt.term_id = t.id "
                      "WHERE t.site_id = ? AND t.taxonomy = 'category' GROUP BY t.id ORDER BY t.name", (site_id,))


def pages(conn, site_id: int) -> list[dict]:
    """The site's published pages (About, Contact...), in menu order (a site of many: the first 200)."""
    return rows(conn, "SELECT id, title FROM posts WHERE site_id = ? AND type = 'page' AND status = 'publish' "
                      "ORDER BY menu_order, title, id LIMIT 200", (site_id,))


def term(conn, term_id: int) -> dict | None:
    return one(conn, "SELECT id, site_id, name, taxonomy FROM terms WHERE id = ?", (term_id,))


def post(conn, post_id: int) -> dict | None:
    return one(conn, "SELECT p.*, a.display_name AS author_name, s.title AS site_title, s.url AS site_url "
                     "FROM posts p JOIN sites s ON s.id = p.site_id LEFT JOIN authors a ON a.id = p.author_id "
                     "WHERE p.id = ?", (post_id,))


def post_terms(conn, post_id: int) -> list[dict]:
    return rows(conn, "SELECT t.id, t.name, t.taxonomy FROM post_terms pt JOIN terms t ON t.id = pt.term_id "
                      "WHERE pt.post_id = ? AND t.taxonomy IN ('category', 'post_tag') "
                      "ORDER BY t.taxonomy, t.name", (post_id,))


def comments(conn, post_id: int) -> list[dict]:
    """The post's comments in reading order, each with how many earlier versions it has (`versions`)
    and how many of those had other text (`edits`; the rest differ in status only)."""
    return rows(conn, "SELECT id, wp_id, parent_id, parent_wp_id, author_name, author_url, date, date_gmt, "
                      "content, type, status, deleted_at, "
                      "(SELECT count(*) FROM comment_versions v WHERE v.comment_id = c.id) AS versions, "
                      "(SELECT count(*) FROM comment_versions v WHERE v.comment_id = c.id "
                      "AND v.content IS NOT c.content) AS edits "
                      "FROM comments c WHERE post_id = ? ORDER BY coalesce(date_gmt, date), id", (post_id,))


def comment(conn, post_id: int, comment_id: int) -> dict | None:
    return one(conn, "SELECT id, post_id, wp_id, author_name, date, content, status, deleted_at, last_seen "
                     "FROM comments WHERE post_id = ? AND id = ?", (post_id, comment_id))


def comment_versions(conn, comment_id: int) -> list[dict]:
    return rows(conn, "SELECT id, content, status, captured_at FROM comment_versions WHERE comment_id = ? "
                      "ORDER BY captured_at DESC, id DESC", (comment_id,))


def versions(conn, post_id: int) -> list[dict]:
    return rows(conn, "SELECT id, title, status, modified_gmt, captured_at FROM post_versions "
                      "WHERE post_id = ? ORDER BY captured_at DESC, id DESC", (post_id,))


def version(conn, post_id: int, version_id: int) -> dict | None:
    return one(conn, "SELECT id, post_id, title, content, excerpt, status, modified_gmt, captured_at "
                     "FROM post_versions WHERE post_id = ? AND id = ?", (post_id, version_id))


def post_by_wp_id(conn, site_id: int, wp_id: int) -> int | None:
    found = one(conn, "SELECT id FROM posts WHERE site_id = ? AND wp_id = ?", (site_id, wp_id))
    return found and found["id"]


def post_by_path(conn, site_id: int, path: str) -> int | None:
    """The post an old link on the site named: its permalink under the site's URL (either scheme,
    with or without www and the trailing slash, its letters as typed or percent-encoded as
    WordPress writes them), else the last path segment as a slug."""
    home = one(conn, "SELECT url FROM sites WHERE id = ?", (site_id,))
    if home is None:
        return None
    spellings = path_spellings(path)
    candidates = [url for spelling in spellings for url in permalink_candidates(home["url"] or "", spelling)]
    marks = ", ".join("?" * len(candidates))
    found = one(conn, f"SELECT id FROM posts WHERE site_id = ? AND url IN ({marks}) ORDER BY id LIMIT 1",
                (site_id, *candidates))
    slugs = sorted({spelling.strip("/").rsplit("/", 1)[-1] for spelling in spellings} - {""})
    if found is None and slugs:
        found = one(conn, f"SELECT id FROM posts WHERE site_id = ? AND slug IN ({', '.join('?' * len(slugs))}) "
                          "ORDER BY type = 'post' DESC, status = 'publish' DESC, id LIMIT 1", (site_id, *slugs))
    return found and found["id"]


def path_spellings(path: str) -> list[str]:
    """A path as typed, decoded, and encoded the way WordPress stores permalinks (lowercase %xx)."""
    decoded = unquote(path)
    encoded = re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(decoded, safe="/"))
    return list(dict.fromkeys([path, decoded, encoded]))


def permalink_candidates(home: str, path: str) -> list[str]:
    """The URLs a path may name: under the site's URL, and, for a blog below a path
    (example.com/blog), also the path as an old link's whole path (/blog/2020/01/post/)."""
    parts = urlsplit(home if "//" in home else f"//{home}")
    host = parts.netloc.lower().removeprefix("www.")
    tail = "/" + path.strip("/")
    prefixes = dict.fromkeys([parts.path.rstrip("/"), ""])
    found = []
    for scheme in ("https", "http"):
        for netloc in (host, f"www.{host}"):
            for prefix in prefixes:
                base = f"{scheme}://{netloc}{prefix}{tail}"
                found += [base, base + "/"] if tail != "/" else [base]
    return found
