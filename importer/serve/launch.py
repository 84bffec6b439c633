"""`wparchive serve`: Datasette over an archive, writing nothing the user did not ask for.

What to do is decided first, from a read-only look at the file (archive_file.py): serve it
immutable when SQLite could not write beside it, upgrade its schema only when it is behind and
writable, hide private columns when the host is not this machine alone. Datasette then runs as a
child process, so the folder holding its settings is removed when it ends.
"""
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable

from ..archive import connect
from ..archive.migrations import LATEST
from .archive_file import ArchiveFile, examine
from .private import is_loopback
from .settings import write_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Plan:
    archive: ArchiveFile
    host: str
    read_only: bool  # opened immutable: nothing may be written, -wal and -shm included
    upgrade: bool  # migrate the schema before Datasette opens it
    hide_private: bool  # commenters' emails, IPs and user agents read as NULL


def plan_for(db_path, host: str, private_columns: bool) -> Plan:
    archive = examine(db_path)
    return Plan(archive, host, read_only=not archive.writable, upgrade=archive.writable and archive.behind,
                hide_private=not (private_columns or is_loopback(host)))


def notices(plan: Plan) -> list[str]:
    """What the user should know before the server starts, a line each."""
    path, version, lines = plan.archive.path, plan.archive.version, []
    if plan.read_only:
        lines.append(f"{path}: read-only here, so served immutable (changes made while serving are not seen)")
        if plan.archive.behind:
            lines.append(f"{path}: schema version {version} is older than this wparchive's ({LATEST}) "
                         "and cannot be upgraded here; some canned queries may fail")
    if plan.archive.newer:
        lines.append(f"{path}: schema version {version} is newer than this wparchive's ({LATEST}); "
                     "served as it is")
    if plan.hide_private:
        lines.append(f"serving on {plan.host}: commenters' emails, IPs and user agents hidden "
                     "(--private-columns shows them)")
    elif not is_loopback(plan.host):
        lines.append(f"serving on {plan.host}: commenters' emails, IPs and user agents visible to anyone who connects")
    return lines


def datasette_command(plan: Plan, port: int, settings: list[str]) -> list[str]:
    database = ["--immutable", str(plan.archive.path)] if plan.read_only else [str(plan.archive.path)]
    return [sys.executable, "-m", "datasette", "serve", *database, "--host", plan.host, "--port", str(port),
            *settings]


def serve(db_path, host: str, port: int, private_columns: bool, say: Callable[[str], None]) -> int:
    """Serve until Datasette ends; returns its exit status."""
    plan = plan_for(db_path, host, private_columns)
    for line in notices(plan):
        say(line)
    if plan.upgrade:
        connect(plan.archive.path).close()
    with tempfile.TemporaryDirectory(prefix="wparchive-") as folder:
        settings = write_settings(plan.archive.path, folder, hide_private=plan.hide_private)
        return run_until_stopped(datasette_command(plan, port, settings))


def run_until_stopped(command: list[str]) -> int:
    """Run command in its own process group, passing on the signals that ask it to stop (once:
    a terminal's Ctrl-C reaches only this process), and wait for it to end."""
    child = subprocess.Popen(command, process_group=0)
    previous = {signum: signal.signal(signum, lambda signum, _frame: child.send_signal(signum))
                for signum in STOP_SIGNALS}
    try:
        status = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status if status >= 0 else 128 - status
