"""One bounded step of one site: a sync from the site's cursors (the first time: a scrape) into
its own archive file, within a time budget, in the archive's own transactions.

A step killed at any moment leaves the archive as the last finished transaction left it, and
running it again rewrites what it had read as unchanged rows (the identity rules): a step may be
repeated, never duplicated. A sync cut short keeps what it read, and the next step lists again
from the same cursors, leaving out the posts and comments already held, so each step gets
further. A first REST scrape cut short saves where it got to with the rows it read
(sources/rest_resume) and the next step goes on from there, for as many steps as it needs while
each gets further. A first scrape through pages or the feed cannot resume: it is one step with
its own, longer budget, and one cut short is read again from the start next cycle.
"""
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..archive import read, runs
from ..archive.session import writing
from ..errors import WparchiveError
from ..jobs.scrape import resume_point, scrape
from ..jobs.sync import SyncLock, sync_site
from ..web import Fetcher
from .pace import StepBudget


@dataclass
class StepSettings:
    """What every step of a run is given (sent as JSON to Celery workers)."""
    delay: float = 1.0
    max_requests: int | None = None
    allow_private: bool = False
    budget: float = 300.0  # seconds for a sync step
    first_budget: float = 3600.0  # seconds for a first scrape step (one through pages or the feed cannot resume)


@dataclass
class Outcome:
    """How one step ended; `more` when it was cut short by its budget and the next step can go on
    (a sync from its cursors, a first REST scrape from the point it saved, if it got further)."""
    url: str
    status: str  # ok, partial, failed
    first: bool = False
    via: str | None = None
    requests: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    error: str | None = None
    more: bool = False
    steps: int = 1
    pid: int = 0
    started: float = 0.0
    finished: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, text) -> "Outcome":
        return cls(**json.loads(text))

    def line(self) -> str:
        """The site's line in `fleet run`'s output."""
        kind = "scraped" if self.first else "synced"
        text = (f"{self.url}: {self.status}, {kind} via {self.via or 'none'} in {self.steps} step(s), "
                f"{self.requests} requests, {self.added} added, {self.updated} updated")
        return text + (f": {self.error}" if self.error else "")


def run_step(path: Path, url: str, settings: StepSettings, pace) -> Outcome:
    """Sync (or first scrape) `url` into the archive at `path`, paced by the shared `pace`."""
    started = time.time()
    outcome = Outcome(url, "failed", pid=os.getpid(), started=started)
    try:
        with writing(path) as conn, SyncLock(path):
            site_id = read.site_id_of(conn, url)
            outcome.first = site_id is None or not runs.sync_state(conn, site_id).get("via")
            point = resume_point(conn, url) if outcome.first else None
            budget = StepBudget(pace, settings.first_budget if outcome.first else settings.budget)
            fetcher = Fetcher(url, delay=settings.delay, max_requests=settings.max_requests,
                              allow_private=settings.allow_private, pace=budget)
            try:
                report = scrape(conn, url, fetcher=fetcher, resumable=True) if outcome.first \
                    else sync_site(conn, site_id, url, fetcher)
            except WparchiveError as error:
                outcome.error, outcome.requests = str(error), fetcher.requests
                outcome.status = "partial" if budget.exhausted else "failed"
            else:
                _take(outcome, report, stopped=budget.exhausted or _budget_spent(fetcher, settings))
            further = outcome.first and resume_point(conn, url) not in (None, point)
            outcome.more = outcome.status == "partial" and (not outcome.first or further)
    except WparchiveError as error:  # the archive file itself (busy, read-only, a full disk)
        outcome.error = str(error)
    outcome.finished = time.time()
    return outcome


def _take(outcome: Outcome, report, stopped: bool):
    outcome.via, outcome.requests, outcome.error = report.via, report.requests, report.error
    outcome.added, outcome.updated, outcome.deleted = report.added, report.updated, report.deleted
    outcome.status = "ok" if report.error is None else ("partial" if stopped else "failed")


def _budget_spent(fetcher: Fetcher, settings: StepSettings) -> bool:
    return settings.max_requests is not None and fetcher.requests >= settings.max_requests
