"""Importing exports into an archive: the library call behind `wparchive import`."""
import gc
import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from functools import partial

from .errors import DamagedInputError, InputError
from .inputs import Input
from .model import Problem
from .sources.wxr import WXRReader
from .sources.wxr_repair import NeedsRepair
from .store import Writer


@dataclass
class FileReport:
    """What one input did to the archive."""
    name: str
    status: str  # imported, unchanged, damaged, failed
    counts: dict = field(default_factory=dict)
    problems: int = 0
    error: str | None = None
    seconds: float = 0.0
    run_id: int | None = None


_DONE = "done"
BATCH = 128


def parsed_in_child(make_reader, progress=None, depth: int = 3):
    """Parse in a forked child process while this one writes, so the parser and SQLite each get a
    core. Records cross in batches through a queue at most `depth` batches deep, so memory stays
    flat on both sides. Where fork is not available the reader runs in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from make_reader(progress)
        return
    context = multiprocessing.get_context("fork")
    pipe = context.Queue(depth)
    child = context.Process(target=_produce, args=(make_reader, pipe), daemon=True)
    child.start()
    try:
        while True:
            message = pipe.get()
            if message == _DONE:
                break
            if isinstance(message, BaseException):
                raise message
            read, records = message
            if progress and read:
                progress(read)
            yield from records
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        pipe.close()


def _produce(make_reader, pipe):
    gc.disable()  # records hold no cycles; collections only cost time in this short-lived process
    read = 0

    def count(n):
        nonlocal read
        read += n

    batch = []
    try:
        for record in make_reader(count):
            batch.append(record)
            if len(batch) >= BATCH:
                pipe.put((read, batch))
                read, batch = 0, []
        pipe.put((read, batch))
        pipe.put(_DONE)
    except BaseException as error:  # handed to the parent, raised there after the records before it
        pipe.put((read, batch))
        pipe.put(error)
    pipe.close()
    pipe.join_thread()


def _wxr_records(item: Input, repair: bool, progress):
    with item.open() as stream:
        yield from WXRReader(stream, item.name, progress, repair)


def previous_run(conn, sha256: str) -> int | None:
    row = conn.execute("SELECT id FROM import_runs WHERE sha256 = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
                       (sha256,)).fetchone()
    return row[0] if row else None


def import_input(conn, item: Input, force: bool = False, progress=None) -> FileReport:
    """Import one export in one transaction. Unreadable or foreign input leaves the archive as it was;
    damaged input keeps every complete record before the damage. Clean files take the fast path
    (no repairs); the first damage found there rolls back and starts over with repairs on.

    A file imported before is recognised by its sha256 and skipped. The hash is taken up front
    only when an earlier import had the same size; otherwise it is taken while the file is read."""
    started = time.monotonic()
    hashing = _Hashing(item)
    if not force and conn.execute("SELECT 1 FROM import_runs WHERE size = ? AND status = 'ok' LIMIT 1",
                                  (item.size,)).fetchone():
        hashing.join()
        if hashing.error:
            return FileReport(item.name, "failed", error=hashing.error)
        run = previous_run(conn, hashing.sha256)
        if run:
            return FileReport(item.name, "unchanged", run_id=run, seconds=time.monotonic() - started)
    gc.disable()  # the records hold no cycles; collections only cost time on large imports
    try:
        return _import_checked(conn, item, hashing, progress, started)
    finally:
        gc.enable()


class _Hashing(threading.Thread):
    """sha256 of the input, computed beside the import (hashlib works without the GIL)."""

    def __init__(self, item: Input):
        super().__init__(daemon=True)
        self.item, self.sha256, self.error = item, None, None
        self.start()

    def run(self):
        try:
            self.sha256 = self.item.sha256()
        except InputError as error:
            self.error = str(error)


def _import_checked(conn, item, hashing, progress, started) -> FileReport:
    if item.kind == "html":
        hashing.join()
        return _import_page(conn, item, hashing.sha256, started)
    for repair in (False, True):
        writer = Writer(conn, item.name, None, source="wxr", seen=item.modified, size=item.size)
        try:
            status, error = _write_all(writer, item, repair, progress, hashing)
            break
        except NeedsRepair:
            writer.abandon()
        except InputError as failure:
            writer.abandon()
            return FileReport(item.name, "failed", error=str(failure), seconds=time.monotonic() - started)
        except BaseException:
            writer.abandon()
            raise
    return FileReport(item.name, status, writer.counts, writer.problems, error,
                      time.monotonic() - started, writer.run_id)


def _import_page(conn, item: Input, sha256: str, started: float) -> FileReport:
    """A saved page: its post and comments, read with the same extractor the scraper uses."""
    from .sources.html import page_from_html  # BeautifulSoup loads slowly; only saved pages need it
    with item.open() as stream:
        page = page_from_html(stream.read())
    if page.post is None:
        return FileReport(item.name, "failed", error=f"{item.name}: no WordPress post found on the page")
    writer = Writer(conn, item.name, sha256, source="html", seen=item.modified)
    try:
        writer.write(page.site)
        writer.write(page.post)
        writer.finish()
    except BaseException:
        writer.abandon()
        raise
    return FileReport(item.name, "imported", writer.counts, writer.problems, None,
                      time.monotonic() - started, writer.run_id)


def _write_all(writer: Writer, item: Input, repair: bool, progress, hashing) -> tuple[str, str | None]:
    """Write every record of the input; damage part-way commits what came before it."""
    try:
        for record in parsed_in_child(partial(_wxr_records, item, repair), progress):
            writer.write(record)
        hashing.join()
        writer.set_sha256(hashing.sha256)
    except DamagedInputError as failure:
        writer.problem(Problem(failure.message, "import stopped; every complete record before it kept",
                               failure.line))
        writer.finish("damaged", str(failure))
        return "damaged", str(failure)
    except (OSError, EOFError) as failure:
        error = f"{item.name}: read failed: {failure}"
        writer.problem(Problem(f"read failed: {failure}", "import stopped; every complete record before it kept"))
        writer.finish("damaged", error)
        return "damaged", error
    writer.finish()
    return "imported", None
