"""The embedded fleet run: every due site on this machine, N in flight (threads: the work is
waiting on the network), one HostSpacing shared by all so a host many sites live on is still
asked once per delay."""
from concurrent.futures import ThreadPoolExecutor, as_completed

from .pace import HostSpacing
from .step import Outcome, StepSettings, run_step

MAX_STEPS = 5  # sync steps a site may take in one cycle; what is left waits for its next due time


def goes_on(outcome: Outcome) -> bool:
    """Whether the site's next step follows now: a sync for MAX_STEPS steps, a first scrape for
    as long as each step gets further (it may never finish otherwise)."""
    return outcome.more and (outcome.first or outcome.steps < MAX_STEPS)


def run_sites(registry, sites, settings: StepSettings, jobs: int, say, pace=None) -> list[Outcome]:
    """Run each site's steps, `jobs` sites at a time; each outcome recorded and said as it ends."""
    pace = pace or HostSpacing()
    outcomes = []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="fleet")
    try:
        futures = [pool.submit(site_cycle, registry.archive_path(site), site.url, settings, pace) for site in sites]
        for future in as_completed(futures):
            outcome = future.result()
            registry.record(outcome)
            outcomes.append(outcome)
            say(outcome)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # Ctrl-C: steps under way end within their budget
    return outcomes


def site_cycle(path, url: str, settings: StepSettings, pace) -> Outcome:
    """A site's steps until it is done, failed, or has had its steps for this cycle."""
    outcome = run_step(path, url, settings, pace)
    while goes_on(outcome):
        outcome = joined(outcome, run_step(path, url, settings, pace))
    return outcome


def joined(before: Outcome, after: Outcome) -> Outcome:
    """Two consecutive steps of a site as one outcome: counts summed, the last step's ending."""
    after.first = before.first or after.first
    after.requests += before.requests
    after.added += before.added
    after.updated += before.updated
    after.deleted += before.deleted
    after.steps += before.steps
    after.started = before.started
    after.via = after.via or before.via
    return after
