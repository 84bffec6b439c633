"""Keeping the search index in step with posts and comments, from Python (schema/fts.sql).

The index holds a derived text (archive/search_text.py) that SQLite cannot compute on its own. The
triggers therefore only queue what changed (the row's id, and the text it was indexed with), in
plain SQL, and each write through wparchive catches up before its commit; so any SQLite client can
still write posts and comments, and the index follows at wparchive's next write. The derived text
is computed here, in Python between SQLite calls, never inside a statement: a Ctrl-C or SIGTERM
arriving meanwhile stays the KeyboardInterrupt or SystemExit the commands turn into one line,
instead of an error of the statement that happened to be running.
"""
from .search_text import indexed

COLUMNS = {"posts": ("title", "content_text", "excerpt"), "comments": ("author_name", "content_text")}


def catch_up(conn):
    """Index the rows the triggers queued: the text they were indexed with out, their text now in."""
    for table, columns in COLUMNS.items():
        queue = f"main.{table}_search_queue"
        if conn.execute(f"SELECT 1 FROM {queue} LIMIT 1").fetchone() is None:
            continue
        stale = conn.execute(f"SELECT id, {', '.join(columns)} FROM {queue} WHERE indexed ORDER BY id")
        conn.executemany(f"INSERT INTO main.{table}_fts ({table}_fts, rowid, {', '.join(columns)}) "
                         f"VALUES ('delete', ?{', ?' * len(columns)})", map(_derived, stale))
        fill(conn, table, f"id IN (SELECT id FROM {queue})")
        conn.execute(f"DELETE FROM {queue}")


def fill(conn, table: str, where: str = "1", params=()):
    """Index the rows of `table` that `where` selects, none of them in the index yet."""
    columns = ", ".join(COLUMNS[table])
    rows = conn.execute(f"SELECT id, {columns} FROM main.{table} WHERE {where} ORDER BY id", params)
    conn.executemany(f"INSERT INTO main.{table}_fts (rowid, {columns}) VALUES (?{', ?' * len(COLUMNS[table])})",
                     map(_derived, rows))


def rebuild(conn):
    """The whole index again, from the rows."""
    for table in COLUMNS:
        conn.execute(f"INSERT INTO main.{table}_fts ({table}_fts) VALUES ('delete-all')")
        conn.execute(f"DELETE FROM main.{table}_search_queue")
        fill(conn, table)


def _derived(row) -> tuple:
    return (row[0], *map(indexed, row[1:]))
