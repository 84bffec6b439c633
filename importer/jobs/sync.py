"""Re-syncing archived sites from the web: cheap, incremental, and never losing history.

Each site is read from where it lives (its REST API, else its feed and pages) in one transaction
with its cursors, so a run killed at any moment leaves the archive as the last finished run left
it, and the next run simply does the work again. Changed rows keep their previous text (the
version triggers); rows the blog no longer shows are marked `deleted_at`, never removed. Only a
full reconciliation (`--full`) looks for deletions, reading ids alone.
"""
import fcntl
import os
from pathlib import Path

from ..archive import runs
from ..archive.read import sites_to_sync
from ..errors import ArchiveBusy, FetchError
from ..sources import richest, web_source
from ..web import Fetcher
from .collect import RunReport, apply, live_site

__all__ = ["SyncLock", "sites_to_sync", "sync_site"]


class SyncLock:
    """An exclusive lock beside the archive. The OS drops it when its holder dies, so a crashed
    or killed run never leaves it stuck."""

    def __init__(self, db_path):
        self.db_path, self.path = db_path, Path(f"{db_path}.sync-lock")

    def __enter__(self):
        self.file = open(self.path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "another process"
            self.file.close()
            raise ArchiveBusy(str(self.db_path), f"another sync is running on this archive ({holder}); try again when it ends")
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()}")
        self.file.flush()
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def sync_site(conn, site_id: int, url: str, fetcher: Fetcher, full: bool = False) -> RunReport:
    """Re-sync one site from where its last run stopped, recorded in sync_runs."""
    run_id = runs.start_sync_run(conn, site_id)
    site = live_site(conn, fetcher, url, state=runs.sync_state(conn, site_id), full=full, site_id=site_id)
    report = RunReport(url=url)
    try:
        via = site.state.get("via")
        source = web_source(via) if via else richest(site.found)
        report.via = source.name
        report = apply(conn, site, source)
    except FetchError as error:
        report.error, report.requests = str(error), fetcher.requests
    runs.finish_sync_run(conn, run_id, report, report.run_id)
    return report
