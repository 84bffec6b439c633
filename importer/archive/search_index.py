"""Keeping the search index in step with posts and comments, from Python (schema/fts.sql).

The index holds a derived text (archive/search_text.py) that SQLite cannot compute on its own. The
triggers therefore only queue what changed (the row's id, and the text it was indexed with), in
plain SQL, and each write through wparchive catches up before its commit; so any SQLite client can
still write posts and comments, and the index follows at wparchive's next write. The derived text
of the rows holding CJK is stored beside them (the *_search_text_cjk tables), where the index's
content views read it back: any SQLite client can read the index without code of ours. It is
computed here, in Python between SQLite calls, never inside a statement: a Ctrl-C or SIGTERM
arriving meanwhile stays the KeyboardInterrupt or SystemExit the commands turn into one line,
instead of an error of the statement that happened to be running.
"""
from .search_text import indexed

COLUMNS = {"posts": ("title", "content_text", "excerpt"), "comments": ("author_name", "content_text")}
CHUNK = 2000  # rows derived and written per executemany


def catch_up(conn):
    """Index the rows the triggers queued: the text they were indexed with out, their text now in."""
    for table, columns in COLUMNS.items():
        queue = f"main.{table}_search_queue"
        if conn.execute(f"SELECT 1 FROM {queue} LIMIT 1").fetchone() is None:
            continue
        stale = conn.execute(f"SELECT id, {', '.join(columns)} FROM {queue} WHERE indexed ORDER BY id")
        conn.executemany(f"INSERT INTO main.{table}_fts ({table}_fts, rowid, {', '.join(columns)}) "
                         f"VALUES ('delete', ?{', ?' * len(columns)})", map(_derived, stale))
        conn.execute(f"DELETE FROM main.{table}_search_text_cjk WHERE id IN (SELECT id FROM {queue})")
        fill(conn, table, f"id IN (SELECT id FROM {queue})")
        conn.execute(f"DELETE FROM {queue}")


def fill(conn, table: str, where: str = "1", params=()):
    """Index the rows of `table` that `where` selects, none of them in the index yet, and store the
    derived text of those holding CJK."""
    columns = ", ".join(COLUMNS[table])
    for chunk, derived in _derived_chunks(conn, table, where, params):
        conn.executemany(f"INSERT INTO main.{table}_fts (rowid, {columns}) VALUES (?{', ?' * len(COLUMNS[table])})",
                         derived)
        _store(conn, table, chunk, derived)


def rebuild(conn):
    """The whole index again, from the rows."""
    for table in COLUMNS:
        conn.execute(f"INSERT INTO main.{table}_fts ({table}_fts) VALUES ('delete-all')")
        conn.execute(f"DELETE FROM main.{table}_search_queue")
        conn.execute(f"DELETE FROM main.{table}_search_text_cjk")
        fill(conn, table)


def store_derived(conn):
    """The stored derived text again, from the rows, for an index that holds their words already."""
    for table in COLUMNS:
        conn.execute(f"DELETE FROM main.{table}_search_text_cjk")
        for chunk, derived in _derived_chunks(conn, table, "1", ()):
            _store(conn, table, chunk, derived)


def _derived_chunks(conn, table: str, where: str, params):
    """(rows, their derived texts) of the rows `where` selects, a chunk at a time."""
    rows = conn.execute(f"SELECT id, {', '.join(COLUMNS[table])} FROM main.{table} WHERE {where} ORDER BY id",
                        params).fetchmany
    while chunk := rows(CHUNK):
        yield chunk, [_derived(row) for row in chunk]


def _store(conn, table: str, rows: list, derived: list):
    """The derived text of the rows whose text it is not (they hold CJK): NULL for a column that is."""
    stored = [(row[0], *(None if text == own else text for own, text in zip(row[1:], texts[1:])))
              for row, texts in zip(rows, derived) if texts != tuple(row)]
    conn.executemany(f"INSERT OR REPLACE INTO main.{table}_search_text_cjk (id, {', '.join(COLUMNS[table])}) "
                     f"VALUES (?{', ?' * len(COLUMNS[table])})", stored)


def _derived(row) -> tuple:
    return (row[0], *map(indexed, row[1:]))
