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
