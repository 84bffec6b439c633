"""Re-syncing archived sites from the web: cheap, incremental, and never losing history.

Each site is read from where it lives (its REST API, else its feed and pages) in one transaction
with its cursors, so a run killed at any moment leaves the archive as the last finished run left
it, and the next run simply does the work again. Changed rows keep their previous text (the
version triggers); rows the blog no longer shows are marked `deleted_at`, never removed. Only a
full reconciliation (`--full`) looks for deletions, reading ids alone.
"""
import json

from ..archive import runs
from ..archive.lock import SYNC, ArchiveLock
from ..archive.read import sites_to_sync
from ..errors import FetchError
from ..sources import richest, web_source
from ..web import Fetcher
from .collect import RunReport, apply, live_site

__all__ = ["SyncLock", "sites_to_sync", "sync_site"]


class SyncLock(ArchiveLock):
    """The archive's write lock (archive/lock.py), held for the whole run: a second sync is refused
    at once ("another sync is running on this archive (pid N)"), an import or scrape is waited for,
    and the run's own transactions go on under this hold."""

    def __init__(self, db_path):
        super().__init__(db_path, role=SYNC)


def sync_site(conn, site_id: int, url: str, fetcher: Fetcher, full: bool = False) -> RunReport:
    """Re-sync one site from where its last run stopped, recorded in sync_runs."""
    run_id = runs.start_sync_run(conn, site_id)
    site = live_site(conn, fetcher, url, state=runs.sync_state(conn, site_id), full=full, site_id=site_id)
    if site.state.get("via") == "wayback":  # a dead blog: read from its archive, not its address
        from ..sources.cdx import DEFAULT_BASE, archive_fetcher
        site.fetcher = fetcher = archive_fetcher(site.state.get("wayback_url") or DEFAULT_BASE, fetcher)
    fetcher.robots_memo = json.loads(site.state.get("robots") or "{}")  # robots.txt revalidated, not re-read
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
