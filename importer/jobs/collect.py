"""Reading a live blog into the archive: a source's records applied in one transaction. Scrape
and sync both run this; they differ only in the state they start from and whether they reconcile."""
import json
import time
from dataclasses import dataclass, field

from ..archive import Writer
from ..archive import read
from ..errors import BudgetExhausted, FetchError
from ..model import Post, Problem, SyncState
from ..sources import WebSource
from ..sources.live import Known, LiveSite


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
    site_id = site_id if site_id is not None else read.site_id_of(conn, url)
    known = Known() if site_id is None else Known(
        read.comment_ids(conn, site_id), read.post_versions_held(conn, site_id), read.author_ids(conn, site_id),
        read.term_names(conn, site_id))
    return LiveSite(fetcher, url, state=state or {}, known=known, full=full, pages=pages)


def apply(conn, site: LiveSite, source: WebSource, progress=None, require_posts: bool = False) -> RunReport:
    """Write the source's records for `site`; a request budget that runs out keeps what was read.
    With `require_posts`, a run that found no post writes nothing and raises FetchError saying
    what it tried: a wrong URL is not a success."""
    started = time.monotonic()
    report = RunReport(url=site.url, via=source.name)
    writer = Writer(conn, site.url, None, source=source.provenance)
    posts = 0
    try:
        for record in source.records(site):
            posts += isinstance(record, Post)
            writer.write(record)
            if progress:
                progress(site.fetcher.requests)
    except BudgetExhausted as stop:
        report.error = str(stop)
        writer.problem(Problem(str(stop), "run stopped; everything read so far kept"))
    except BaseException:
        writer.abandon()
        raise
    if require_posts and not posts and report.error is None:
        writer.abandon()
        raise FetchError(site.url, site.found.nothing_found(site.fetcher.requests))
    if site.fetcher.robots_memo and writer.site_id is not None:  # how the next run revalidates robots.txt
        writer.write(SyncState({"robots": json.dumps(site.fetcher.robots_memo)}))
    for note in site.fetcher.notes:  # limits the fetcher applied (a capped Crawl-delay)
        writer.problem(Problem(note, "limit applied; the run went on"))
    writer.finish("ok" if report.error is None else "partial", report.error, requests=site.fetcher.requests)
    report.requests, report.seconds = site.fetcher.requests, time.monotonic() - started
    report.counts, report.problems, report.run_id = writer.counts, writer.problems, writer.run_id
    report.deleted = writer.deleted
    return report
