"""Opening an archive: pragmas, and the schema brought up to date."""
import sqlite3

from .schema import schema_sql


def connect(path) -> sqlite3.Connection:
    """Open (creating if needed) an archive with its schema, in WAL mode so readers never block."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cache_size = -8000")
    conn.executescript(schema_sql())
    _add_new_columns(conn)
    return conn


def _add_new_columns(conn):
    """Archives made by an earlier version get the columns added since."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(import_runs)")}
    if "size" not in have:
        conn.execute("ALTER TABLE import_runs ADD COLUMN size INTEGER")
