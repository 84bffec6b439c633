"""Queries jobs ask of the archive before they fetch: which sites to sync, what a site holds."""
from ..text import site_key


def sites_to_sync(conn, only: str | None) -> list[tuple[int, str]]:
    """(site id, URL) of every archived site with a URL, or of the one `only` names."""
    rows = conn.execute("SELECT id, url, url_key FROM sites WHERE url IS NOT NULL ORDER BY id").fetchall()
    if only:
        rows = [r for r in rows if r[2] == site_key(only)]
    return [(r[0], r[1]) for r in rows]


def site_id_of(conn, url: str) -> int | None:
    row = conn.execute("SELECT id FROM sites WHERE url_key = ?", (site_key(url),)).fetchone()
    return row[0] if row else None


def comment_ids(conn, site_id: int) -> set[int]:
    """WordPress ids of the site's archived comments of type 'comment': a page's comments that
    are not among these are what REST hid (pingbacks, trackbacks)."""
    return {row[0] for row in conn.execute(
        "SELECT wp_id FROM comments WHERE site_id = ? AND type = 'comment' AND wp_id IS NOT NULL", (site_id,))}


def post_versions_held(conn, site_id: int) -> dict[int, str | None]:
    """WordPress id -> modified_gmt of the site's archived posts: what a listing need not give again."""
    return dict(conn.execute("SELECT wp_id, modified_gmt FROM posts WHERE site_id = ? AND wp_id IS NOT NULL",
                             (site_id,)))


def author_ids(conn, site_id: int) -> set[int]:
    return {row[0] for row in conn.execute("SELECT wp_id FROM authors WHERE site_id = ? AND wp_id IS NOT NULL",
                                           (site_id,))}


def term_names(conn, site_id: int) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(taxonomy, WordPress id) -> (slug, name) of the site's archived terms."""
    return {(taxonomy, wp_id): (slug, name) for taxonomy, wp_id, slug, name in conn.execute(
        "SELECT taxonomy, wp_id, slug, name FROM terms WHERE site_id = ? AND wp_id IS NOT NULL", (site_id,))}


def site_summaries(conn) -> list[dict]:
    """Each site with its row counts, for `wparchive info`."""
    sites = []
    for site_id, url, key, title in conn.execute("SELECT id, url, url_key, title FROM sites ORDER BY id").fetchall():
        counts = {table: conn.execute(f"SELECT count(*) FROM {table} WHERE site_id = ?", (site_id,)).fetchone()[0]
                  for table in ("authors", "terms", "posts", "comments")}
        sites.append({"id": site_id, "url": url or key, "title": title, "counts": counts})
    return sites


def table_counts(conn, tables) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def last_imports(conn, limit: int = 5) -> list[tuple]:
    return conn.execute("SELECT id, source_file, status, finished FROM import_runs ORDER BY id DESC LIMIT ?",
                        (limit,)).fetchall()


def problem_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM import_problems").fetchone()[0]


# -- what `wparchive export` reads: the latest version of each row, one site at a time -----------------

_POST_COLUMNS = ("id", "wp_id", "type", "status", "title", "slug", "url", "guid", "date", "date_gmt", "modified",
                 "modified_gmt", "author_id", "author_login", "parent_id", "parent_wp_id", "menu_order", "content",
                 "excerpt", "comment_status", "ping_status", "password", "sticky", "attachment_url", "deleted_at",
                 "source")
_COMMENT_COLUMNS = ("id", "wp_id", "parent_id", "parent_wp_id", "user_id", "user_wp_id", "author_name",
                    "author_email", "author_url", "author_ip", "date", "date_gmt", "content", "type", "status",
                    "deleted_at")


def export_sites(conn) -> list[dict]:
    """Every archived site with the channel fields a WXR file gives."""
    return _dicts(conn, "SELECT id, url, url_key, title, description, language, base_site_url FROM sites ORDER BY id")


def export_authors(conn, site_id: int) -> list[dict]:
    return _dicts(conn, "SELECT id, wp_id, login, display_name, email, first_name, last_name, nicename "
                        "FROM authors WHERE site_id = ? ORDER BY id", site_id)


def unlisted_author_logins(conn, site_id: int) -> list[str]:
    """Logins posts name without an author row (an item's dc:creator that no <wp:author> listed)."""
    return [row[0] for row in conn.execute(
        "SELECT DISTINCT author_login FROM posts WHERE site_id = ? AND author_id IS NULL AND author_login <> '' "
        "ORDER BY author_login", (site_id,))]


def export_terms(conn, site_id: int) -> list[dict]:
    return _dicts(conn, "SELECT id, wp_id, taxonomy, slug, name, description, parent_id, parent_slug "
                        "FROM terms WHERE site_id = ? ORDER BY id", site_id)


def term_meta(conn, term_id: int) -> list[tuple[str, str]]:
    return conn.execute("SELECT key, value FROM termmeta WHERE term_id = ? ORDER BY key, seq", (term_id,)).fetchall()


def export_posts(conn, site_id: int, statuses: tuple[str, ...] | None, include_deleted: bool):
    """The site's posts one at a time (a cursor, not a list): the archive may hold gigabytes.
    `statuses` keeps items of those statuses (attachments always: theirs is 'inherit')."""
    where, params = _exported_posts(site_id, statuses, include_deleted)
    cursor = conn.execute(f"SELECT {', '.join(_POST_COLUMNS)} FROM posts WHERE {where} ORDER BY id", params)
    for row in cursor:
        yield dict(zip(_POST_COLUMNS, row))


