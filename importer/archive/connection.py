"""Opening an archive: pragmas, and the schema brought up to date (archive/migrations.py)."""
import sqlite3
from pathlib import Path

from ..errors import ArchiveError
from .faults import storage_fault
from .lock import busy_wait
from .migrations import refuse_newer, upgrade
from .shape import check_shape


def connect(path) -> sqlite3.Connection:
    """Open (creating if needed) an archive at the latest schema version, in WAL mode so readers
    never block. An archive already up to date is not written; one from a newer wparchive is
    refused before anything touches it. The errors a user causes (a folder that does not exist,
    a file that is no archive, a read-only one) come out as one-line ArchiveErrors."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise ArchiveError(str(path), f"the folder {folder} does not exist; create it or choose another --db")
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_wait())  # as long as the lock waits
    except sqlite3.Error as error:
        raise ArchiveError(str(path), f"cannot be opened ({error})") from None
    try:
        refuse_newer(conn, str(path))
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        upgrade(conn, str(path))  # before foreign_keys: a migration may rebuild a table
        check_shape(conn, str(path))  # tables changed by hand, named before any statement trips on them
    except sqlite3.Error as error:
        conn.close()
        explained = _explained(error)
        fault = None if explained else storage_fault(error, str(path))  # a full disk, a busy file
        if fault is not None:
            raise fault from None
        if explained is None:
            raise
        raise ArchiveError(str(path), explained) from None
    except BaseException:
        conn.close()
        raise
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cache_size = -8000")
    return conn


def _explained(error: sqlite3.Error) -> str | None:
    text = str(error)
    if "not a database" in text:
        return ("not an SQLite archive; --db names the archive (exports come after the command: "
                "wparchive import --db archive.db export.xml)")
    if "readonly" in text:
        return "read-only (file or folder); make it writable or copy the archive elsewhere"
    return None  # not the user's doing (a disk error, a failing migration): raised as it is
