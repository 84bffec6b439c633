"""Reading a live blog into the archive: a source's records applied in one transaction. Scrape
and sync both run this; they differ only in the state they start from and whether they reconcile."""
import time
from dataclasses import dataclass, field

from ..archive import Writer
from ..archive.read import comment_ids, site_id_of
from ..errors import BudgetExhausted
from ..model import Problem
from ..sources import WebSource
from ..sources.live import LiveSite


@dataclass
class RunReport:
    """What one run over one blog did."""
    url: str
    via: str | None = None
    requests: int = 0
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)
    problems: int = 0
    run_id: int | None = None
    error: str | None = None
    deleted: int = 0

    @property
    def source(self) -> str | None:
        return self.via

    @property
    def added(self) -> int:
        return sum(c["added"] for t, c in self.counts.items() if t in ("posts", "comments"))

    @property
    def updated(self) -> int:
        return sum(c["updated"] for t, c in self.counts.items() if t in ("posts", "comments"))


def live_site(conn, fetcher, url: str, state: dict | None = None, full: bool = False, pages: bool = True,
              site_id: int | None = None) -> LiveSite:
    """The run's starting point, with what the archive already knows of the site read up front."""
    known = comment_ids(conn, site_id if site_id is not None else site_id_of(conn, url))
    return LiveSite(fetcher, url, state=state or {}, known_comments=known, full=full, pages=pages)


def apply(conn, site: LiveSite, source: WebSource, progress=None) -> RunReport:
    """Write the source's records for `site`; a request budget that runs out keeps what was read."""
    started = time.monotonic()
    report = RunReport(url=site.url, via=source.name)
    writer = Writer(conn, site.url, None, source=source.provenance)
    try:
        for record in source.records(site):
            writer.write(record)
            if progress:
                progress(site.fetcher.requests)
    except BudgetExhausted as stop:
        report.error = str(stop)
        writer.problem(Problem(str(stop), "run stopped; everything read so far kept"))
    except BaseException:
        writer.abandon()
        raise
    writer.finish("ok" if report.error is None else "partial", report.error, requests=site.fetcher.requests)
    report.requests, report.seconds = site.fetcher.requests, time.monotonic() - started
    report.counts, report.problems, report.run_id = writer.counts, writer.problems, writer.run_id
    report.deleted = writer.deleted
    return report