def export_post_count(conn, site_id: int, statuses: tuple[str, ...] | None, include_deleted: bool) -> int:
    """How many posts export_posts gives (the progress bar's length)."""
    where, params = _exported_posts(site_id, statuses, include_deleted)
    return conn.execute(f"SELECT count(*) FROM posts WHERE {where}", params).fetchone()[0]


def _exported_posts(site_id: int, statuses: tuple[str, ...] | None, include_deleted: bool) -> tuple[str, list]:
    where, params = "site_id = ?", [site_id]
    if not include_deleted:
        where += " AND deleted_at IS NULL"
    if statuses:
        where += f" AND (type = 'attachment' OR ifnull(status, 'publish') IN ({', '.join('?' * len(statuses))}))"
        params.extend(statuses)
    return where, params


def site_utc_offset(conn, site_id: int) -> int:
    """The site's usual local-minus-GMT offset in seconds (to quarter hours), from its rows that
    know both dates; 0 when none does."""
    row = conn.execute(
        "SELECT CAST(round((julianday(date) - julianday(date_gmt)) * 96) AS INTEGER) * 900 AS offset "
        "FROM (SELECT date, date_gmt FROM posts WHERE site_id = ?1 UNION ALL "
        "      SELECT date, date_gmt FROM comments WHERE site_id = ?1) "
        "WHERE date > '0001' AND date_gmt > '0001' GROUP BY offset ORDER BY count(*) DESC, offset LIMIT 1",
        (site_id,)).fetchone()
    return row[0] if row and row[0] is not None else 0


def post_statuses(conn) -> list[str]:
    """The post statuses the archive holds (a plugin's own among them)."""
    return [row[0] for row in conn.execute("SELECT DISTINCT status FROM posts WHERE status IS NOT NULL ORDER BY 1")]


def post_ids_without_wp_id(conn, site_id: int) -> list[int]:
    """Archive ids of posts no source numbered (scraped pages without an id), in order."""
    return [row[0] for row in conn.execute(
        "SELECT id FROM posts WHERE site_id = ? AND wp_id IS NULL ORDER BY id", (site_id,))]


def highest_wp_ids(conn, site_id: int) -> tuple[int, int]:
    """The highest WordPress post and comment ids of the site (0 when none)."""
    posts = conn.execute("SELECT ifnull(max(wp_id), 0) FROM posts WHERE site_id = ?", (site_id,)).fetchone()[0]
    comments = conn.execute("SELECT ifnull(max(wp_id), 0) FROM comments WHERE site_id = ?", (site_id,)).fetchone()[0]
    return posts, comments


def wp_id_of_post(conn, post_id: int) -> int | None:
    row = conn.execute("SELECT wp_id FROM posts WHERE id = ?", (post_id,)).fetchone()
    return row[0] if row else None


def post_term_refs(conn, post_id: int) -> list[tuple[str, str, str | None]]:
    """(taxonomy, slug, name) of the terms a post is filed under."""
    return conn.execute("SELECT t.taxonomy, t.slug, t.name FROM post_terms pt JOIN terms t ON t.id = pt.term_id "
                        "WHERE pt.post_id = ? ORDER BY t.taxonomy, t.slug", (post_id,)).fetchall()


def post_meta(conn, post_id: int) -> list[tuple[str, str]]:
    """A post's meta as WordPress had it: wparchive's own keys (_wparchive_og_image) stay in the archive."""
    return conn.execute("SELECT key, value FROM postmeta WHERE post_id = ? AND key NOT LIKE '\\_wparchive\\_%' "
                        "ESCAPE '\\' ORDER BY key, seq", (post_id,)).fetchall()


def post_comments(conn, post_id: int, include_deleted: bool) -> list[dict]:
    sql = f"SELECT {', '.join(_COMMENT_COLUMNS)} FROM comments WHERE post_id = ?"
    if not include_deleted:
        sql += " AND deleted_at IS NULL"
    return _dicts(conn, sql + " ORDER BY id", post_id)


def comments_meta(conn, post_id: int) -> dict[int, list[tuple[str, str]]]:
    """Archive comment id -> (key, value) of the meta of a post's comments."""
    found: dict[int, list[tuple[str, str]]] = {}
    for comment_id, key, value in conn.execute(
            "SELECT cm.comment_id, cm.key, cm.value FROM commentmeta cm JOIN comments c ON c.id = cm.comment_id "
            "WHERE c.post_id = ? ORDER BY cm.comment_id, cm.key, cm.seq", (post_id,)):
        found.setdefault(comment_id, []).append((key, value))
    return found


def _dicts(conn, sql: str, *params) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def post_at_url(conn, site_id: int, url: str) -> tuple[int, int | None] | None:
    """(archive id, WordPress id) of the site's post at this address, if archived."""
    return conn.execute("SELECT id, wp_id FROM posts WHERE url = ? AND site_id = ? ORDER BY id LIMIT 1",
                        (url, site_id)).fetchone()


def fetched_media(conn, site_id: int) -> list[tuple[str, str]]:
    """(URL, stored path) of every file of the site the media store holds."""
    return conn.execute("SELECT u.url, f.path FROM media_urls u JOIN media_files f ON f.id = u.file_id "
                        "WHERE u.site_id = ? AND u.status = 'fetched' ORDER BY u.url", (site_id,)).fetchall()
