"""What the `fleet` commands do: register sites, run the due ones (here, or through Celery
workers), and publish the fleet as one archive. The CLI only parses options and prints."""
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, SetupError
from ..fleet.registry import DAY, Registry
from ..fleet.runner import MAX_STEPS, run_sites
from ..fleet.step import Outcome, StepSettings
from ..text import site_key
from ..web.site_url import checked

__all__ = ["RunSummary", "add_sites", "beat", "enqueue_due", "publish", "remove_sites", "run_fleet", "urls_from_file", "work"]


@dataclass
class RunSummary:
    """A fleet run: each site's outcome, in the order they ended."""
    outcomes: list[Outcome] = field(default_factory=list)
    queued: int = 0
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def worst(self) -> int:
        """The exit status: 0 every site ok, 1 some cut short by a budget, 2 some failed."""
        return 2 if self.count("failed") else (1 if self.count("partial") else 0)

    def line(self) -> str:
        if not self.outcomes:
            return f"{self.queued} site(s) sent to the workers; not waiting" if self.queued else "no site is due"
        requests = sum(o.requests for o in self.outcomes)
        return (f"{len(self.outcomes)} site(s): {self.count('ok')} ok, {self.count('partial')} partial, "
                f"{self.count('failed')} failed; {requests} requests in {self.seconds:.1f} s")


def urls_from_file(path) -> list[str]:
    """One URL a line; blank lines and # comments left out."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), f"cannot be read ({error.__class__.__name__})") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def add_sites(folder, urls, every: float = DAY) -> tuple[int, int]:
    """Register the sites; (added, already there). Every URL is checked before any is added."""
    for url in urls:
        checked(url)
    with Registry(folder) as registry:
        added = sum(registry.add(url, every) for url in urls)
    return added, len(urls) - added


def remove_sites(folder, urls) -> list[str]:
    """Forget the sites; the archive files they leave, for the caller to mention."""
    with Registry(folder) as registry:
        sites = [registry.site(url) for url in urls]  # all known, or nothing is removed
        return [str(registry.archive_path(registry.remove(site.url))) for site in sites]


def run_fleet(folder, settings: StepSettings, jobs: int = 4, broker: str | None = None, wait: bool = True,
              queues: int | None = None, say=lambda outcome: None) -> RunSummary:
    """Every due site once: here with `jobs` in flight, or as steps sent to `broker`'s workers."""
    started = time.monotonic()
    with Registry(folder) as registry:
        if broker is None:
            summary = RunSummary(run_sites(registry, registry.due(stale_after=0), settings, jobs, say))
        else:
            summary = _through_broker(registry, broker, settings, wait, queues, say)
    summary.seconds = time.monotonic() - started
    return summary


def _through_broker(registry, broker, settings, wait, queues, say) -> RunSummary:
    from ..fleet.buckets import outcomes_key
    from ..fleet.celery_app import make_app

    client = _answering(broker)
    app = make_app(broker)
    key = outcomes_key(registry.fleet_id)
    sites = enqueue_due(app, client, registry, settings, queues)
    summary = RunSummary(queued=len(sites))
    expected = {site.url_key for site in sites}
    while wait and expected:
        reported = client.blpop([key], timeout=5)
        if reported is None:
            continue
        outcome = Outcome.from_json(reported[1])
        registry.record(outcome)
        if site_key(outcome.url) in expected:
            expected.discard(site_key(outcome.url))
            summary.outcomes.append(outcome)
            say(outcome)
    return summary


def enqueue_due(app, client, registry, settings: StepSettings, queues: int | None = None) -> list:
    """Record what the workers reported since the last time (a --no-wait run, beat's last tick),
    then send each due site's first step to its queue; the sites sent."""
    from ..fleet.buckets import outcomes_key
    from ..fleet.celery_app import QUEUES, send_steps

    key = outcomes_key(registry.fleet_id)
    _record_reported(client, registry, key)
    sites = registry.due(stale_after=settings.first_budget + MAX_STEPS * settings.budget)
    send_steps(app, sites, settings, key, uuid.uuid4().hex, queues or QUEUES)
    registry.mark_queued(sites)
    return sites


def _record_reported(client, registry, key):
    while (reported := client.lpop(key)) is not None:
        registry.record(Outcome.from_json(reported))


def _answering(broker: str):
    """A Redis client for `broker`, which must answer."""
    import redis

    if not broker.startswith(("redis://", "rediss://", "unix://")):
        raise SetupError(broker, "the broker must be a Redis URL, e.g. redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(broker, socket_timeout=60)  # longer than the blocking reads' own wait
    try:
        client.ping()
    except redis.RedisError as error:
        raise SetupError(broker, f"the broker does not answer ({error})") from None
    return client


def work(folder, broker: str, queues: int | None = None, only=(), concurrency: int = 1,
         lock_ttl: float | None = None, visibility: float | None = None):
    """Run a Celery worker for the fleet in `folder` until it is stopped."""
    from ..fleet import celery_app

    folder = Path(folder)
    Registry(folder).close()  # the folder exists and is a fleet
    _answering(broker)
    app = celery_app.make_app(broker, folder.resolve(), lock_ttl or celery_app.LOCK_TTL,
                              visibility or celery_app.VISIBILITY)
    celery_app.start_worker(app, celery_app.queue_names(queues or celery_app.QUEUES, only), concurrency)


def beat(folder, broker: str, settings: StepSettings, every: float, queues: int | None = None):
    """Run Celery beat for the fleet in `folder` until it is stopped: every `every` seconds the
    sites now due are sent to the workers (no cron, no `fleet run`)."""
    from ..fleet import celery_app

    folder = Path(folder)
    Registry(folder).close()
    _answering(broker)
    app = celery_app.make_app(broker, folder.resolve())
    celery_app.start_beat(app, folder.resolve(), every, settings, queues or celery_app.QUEUES)


def publish(folder, out=None):
    """Copy every site changed since its last publish into one archive (default <fleet>/fleet.db)."""
    from ..archive.lock import ArchiveLock
    from ..archive.session import writing
    from ..fleet.publish import PublishReport, publish_site, site_tables

    with Registry(folder) as registry:
        out = Path(out or registry.folder / "fleet.db")
        fresh = not out.exists()
        report = PublishReport(str(out))
        with writing(out) as conn, ArchiveLock(out, role="publish"):
            tables = site_tables(conn)
            sites, report.unchanged = registry.to_publish(str(out.resolve()), fresh)
            for site in sites:
                started = time.time()
                copied = publish_site(conn, str(registry.archive_path(site)), site.url_key, tables)
                if copied is None:
                    continue  # its file holds no such site yet (its first scrape failed)
                registry.mark_published(str(out.resolve()), site, started)
                report.sites += 1
                for table, count in copied.items():
                    report.rows[table] = report.rows.get(table, 0) + count
        return report
