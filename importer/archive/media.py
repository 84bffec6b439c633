"""The media tables: where each URL is used (media_uses), what became of it (media_urls), and the
files themselves, once per distinct content (media_files).

Every write is its own short transaction under the archive's lock, so a run killed between two
files keeps every file recorded before it, and an import waiting for the lock waits one file at
most, not a whole media run.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..media import OG_IMAGE_KEY
from .clock import now_utc
from .lock import ArchiveLock

METADATA_KEY = "_wp_attachment_metadata"
GONE = (404, 410)  # not asked again until --refresh
FIRST_RETRY = 30  # seconds after a transient failure; four times longer after each further one
LONGEST_WAIT = 86400


@dataclass
class Wanted:
    """A URL a run should fetch, with what the last answer said of it."""
    id: int
    url: str
    status: str
    file_id: int | None
    etag: str | None
    last_modified: str | None


@contextmanager
def transaction(conn, db_path):
    """One short write, under the archive's lock (borrowed when this process holds it, as a sync does)."""
    lock = ArchiveLock(db_path, borrow=True).acquire() if db_path else None
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        if lock is not None:
            lock.release()


# -- reading what the site uses -------------------------------------------------------------------

def sites(conn, only_key: str | None = None) -> list[tuple[int, str]]:
    """(id, URL) of the archive's sites that have a URL (the hosts their files come from)."""
    rows = conn.execute("SELECT id, url, url_key FROM sites WHERE url IS NOT NULL ORDER BY id").fetchall()
    return [(row[0], row[1]) for row in rows if only_key is None or row[2] == only_key]


def attachments(conn, site_id: int):
    """(post id, attachment URL, its `_wp_attachment_metadata` value or None) of each attachment."""
    return conn.execute(
        "SELECT p.id, p.attachment_url, m.value FROM posts p "
        "LEFT JOIN postmeta m ON m.post_id = p.id AND m.key = ? AND m.seq = 0 "
        "WHERE p.site_id = ? AND p.type = 'attachment' ORDER BY p.id", (METADATA_KEY, site_id))


def attachment_ids(conn, site_id: int) -> dict[int, int]:
    """WordPress id -> post id of the site's attachments."""
    return dict(conn.execute("SELECT wp_id, id FROM posts WHERE site_id = ? AND type = 'attachment' "
                             "AND wp_id IS NOT NULL", (site_id,)))


def attachments_signature(conn, site_id: int) -> str:
    """What changes when an attachment is added or edited: how a run knows its REST sizes are read."""
    count, newest = conn.execute("SELECT count(*), max(modified_gmt) FROM posts WHERE site_id = ? "
                                 "AND type = 'attachment'", (site_id,)).fetchone()
    return f"{count} {newest}"


def post_html(conn, site_id: int):
    """(post id, post URL, content) of the site's posts that have content."""
    return conn.execute("SELECT id, url, content FROM posts WHERE site_id = ? AND content LIKE '%<%' "
                        "AND type IS NOT 'attachment' ORDER BY id", (site_id,))


def comment_html(conn, site_id: int):
    """(post id, comment id, post URL, content) of the site's comments that hold markup."""
    return conn.execute("SELECT c.post_id, c.id, p.url, c.content FROM comments c JOIN posts p ON p.id = c.post_id "
                        "WHERE c.site_id = ? AND c.content LIKE '%<%' ORDER BY c.id", (site_id,))


def og_images(conn, site_id: int):
    """(post id, post URL, og:image URL) kept from scraped pages."""
    return conn.execute("SELECT m.post_id, p.url, m.value FROM postmeta m JOIN posts p ON p.id = m.post_id "
                        "WHERE p.site_id = ? AND m.key = ?", (site_id, OG_IMAGE_KEY))


# -- recording ------------------------------------------------------------------------------------

def record_uses(conn, site_id: int, uses) -> int:
    """Each use's URL (pending when new) and the use itself, once; how many URLs were new."""
    before = conn.execute("SELECT count(*) FROM media_urls WHERE site_id = ?", (site_id,)).fetchone()[0]
    for use in uses:
        url_id, _ = url_row(conn, site_id, use.url)
        conn.execute("INSERT OR IGNORE INTO media_uses (url_id, post_id, comment_id, kind) VALUES (?, ?, ?, ?)",
                     (url_id, use.post_id, use.comment_id, use.kind))
    return conn.execute("SELECT count(*) FROM media_urls WHERE site_id = ?", (site_id,)).fetchone()[0] - before


def url_row(conn, site_id: int, url: str) -> tuple[int, int | None]:
    """(id, file_id) of the site's media_urls row for `url`, added (pending) when new."""
    conn.execute("INSERT OR IGNORE INTO media_urls (site_id, url) VALUES (?, ?)", (site_id, url))
    return conn.execute("SELECT id, file_id FROM media_urls WHERE site_id = ? AND url = ?", (site_id, url)).fetchone()


