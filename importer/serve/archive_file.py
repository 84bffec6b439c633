"""What `serve` may do with a file, learnt without writing to it.

The archive's own `connect` creates tables and switches to WAL, so it must not be the first thing
to touch a file that may not be an archive. This module reads only: the 100-byte SQLite header,
then the schema through a read-only connection. A read-only connection to a WAL database leaves
-wal and -shm files behind, so without a -wal file (nothing unwritten to read) the file is opened
immutable, which creates nothing.
"""
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..archive.migrations import LATEST, schema_version
from ..archive.session import is_sqlite, read_only_uri, writable
from ..errors import ArchiveError

ARCHIVE_TABLES = {"sites", "posts"}


@dataclass(frozen=True)
class ArchiveFile:
    path: Path
    version: int  # PRAGMA user_version: the last migration applied
    writable: bool  # the file, and its folder for -wal and -shm, can be written

    @property
    def behind(self) -> bool:
        return self.version < LATEST

    @property
    def newer(self) -> bool:
        return self.version > LATEST


def examine(path) -> ArchiveFile:
    """The archive at path, or ArchiveError (one line) when there is none to serve."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(str(path), "no archive here; run `wparchive import` first")
    if not is_sqlite(path):
        raise ArchiveError(str(path), "not a wparchive archive (not a SQLite database); "
                                      "run `wparchive import` first")
    try:
        tables, version = _read_schema(path)
    except sqlite3.DatabaseError as error:
        raise ArchiveError(str(path), f"cannot be read as SQLite ({error})")
    if not ARCHIVE_TABLES <= tables:
        raise ArchiveError(str(path), "not a wparchive archive (no sites/posts tables); "
                                      "run `wparchive import` first")
    return ArchiveFile(path, version, writable(path))


def _read_schema(path: Path) -> tuple[set[str], int]:
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return tables, schema_version(conn)
    finally:
        conn.close()

