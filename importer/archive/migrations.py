"""Schema versions: PRAGMA user_version says which numbered migration an archive has reached.

schema/schema.sql and fts.sql describe the latest shape, which a fresh archive gets in one go. An
archive made before gets each migration it lacks, then the schema's CREATE ... IF NOT EXISTS for
new tables, indexes and triggers, all in one transaction that also records the migrations in
schema_migrations and bumps user_version: an upgrade happens entirely or not at all. An archive
already at the latest version is only read, never written.

To change the schema: edit schema/schema.sql, then append one Migration to MIGRATIONS that
brings an existing archive's tables to the same shape (ALTER TABLE, a data fix, ...).
"""
import sqlite3
from dataclasses import dataclass
from typing import Callable

from ..errors import NewerSchemaError
from .bulk import DEFAULT_AUTOMERGE, FTS_TRIGGERS, fts_automerge
from .clock import now_utc
from .schema import schema_sql, schema_text, statements
from .search_index import rebuild, store_derived


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    change: Callable[[sqlite3.Connection], None]


def _columns(conn, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _import_runs_size(conn):
    """Bytes read per import. Archives from before schema versions (user_version 0) may have it
    already: the column came before the versions did."""
    if "size" not in _columns(conn, "import_runs"):
        conn.execute("ALTER TABLE import_runs ADD COLUMN size INTEGER")


def _versions_dated_by_evidence(conn):
    """The version triggers date a replaced text by its own time, not by the run that replaced
    it; the schema's statements recreate them."""
    for trigger in ("posts_keep_version", "comments_keep_version"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")


def _media_store(conn):
    """The media tables come from the schema's statements; the view of attachment rows is renamed
    so that `media` is free for the canned query listing a post's files."""
    conn.execute("DROP VIEW IF EXISTS media")


def _search_every_language(conn):
    """The search index holds the derived text that finds words inside CJK text (schema/fts.sql):
    the old index and its triggers go, the new ones come from fts.sql and are filled from the rows,
    with the merge setting a bulk load leaves."""
    _drop_fts_triggers(conn)
    for table in ("posts", "comments"):
        conn.execute(f"DROP TABLE IF EXISTS {table}_fts")
    for statement in statements(schema_text("fts.sql")):
        conn.execute(statement)
    rebuild(conn)
    fts_automerge(conn, DEFAULT_AUTOMERGE)


def _drop_fts_triggers(conn):
    for trigger in FTS_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")


def _captures(conn):
    """The captures table (web-archive captures read) comes from the schema's statements."""


def _reader_indexes(conn):
    """The indexes the reader pages and table views need on a large archive come from the schema's
    statements (posts_site_listing, posts_type, posts_status, comments_date_gmt, comments_type,
    comments_status)."""


def _search_text_stored(conn):
    """The search index's views read the derived text of CJK rows from the *_search_text_cjk tables
    instead of computing it through wparchive's SQL function, so that any SQLite client can read
    the index (schema/fts.sql). The index keeps its words; the views and triggers that called the
    function (both forms of migration 4 before this one) are made again from fts.sql, and the
    derived text is stored from the rows. An archive whose migration 4 made them already is left."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type IN ('view', 'trigger') "
                    "AND sql LIKE '%wparchive_search_text(%'").fetchone() is None:
        return
    _drop_fts_triggers(conn)
    for table in ("posts", "comments"):
        conn.execute(f"DROP VIEW IF EXISTS {table}_search_text")
    for statement in statements(schema_text("fts.sql")):
        conn.execute(statement)
    store_derived(conn)


MIGRATIONS = (
    Migration(1, "import_runs_size", _import_runs_size),
    Migration(2, "versions_dated_by_evidence", _versions_dated_by_evidence),
    Migration(3, "media_store", _media_store),
    Migration(4, "search_every_language", _search_every_language),
    Migration(5, "captures", _captures),
    Migration(6, "reader_indexes", _reader_indexes),
    Migration(7, "search_text_stored", _search_text_stored),
)
LATEST = MIGRATIONS[-1].number


def schema_version(conn) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def refuse_newer(conn, where: str) -> int:
    """The archive's schema version, or NewerSchemaError if a newer wparchive wrote it."""
    version = schema_version(conn)
    if version > LATEST:
        raise NewerSchemaError(where, f"schema version {version} is newer than this wparchive ({LATEST}); "
                                      "upgrade wparchive")
    return version


def upgrade(conn, where: str):
    """Bring the archive to LATEST; nothing is written when it is there already."""
    if refuse_newer(conn, where) == LATEST:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = refuse_newer(conn, where)  # another process may have upgraded it while we waited
        if version < LATEST:
            _apply(conn, version)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _apply(conn, version: int):
    pending = [migration for migration in MIGRATIONS if migration.number > version]
    if _made_before(conn, version):
        for migration in pending:
            migration.change(conn)
    for statement in statements(schema_sql()):
        conn.execute(statement)
    applied_at = now_utc()
    conn.executemany("INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)",
                     [(migration.number, migration.name, applied_at) for migration in pending])
    conn.execute(f"PRAGMA user_version = {LATEST}")


def _made_before(conn, version: int) -> bool:
    """True for an archive that has tables already; a new one gets them at the latest shape."""
    return version > 0 or conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'import_runs'").fetchone() is not None