def wanted(conn, site_id: int, refresh: bool = False, now: str | None = None) -> list[Wanted]:
    """What this run fetches: URLs never fetched, transient failures whose wait has passed
    (FIRST_RETRY seconds, four times longer after each further failure); with `refresh`, also
    the fetched (revalidated) and the gone (404/410)."""
    now = now or now_utc()
    rows = conn.execute("SELECT id, url, status, file_id, etag, last_modified, http_status, attempts, fetched_at "
                        "FROM media_urls WHERE site_id = ? ORDER BY id", (site_id,)).fetchall()
    return [Wanted(*row[:6]) for row in rows if refresh or _due(row[2], row[6], row[7], row[8], now)]


def gone_count(conn, site_id: int) -> int:
    """URLs found gone (404/410) whose bytes are not held: a run without --refresh leaves them."""
    return conn.execute("SELECT count(*) FROM media_urls WHERE site_id = ? AND status = 'failed' "
                        "AND http_status IN (404, 410)", (site_id,)).fetchone()[0]


def _due(status: str, http_status: int | None, attempts: int, fetched_at: str | None, now: str) -> bool:
    if status == "pending":
        return True
    if status != "failed" or http_status in GONE:
        return False
    return fetched_at is None or now >= next_attempt(fetched_at, attempts)


def next_attempt(fetched_at: str, attempts: int) -> str:
    """When a transient failure is tried again: 30 s after the first, then 2, 8, 32 min ... a day at most."""
    wait = min(FIRST_RETRY * 4 ** max(attempts - 1, 0), LONGEST_WAIT)
    moment = datetime.strptime(fetched_at, "%Y-%m-%d %H:%M:%S") + timedelta(seconds=wait)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def file_id_for(conn, stored) -> int:
    """The media_files row of these bytes, added the first time they are seen."""
    conn.execute("INSERT OR IGNORE INTO media_files (sha256, bytes, mime_type, width, height, path, first_seen) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (stored.sha256, stored.bytes, stored.mime_type, stored.width, stored.height, stored.path, now_utc()))
    return conn.execute("SELECT id FROM media_files WHERE sha256 = ?", (stored.sha256,)).fetchone()[0]


def record_fetched(conn, url_id: int, stored, http_status: int | None = 200, etag: str | None = None,
                   last_modified: str | None = None):
    """The URL's bytes are held: its file, and the validators a --refresh sends back."""
    file_id = file_id_for(conn, stored)
    conn.execute("UPDATE media_urls SET file_id = ?, status = 'fetched', http_status = ?, attempts = attempts + 1, "
                 "last_error = NULL, fetched_at = ?, etag = ?, last_modified = ? WHERE id = ?",
                 (file_id, http_status, now_utc(), etag, last_modified, url_id))


def record_unchanged(conn, url_id: int, etag: str | None, last_modified: str | None):
    """A conditional GET answered 304: the file held is still the file."""
    conn.execute("UPDATE media_urls SET http_status = 304, attempts = attempts + 1, last_error = NULL, "
                 "fetched_at = ?, etag = coalesce(?, etag), last_modified = coalesce(?, last_modified) WHERE id = ?",
                 (now_utc(), etag, last_modified, url_id))


def record_failed(conn, url_id: int, error: str, http_status: int | None):
    """The fetch failed. A URL whose bytes are held already stays fetched (a --refresh that finds
    it gone keeps the copy, noting the answer); otherwise it is failed."""
    conn.execute("UPDATE media_urls SET status = CASE WHEN file_id IS NULL THEN 'failed' ELSE status END, "
                 "http_status = ?, attempts = attempts + 1, last_error = ?, fetched_at = ? WHERE id = ?",
                 (http_status, error, now_utc(), url_id))


def file_recorded(conn, sha256: str) -> bool:
    return conn.execute("SELECT 1 FROM media_files WHERE sha256 = ?", (sha256,)).fetchone() is not None


def run_site(conn, run_id: int | None) -> tuple[int, str] | None:
    """(site id, URL) of the site an import or scrape run wrote, when it has a URL."""
    row = conn.execute("SELECT s.id, s.url FROM import_runs r JOIN sites s ON s.id = r.site_id "
                       "WHERE r.id = ? AND s.url IS NOT NULL", (run_id,)).fetchone()
    return (row[0], row[1]) if row else None


def start_run(conn, site_id: int, site_url: str) -> int:
    """A media run, in import_runs (source_file `media <site URL>`), so its problems have a run."""
    return conn.execute("INSERT INTO import_runs (site_id, source_file, started, status) VALUES (?, ?, ?, 'running')",
                        (site_id, f"media {site_url}", now_utc())).lastrowid


def record_problem(conn, run_id: int, where: str, problem: str, action: str):
    conn.execute("INSERT INTO import_problems (run_id, file, problem, action) VALUES (?, ?, ?, ?)",
                 (run_id, where, problem, action))


def finish_run(conn, run_id: int, status: str, counts: str, error: str | None):
    conn.execute("UPDATE import_runs SET finished = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                 (now_utc(), status, counts, error, run_id))
