"""Importing exports into an archive: the library call behind `wparchive import`."""
import gc
import hashlib
import multiprocessing
import pickle
import queue
import time
from dataclasses import dataclass, field
from functools import partial

from ..errors import DamagedInputError, InputError
from ..inputs import Input
from ..model import Digest, Problem
from ..sources.wxr import WXRReader
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
            message = _next_message(pipe, child)
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


def _next_message(pipe, child):
    while True:
        try:
            return pipe.get(timeout=1)
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError(f"the parser process ended unexpectedly (exit code {child.exitcode})") from None


def _produce(make_reader, pipe):
    """The child's side. Batches are pickled here rather than in the queue's own thread, so a
    record that cannot cross fails the import instead of vanishing."""
    gc.disable()  # records hold no cycles; collections only cost time in this short-lived process
    read, batch = 0, []

    def count(n):
        nonlocal read
        read += n

    try:
        for record in make_reader(count):
            batch.append(record)
            if len(batch) >= BATCH:
                pipe.put(_packed(read, batch))
                read, batch = 0, []
        ending = _DONE
    except BaseException as error:  # handed to the parent, raised there after the records before it
        ending = error
    try:
        pipe.put(_packed(read, batch))
    except BaseException as error:
        ending = error
    pipe.put(ending)
    pipe.close()
    pipe.join_thread()


def _packed(read: int, batch: list) -> bytes:
    return pickle.dumps((read, batch), protocol=pickle.HIGHEST_PROTOCOL)


def _wxr_records(item: Input, repair: bool, progress):
    with item.open() as stream:
        hashed = _HashedStream(stream)
        yield from WXRReader(hashed, item.name, progress, repair)
        yield Digest(hashed.hexdigest())


class _HashedStream:
    """A stream that hashes what is read from it: the parser's own read gives the input's sha256,
    so the file is not read (or unzipped) a second time for it."""

    def __init__(self, stream):
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.digest.update(data)
        return data

    def hexdigest(self) -> str:
        while self.read(1 << 20):  # whatever follows the export's end counts too
            pass
        return self.digest.hexdigest()


def import_input(conn, item: Input, force: bool = False, progress=None) -> FileReport:
    """Import one export in one transaction. Unreadable or foreign input leaves the archive as it was;
    damaged input keeps every complete record before the damage. Clean files take the fast path
    (no repairs); the first damage found there rolls back and starts over with repairs on.

    A file imported before is recognised by its sha256 and skipped. The hash is taken up front
    only when an earlier import had the same size; otherwise it is taken as the file is parsed."""
    started = time.monotonic()
    sha256 = None
    if item.kind == "html" or not force and imported_size_before(conn, item.size):
        try:
            sha256 = item.sha256()
        except InputError as error:
            return FileReport(item.name, "failed", error=str(error))
        run = None if force else previous_import(conn, sha256)
        if run:
            return FileReport(item.name, "unchanged", run_id=run, seconds=time.monotonic() - started)
    if item.kind == "html":
        return _import_page(conn, item, sha256, started)
    gc.disable()  # the records hold no cycles; collections only cost time on large imports
    try:
        return _import_wxr(conn, item, sha256, progress, started)
    finally:
        gc.enable()


def _import_wxr(conn, item, sha256, progress, started) -> FileReport:
    for repair in (False, True):
        writer = Writer(conn, item.name, sha256, source="wxr", seen=item.modified, size=item.size)
        try:
            status, error = _write_all(writer, item, repair, progress)
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
    from ..sources.html import page_from_html  # BeautifulSoup loads slowly; only saved pages need it
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


def _write_all(writer: Writer, item: Input, repair: bool, progress) -> tuple[str, str | None]:
    """Write every record of the input; damage part-way commits what came before it."""
    try:
        for record in parsed_in_child(partial(_wxr_records, item, repair), progress):
            writer.write(record)
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
