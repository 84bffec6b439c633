"""How rows go in: into an archive that holds posts already (upserts, search kept in step by
triggers), or into an empty one, loaded in bulk.

A fresh load writes rows with plain INSERTs (an upsert's conflict handling costs a third more per
row), builds the non-unique indexes and the search index once at the end, lets FTS5 merge its
segments less often, and writes every page once through a rollback journal instead of twice
through the WAL."""
import sqlite3

from .merge import plain_insert
from .schema import schema_text, secondary_indexes, statements
from .search_index import COLUMNS as FTS_COLUMNS, catch_up, fill, rebuild

FTS_BATCH = 512
BULK_AUTOMERGE, DEFAULT_AUTOMERGE = 16, 4
FTS_TRIGGERS = ("posts_fts_insert", "posts_fts_delete", "posts_fts_update",
                "comments_fts_insert", "comments_fts_delete", "comments_fts_update")


def loader_for(conn):
    """The loader an archive needs: FreshLoad when it holds no posts yet."""
    empty = conn.execute("SELECT 1 FROM posts LIMIT 1").fetchone() is None
    return FreshLoad(conn) if empty else Upserts(conn)


class Upserts:
    """Rows merged into an archive that has some: every write an upsert, triggers keep search."""
    fresh = False

    def __init__(self, conn):
        self.conn = conn

    def begin(self):
        """Called inside the transaction, before any row."""

    def write(self, table: str, sql: str, rows: list) -> tuple[int, int, range | None]:
        """(rows changed, rows added, their new ids when known) for a batch upsert."""
        before = self._max_id(table)
        changed = self.conn.executemany(sql, rows).rowcount
        return changed, self._added_since(table, before), None

    def touch(self, table: str, site_id: int, wp_ids: list[int], seen: str):
        """Move last_seen forward on rows the source showed unchanged."""
        for start in range(0, len(wp_ids), 900):
            part = wp_ids[start:start + 900]
            self.conn.execute(
                f"UPDATE {table} SET last_seen = ? WHERE site_id = ? AND wp_id IN ({', '.join('?' * len(part))}) "
                "AND (last_seen IS NULL OR last_seen < ?)", (seen, site_id, *part, seen))

    def written(self, posts: int):
        """A batch of this many posts is in."""

    def finish(self, rows_changed: bool):
        """Before the commit: the search index catches up with the rows the triggers queued."""
        catch_up(self.conn)

    def settle(self):
        """After the commit or rollback."""

    def _max_id(self, table) -> int:
        return self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]

    def _added_since(self, table, before: int) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table} WHERE id > ?", (before,)).fetchone()[0]


class FreshLoad(Upserts):
    """The first load into an empty archive."""
    fresh = True

    def __init__(self, conn):
        super().__init__(conn)
        self.out_of_wal = _leave_wal(conn)
        self.indexed = {"posts": 0, "comments": 0}
        self.unindexed = 0

    def begin(self):
        for trigger in FTS_TRIGGERS:
            self.conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for name, _ in secondary_indexes():
            self.conn.execute(f"DROP INDEX IF EXISTS {name}")
        fts_automerge(self.conn, BULK_AUTOMERGE)

    def write(self, table, sql, rows):
        """Plain INSERTs; each row takes the next id. A row the input gives twice hands the rest
        of the batch, from that row on, to the upsert."""
        before = self._max_id(table)
        try:
            self.conn.executemany(plain_insert(sql), rows)
            return len(rows), len(rows), range(before + 1, before + 1 + len(rows))
        except sqlite3.IntegrityError:
            done = self._added_since(table, before)
        changed = done + self.conn.executemany(sql, rows[done:]).rowcount
        return changed, self._added_since(table, before), None

    def touch(self, table, site_id, wp_ids, seen):
        """Every row is new in this run: nothing to move forward."""

    def written(self, posts: int):
        self.unindexed += posts
        if self.unindexed >= FTS_BATCH:
            self._index_new_rows()

    def _index_new_rows(self):
        """Index new rows in one statement per FTS_BATCH posts instead of a trigger per row. FTS5
        writes a segment at the end of every statement, so fewer, larger statements leave less
        to merge (a fifth less FTS time at 1 GB than one statement per 128 posts)."""
        self.unindexed = 0
        for table in FTS_COLUMNS:
            fill(self.conn, table, "id > ?", (self.indexed[table],))
            self.indexed[table] = self._max_id(table)

    def finish(self, rows_changed: bool):
        if rows_changed:  # rows indexed earlier changed since: index everything again, from the rows
            rebuild(self.conn)
        else:
            self._index_new_rows()
        for statement in statements(schema_text("fts.sql")):
            self.conn.execute(statement)
        fts_automerge(self.conn, DEFAULT_AUTOMERGE)
        for _, statement in secondary_indexes():
            self.conn.execute(statement)

    def settle(self):
        if self.out_of_wal:
            self.conn.execute("PRAGMA journal_mode = WAL")


def fts_automerge(conn, segments: int):
    """How many index segments FTS5 lets pile up before merging them. A bulk load merges less
    often (a quarter less FTS time at 1 GB); the default comes back for the small updates after."""
    for table in ("posts_fts", "comments_fts"):
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', ?)", (segments,))


def _leave_wal(conn) -> bool:
    """A first load writes every page once with a rollback journal. Only when no one else has the
    archive open; WAL comes back after."""
    try:
        return conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    except sqlite3.OperationalError:
        return False
