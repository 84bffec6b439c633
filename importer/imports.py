"""Importing exports into an archive: the library call behind `wparchive import`."""
import time
from dataclasses import dataclass, field

from .errors import DamagedInputError, InputError
from .inputs import Input
from .model import Problem
from .sources.wxr import WXRReader
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


def previous_run(conn, sha256: str) -> int | None:
    row = conn.execute("SELECT id FROM import_runs WHERE sha256 = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
                       (sha256,)).fetchone()
    return row[0] if row else None


def import_input(conn, item: Input, force: bool = False, progress=None) -> FileReport:
    """Import one export in one transaction. Unreadable or foreign input leaves the archive as it was;
    damaged input keeps every complete record before the damage."""
    started = time.monotonic()
    try:
        sha256 = item.sha256()
    except InputError as error:
        return FileReport(item.name, "failed", error=str(error))
    if not force:
        run = previous_run(conn, sha256)
        if run:
            return FileReport(item.name, "unchanged", run_id=run, seconds=time.monotonic() - started)
    writer = Writer(conn, item.name, sha256, source="wxr", seen=item.modified)
    try:
        with item.open() as stream:
            for record in WXRReader(stream, item.name, progress):
                writer.write(record)
        writer.finish()
        status, error = "imported", None
    except InputError as failure:
        writer.abandon()
        return FileReport(item.name, "failed", error=str(failure), seconds=time.monotonic() - started)
    except DamagedInputError as failure:
        writer.problem(Problem(failure.message, "import stopped; every complete record before it kept",
                               failure.line))
        writer.finish("damaged", str(failure))
        status, error = "damaged", str(failure)
    except (OSError, EOFError) as failure:
        writer.finish("damaged", f"{item.name}: read failed: {failure}")
        status, error = "damaged", f"{item.name}: read failed: {failure}"
    except BaseException:
        writer.abandon()
        raise
    return FileReport(item.name, status, writer.counts, writer.problems, error,
                      time.monotonic() - started, writer.run_id)
