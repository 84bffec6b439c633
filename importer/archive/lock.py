"""One writer at a time: the lock every wparchive that writes an archive takes first.

The lock is an flock() on a file beside the archive (archive.db.lock), held by an import's,
scrape's or sync's transaction (archive/writer.py) and by a whole sync run (jobs/sync.py). The OS
drops it when its holder dies, so a killed run never leaves it stuck. The file holds the holder's
pid ("pid 123", "pid 123 sync") so the one waiting can say whom it waits for, and is removed when
the lock is released. A second writer waits, then gives up with one line; SQLite's busy timeout
(archive/connection.py) is the same wait, for programs that do not take this lock.
"""
import errno
import fcntl
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiveBusy, ArchiveError, WparchiveError

WAIT_VARIABLE = "WPARCHIVE_BUSY_TIMEOUT"
DEFAULT_WAIT = 30.0
POLL = 0.1  # seconds between tries: a wait happens once per run, never per row
SYNC = "sync"
READ_ONLY = "read-only (file or folder); make it writable or copy the archive elsewhere"


def busy_wait() -> float:
    """Seconds a writer waits for another to finish: $WPARCHIVE_BUSY_TIMEOUT, else 30."""
    value = os.environ.get(WAIT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_WAIT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise WparchiveError(WAIT_VARIABLE, f"{value!r} is not a number of seconds")
    return seconds


def lock_path(db_path) -> Path:
    return Path(f"{db_path}.lock")


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as its file says; pid None while the holder has not written it yet."""
    pid: int | None
    role: str = ""

    def __str__(self) -> str:
        return f"pid {self.pid}"


def holder_of(db_path) -> Holder:
    """The holder named in the lock file (for a message; it may have just left)."""
    try:
        return _parsed(lock_path(db_path).read_text(errors="replace"))
    except OSError:
        return Holder(None)


class ArchiveLock:
    """The archive's write lock. `borrow`: when this process holds it already (a sync run whose
    transactions take it again), go on under that hold instead of waiting for ourselves."""

    def __init__(self, db_path, role: str = "", borrow: bool = False):
        self.db_path, self.path, self.role, self.borrow = str(db_path), lock_path(db_path), role, borrow
        self.fd: int | None = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def acquire(self) -> "ArchiveLock":
        """Take the lock, waiting up to busy_wait() seconds for a holder to finish."""
        wait = busy_wait()
        deadline = time.monotonic() + wait
        fd = self._open()
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = _parsed(os.pread(fd, 100, 0).decode(errors="replace"))
                    if self.borrow and holder.pid == os.getpid():
                        return self
                    self._refuse_or_wait(holder, deadline, wait)
                    continue
                if _still_at(fd, self.path):
                    self.fd, fd = fd, None
                    self._sign()
                    return self
                os.close(fd)  # its holder removed it on release: the file at the path now is the lock
                fd = None  # (closed, should the next open fail)
                fd = self._open()
        finally:
            if fd is not None:
                os.close(fd)

    def release(self):
        """Remove the file, then let go: whoever waited on the removed file tries the path again."""
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only folder now: the file stays, and the lock goes with the descriptor
        os.close(fd)

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise ArchiveError(self.db_path, READ_ONLY) from None
            raise ArchiveError(self.db_path, f"cannot create its lock file {self.path} ({error.strerror})") from None

    def _sign(self):
        """The holder's pid into the file. A full disk may refuse even that: the lock holds anyway."""
        mark = f"pid {os.getpid()}" + (f" {self.role}" if self.role else "")
        try:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, mark.encode(), 0)
        except OSError:
            pass

    def _refuse_or_wait(self, holder: Holder, deadline: float, wait: float):
        if self.role == SYNC and holder.role == SYNC:
            raise ArchiveBusy(self.db_path, f"another sync is running on this archive ({holder}); "
                                            "try again when it ends")
        if time.monotonic() >= deadline:
            raise busy(self.db_path, f"another wparchive is writing{_named(holder)}", wait)
        time.sleep(POLL)


def busy(db_path, who: str, wait: float) -> ArchiveBusy:
    """`archive.db is busy: another wparchive is writing (pid N); waited 30 s, ...`"""
    return ArchiveBusy(f"{db_path} is busy", f"{who}; waited {wait:g} s, try again when it ends "
                                             f"(or set {WAIT_VARIABLE} to wait longer)")


def _named(holder: Holder) -> str:
    return f" ({holder})" if holder.pid else ""


def _parsed(text: str) -> Holder:
    found = re.fullmatch(r"pid (\d+)(?: (\w+))?", text.strip())
    return Holder(int(found.group(1)), found.group(2) or "") if found else Holder(None)


def _still_at(fd: int, path: Path) -> bool:
    """Whether the file locked is still the one at path (a releasing holder removes it)."""
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
