"""Importing exports into an archive: the library call behind `wparchive import`."""
import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from functools import partial

from ..errors import DamagedInputError, InputError, WparchiveError
from ..inputs import Input
from ..model import Problem
from ..signals import handled
from ..sources import file_source
from ..sources.wxr_repair import NeedsRepair
from ..archive import Writer
from ..archive.runs import imported_size_before, previous_import


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
    parts: tuple[str, ...] = ()  # what was read, in order: the file, or each export of a zip


_DONE = "done"
BATCH = 128


def parsed_in_child(make_reader, name: str, progress=None, depth: int = 3):
    """Parse in a forked child process while this one writes, so the parser and SQLite each get a
    core. Records cross in batches through a queue at most `depth` batches deep, so memory stays
    flat on both sides. Where fork is not available the reader runs in this process. The child
    dies with this process, however it ends (see `_bind_to_parent`)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from make_reader(progress)
        return
    context = multiprocessing.get_context("fork")
    pipe = context.Queue(depth)
    child = context.Process(target=_produce, args=(make_reader, pipe, os.getpid()), daemon=True)
    child.start()
    try:
        while True:
            message = _next_message(pipe, child, name)
            if message == _DONE:
                break
            if isinstance(message, BaseException):
                raise message
            read, records = pickle.loads(message)
            if progress and read:
                progress(read)
            yield from records
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        pipe.close()


def _next_message(pipe, child, name: str):
    """The child's next message. A child that dies (killed, out of memory, crashed in the parser)
    is damage part-way, like a file that breaks off: the records that crossed are complete."""
    while True:
        try:
            return pipe.get(timeout=1)
        except queue.Empty:
            if not child.is_alive():
                raise DamagedInputError(name, f"the parser process ended unexpectedly (exit code "
                                        f"{child.exitcode}); every complete record before it was kept") from None


def _bind_to_parent(parent: int):
    """Have the kernel kill this child when its parent ends, SIGKILL included: otherwise it blocks
    on a full queue forever, holding the export open. Linux only; `_put` checks elsewhere."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the request took hold
        os._exit(1)


def _put(pipe, message, parent: int):
    """Put on the queue, giving up for good if the parent is gone (the queue is full because no one
    reads it)."""
    while True:
        try:
            return pipe.put(message, timeout=1)
        except queue.Full:
            if os.getppid() != parent:
                os._exit(1)


