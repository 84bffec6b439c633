"""What the archive remembers of earlier runs: which inputs it has read, and where syncs stopped."""


def previous_import(conn, sha256: str) -> int | None:
    """The last finished import of exactly these bytes, if any."""
    row = conn.execute("SELECT id FROM import_runs WHERE sha256 = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
                       (sha256,)).fetchone()
    return row[0] if row else None


def imported_size_before(conn, size: int) -> bool:
    """Whether a finished import had this many bytes: only then is hashing up front worth it."""
    return conn.execute("SELECT 1 FROM import_runs WHERE size = ? AND status = 'ok' LIMIT 1",
                        (size,)).fetchone() is not None
