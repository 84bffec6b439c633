"""SQLite's storage faults as one line: a full disk, a busy or read-only file, tables changed by hand.

Writer (archive/writer.py) and connect (archive/connection.py) catch sqlite3 errors where a run
writes, rolls back, or opens the archive, and raise what storage_fault gives; errors that are no
storage fault (a bug) stay as they are.
"""
import os
import re
import sqlite3
from pathlib import Path

from ..errors import ArchiveError, DiskFull
from .lock import READ_ONLY, busy, busy_wait, holder_of

CHANGED_BY_HAND = "the archive was changed by hand; restore it or import into a new one"


def storage_fault(error: BaseException | None, db_path: str, what: str | None = None) -> ArchiveError | None:
    """The one-line ArchiveError for a storage fault, or None. `what` is the input whose
    transaction the fault ended (nothing of it is kept); None while the archive is opened."""
    if not isinstance(error, sqlite3.Error):
        return None
    name, text = getattr(error, "sqlite_errorname", "") or "", str(error)
    kept = f"nothing of {what} was kept" if what else "nothing was changed"
    if name == "SQLITE_FULL" or "database or disk is full" in text:
        return DiskFull(db_path, f"the disk is full ({free_mb(db_path)} MB free); {kept}")
    if name.startswith("SQLITE_BUSY") or "database is locked" in text:
        holder = holder_of(db_path)
        who = f"another wparchive is writing (pid {holder.pid})" if holder.pid else "another program is writing it"
        return busy(db_path, who, busy_wait())
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return ArchiveError(db_path, READ_ONLY if what is None else f"{READ_ONLY}; {kept}")
    return _changed_by_hand(text, db_path)


def _changed_by_hand(text: str, db_path: str) -> ArchiveError | None:
    """`no such column` where a statement surfaces it: the check at opening (archive/shape.py)
    names table and column first; this catches what only a statement finds."""
    found = re.search(r"table (\w+) has no column named (\w+)", text)
    if found:
        return ArchiveError(db_path, f"table {found[1]} has no column {found[2]}: {CHANGED_BY_HAND}")
    found = re.search(r"no such (table|column): ([\w.]+)", text)
    if found:
        return ArchiveError(db_path, f"no {found[1]} {found[2]}: {CHANGED_BY_HAND}")
    return None


def free_mb(db_path) -> int:
    """Megabytes free to this user in the archive's folder."""
    try:
        stats = os.statvfs(Path(db_path).resolve().parent)
    except OSError:
        return 0
    return stats.f_bavail * stats.f_frsize // 2 ** 20
