"""Whether the archive's tables still have the columns the schema gives them.

Checked once when an archive is opened for writing (archive/connection.py), after any migration:
a table renamed or a column dropped by hand would otherwise surface as `no such column` deep in
a run (or in the reads before it). Cheap: the schema is run into an in-memory database and its
PRAGMA table_info compared with the archive's, a few milliseconds per open, nothing per row.
Columns added by hand are left alone: nothing of wparchive reads them. The search index's
virtual tables are left out (asking for their columns loads FTS5, which reads its config): one
dropped by hand surfaces at the write, as one line too (archive/faults.py).
"""
import sqlite3

from ..errors import ArchiveError
from .faults import CHANGED_BY_HAND
from .schema import schema_sql


def expected_columns() -> dict[str, list[str]]:
    """Table -> columns of the ordinary tables schema/ gives (FTS5's tables left out)."""
    memory = sqlite3.connect(":memory:")
    try:
        memory.executescript(schema_sql())
        tables = memory.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%'").fetchall()
        virtual = [name for name, sql in tables if sql.upper().startswith("CREATE VIRTUAL")]
        return {name: _columns(memory, name) for name, _ in tables
                if not any(name == v or name.startswith(v + "_") for v in virtual)}
    finally:
        memory.close()


def check_shape(conn, where: str):
    """ArchiveError naming the first table missing, or the first column missing from a table."""
    for table, columns in expected_columns().items():
        present = set(_columns(conn, table))
        if not present:
            raise ArchiveError(where, f"table {table} is missing: {CHANGED_BY_HAND}")
        for column in columns:
            if column not in present:
                raise ArchiveError(where, f"table {table} has no column {column}: {CHANGED_BY_HAND}")


def _columns(conn, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
