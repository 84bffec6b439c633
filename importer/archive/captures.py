"""The captures table: which web-archive captures a run read, so a version can be traced to the
capture that showed it, and a re-run knows what it read before."""

CAPTURE_INSERT = (
    "INSERT INTO captures (site_id, url, captured_at, digest, source, archive, import_run_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, url, captured_at) DO UPDATE SET "
    "digest = coalesce(excluded.digest, captures.digest)")


def record_capture(conn, site_id: int, run_id: int, source: str, capture) -> None:
    conn.execute(CAPTURE_INSERT, (site_id, capture.url, capture.captured_at, capture.digest, source,
                                  capture.archive, run_id))


def newest_capture(conn, site_id: int) -> str | None:
    """The time of the newest capture the archive holds of the site (a sync asks for later ones)."""
    row = conn.execute("SELECT max(captured_at) FROM captures WHERE site_id = ?", (site_id,)).fetchone()
    return row[0] if row else None
