"""What `serve` may do with a file, learnt without writing to it.

The archive's own `connect` creates tables and switches to WAL, so it must not be the first thing
to touch a file that may not be an archive. This module reads only: the 100-byte SQLite header,
then the schema through a read-only connection. A read-only connection to a WAL database leaves
-wal and -shm files behind, so without a -wal file (nothing unwritten to read) the file is opened
immutable, which creates nothing.
"""
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..archive.migrations import LATEST, schema_version
from ..errors import ArchiveError

SQLITE_MAGIC = b"SQLite format 3\x00"
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
    if not _has_sqlite_header(path):
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


def writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _has_sqlite_header(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _read_schema(path: Path) -> tuple[set[str], int]:
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return tables, schema_version(conn)
    finally:
        conn.close()


def read_only_uri(path: Path) -> str:
    wal = path.with_name(path.name + "-wal")
    mode = "ro" if wal.exists() else "ro&immutable=1"
    return f"{path.resolve().as_uri()}?mode={mode}"
