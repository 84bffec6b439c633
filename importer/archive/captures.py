"""The captures table: which web-archive captures a run read, so a version can be traced to the
capture that showed it, and a re-run knows what it read before."""

CAPTURE_INSERT = (
    "INSERT INTO captures (site_id, url, captured_at, digest, source, archive, import_run_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, url, captured_at) DO UPDATE SET "
    "digest = coalesce(excluded.digest, captures.digest)")


def record_capture(conn, site_id: int, run_id: int, source: str, capture) -> None:
    conn.execute(CAPTURE_INSERT, (site_id, capture.url, capture.captured_at, capture.digest, source,
                                  capture.archive, run_id))


# Sources whose evidence is a capture of the blog at a known moment (its `seen`).
CAPTURE_SOURCES = ("wayback", "warc")


def shown_before(ids, wp_ids: list[int]) -> tuple[int, dict[int, str]]:
    """Where post_versions ends and when each post was last shown, before a batch of captures is
    written: the versions that batch makes are dated from them (`date_by_capture`)."""
    last, = ids.conn.execute("SELECT coalesce(max(id), 0) FROM post_versions").fetchone()
    shown = ids.select_in("SELECT id, last_seen FROM posts WHERE site_id = ? AND wp_id IN ({})", wp_ids)
    return last, dict(shown)


def date_by_capture(conn, before: tuple[int, dict[int, str]], older: set[int], seen: str) -> None:
    """Date the versions a batch of captures made by the capture that showed their text, not by
    the modified_gmt a captured REST response gave (the trigger's first choice): the text a newer
    capture replaced dates from when the row last showed it, a capture older than the row from
    its own moment."""
    last, shown = before
    for row_id, when in shown.items():
        conn.execute("UPDATE post_versions SET captured_at = ? WHERE id > ? AND post_id = ?",
                     (seen if row_id in older else when or seen, last, row_id))