def _produce(make_reader, pipe, parent: int):
    """The child's side. Batches are pickled here rather than in the queue's own thread, so a
    record that cannot cross fails the import instead of vanishing."""
    _bind_to_parent(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler must not run here
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent ends this child
    gc.disable()  # records hold no cycles; collections only cost time in this short-lived process
    read, batch = 0, []

    def count(n):
        nonlocal read
        read += n

    try:
        for record in make_reader(count):
            batch.append(record)
            if len(batch) >= BATCH:
                _put(pipe, _packed(read, batch), parent)
                read, batch = 0, []
        ending = _DONE
    except BaseException as error:  # handed to the parent, raised there after the records before it
        ending = error
    try:
        _put(pipe, _packed(read, batch), parent)
    except BaseException as error:
        ending = error
    _put(pipe, ending, parent)
    pipe.close()
    pipe.join_thread()


def _packed(read: int, batch: list) -> bytes:
    return pickle.dumps((read, batch), protocol=pickle.HIGHEST_PROTOCOL)


def import_input(conn, item: Input, force: bool = False, progress=None) -> FileReport:
    """Import one export in one transaction. Unreadable or foreign input leaves the archive as it was;
    damaged input keeps every complete record before the damage. Clean files take the fast path
    (no repairs); the first damage found there rolls back and starts over with repairs on.

    A file imported before is recognised by its sha256 and skipped. The hash is taken up front
    only when an earlier import had the same size; otherwise it is taken as the file is parsed."""
    started = time.monotonic()
    sha256 = None
    source = file_source(item.name)
    if not source.in_child or not force and imported_size_before(conn, item.size):
        try:
            sha256 = item.sha256()
        except InputError as error:
            return FileReport(item.name, "failed", error=str(error))
        except DamagedInputError:
            sha256 = None  # not what was imported before, then; the import says where it breaks
        run = None if force or sha256 is None else previous_import(conn, sha256)
        if run:
            return FileReport(item.name, "unchanged", run_id=run, seconds=time.monotonic() - started)
    with _terminate_as_exit():
        if not source.in_child:
            return _import_small(conn, item, source, sha256, started)
        gc.disable()  # the records hold no cycles; collections only cost time on large imports
        try:
            return _import_wxr(conn, item, source, sha256, progress, started)
        finally:
            gc.enable()


def _terminate_as_exit():
    """SIGTERM ends an import the way Ctrl-C does: the transaction rolls back, the archive goes back
    to WAL and the parser child is ended, instead of the process vanishing mid-write."""
    def leave(signum, frame):
        raise SystemExit(128 + signum)
    return handled(signal.SIGTERM, leave)


def _import_wxr(conn, item, source, sha256, progress, started) -> FileReport:
    """An export, parsed in a second process: clean files on the fast path, the first damage found
    there rolls back and starts over with repairs on."""
    for repair in (False, True):
        writer = Writer(conn, item.name, sha256, source=source.name, seen=item.modified, size=item.size)
        try:
            status, error = _write_all(writer, item, source, repair, progress)
            break
        except NeedsRepair:
            writer.abandon()
        except InputError as failure:
            writer.abandon()
            return FileReport(item.name, "failed", error=str(failure), seconds=time.monotonic() - started)
        except sqlite3.DataError as failure:  # a value past SQLite's size limit (1 GB)
            writer.abandon()
            return FileReport(item.name, "failed", error=f"{item.name}: cannot be archived: {failure}",
                              seconds=time.monotonic() - started)
        except BaseException:
            writer.abandon()
            raise
    return FileReport(item.name, status, writer.counts, writer.problems, error,
                      time.monotonic() - started, writer.run_id, item.parts)


def _import_small(conn, item: Input, source, sha256: str, started: float) -> FileReport:
    """An input small enough to read in this process (a saved page), in one transaction."""
    try:
        records = list(source.records(item, False, None))
    except InputError as error:
        return FileReport(item.name, "failed", error=str(error))
    writer = Writer(conn, item.name, sha256, source=source.name, seen=item.modified)
    try:
        for record in records:
            writer.write(record)
        writer.finish()
    except BaseException:
        writer.abandon()
        raise
    if source.name == "warc" and writer.db_path and writer.site_id is not None:  # its media, into the store
        from .warc_media import store_media
        writer.counts["media files"] = store_media(conn, writer.db_path, item, writer.site_id)
    return FileReport(item.name, "imported", writer.counts, writer.problems, None,
                      time.monotonic() - started, writer.run_id)


def _write_all(writer: Writer, item: Input, source, repair: bool, progress) -> tuple[str, str | None]:
    """Write every record of the input; damage part-way commits what came before it."""
    try:
        for record in parsed_in_child(partial(source.records, item, repair), item.name, progress):
            writer.write(record)
    except DamagedInputError as failure:
        where = "" if failure.where == item.name else f"{failure.where}: "  # a part of a zip
        writer.problem(Problem(where + failure.message, "import stopped; every complete record before it kept",
                               failure.line))
        _remember_bytes(writer, item)
        writer.finish("damaged", str(failure))
        return "damaged", str(failure)
    except (OSError, EOFError) as failure:
        error = f"{item.name}: read failed: {failure}"
        writer.problem(Problem(f"read failed: {failure}", "import stopped; every complete record before it kept"))
        writer.finish("damaged", error)
        return "damaged", error
    writer.finish()
    return "imported", None


def _remember_bytes(writer: Writer, item: Input):
    """The parser stopped at the damage, before hashing the rest: hash it all now, so the same
    damaged file read again is skipped instead of adding its problems twice."""
    try:
        writer.set_sha256(item.sha256())
    except WparchiveError:  # unreadable past the damage (a cut-off .gz): it will be read again
        pass
