"""Opening an archive: pragmas, and the schema brought up to date (archive/migrations.py)."""
import sqlite3

from .migrations import refuse_newer, upgrade


def connect(path) -> sqlite3.Connection:
    """Open (creating if needed) an archive at the latest schema version, in WAL mode so readers
    never block. An archive already up to date is not written; one from a newer wparchive is
    refused before anything touches it."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        refuse_newer(conn, str(path))
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        upgrade(conn, str(path))  # before foreign_keys: a migration may rebuild a table
    except BaseException:
        conn.close()
        raise
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cache_size = -8000")
    return conn
