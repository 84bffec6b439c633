"""How a command holds its archive: checked before it is opened, and not left behind by a run
that wrote nothing (a refused file or a failed scrape must not create an empty archive)."""
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from ..errors import ArchiveError
from .connection import connect

SQLITE_MAGIC = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")


def is_sqlite(path) -> bool:
    """Whether the file at path starts with SQLite's header (false for folders and missing files)."""
    try:
        with open(path, "rb") as file:
            return file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def writable(path: Path) -> bool:
    """The file can be written, and its folder too (SQLite writes -wal and -shm beside it)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def read_only_uri(path: Path) -> str:
    """A URI that opens the archive for reading only. Without a -wal file (nothing unwritten to
    read) it is opened immutable, which creates no -wal or -shm either."""
    wal = path.with_name(path.name + "-wal")
    mode = "ro" if wal.exists() else "ro&immutable=1"
    return f"{path.resolve().as_uri()}?mode={mode}"


def must_exist(path):
    """For commands that only read: a missing archive is a mistake, not an empty one."""
    if not Path(path).is_file():
        raise ArchiveError(str(path), "no archive here; run `wparchive import` or `wparchive scrape` first")


@contextmanager
def writing(path):
    """The archive opened for a run that writes. Refused at once when the file or its folder is
    read-only (SQLite would open it and fail at the first write); removed again when this run
    created it and left it without a site or a run."""
    path = Path(path)
    created = not path.exists()
    if not created and not writable(path):
        raise ArchiveError(str(path), "read-only (file or folder); make it writable or copy the archive elsewhere")
    conn = connect(path)
    try:
        yield conn
    finally:
        empty = created and _holds_nothing(conn)
        conn.close()
        if empty:
            for name in (path.name, *(path.name + side for side in SIDE_FILES)):
                path.with_name(name).unlink(missing_ok=True)


def _holds_nothing(conn) -> bool:
    try:
        return not any(conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                       for table in ("sites", "import_runs", "sync_runs"))
    except sqlite3.Error:
        return False


def last_finished_run(path) -> int | None:
    """The last import or scrape run that finished, read without writing (for the interrupt line)."""
    if not is_sqlite(path):
        return None
    try:
        conn = sqlite3.connect(read_only_uri(Path(path)), uri=True)
        try:
            row = conn.execute("SELECT max(id) FROM import_runs WHERE finished IS NOT NULL").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None
