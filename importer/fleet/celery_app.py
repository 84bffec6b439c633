"""Fleet steps as Celery tasks on a Redis broker: the same run_step, with politeness, locks and
reports in Redis so workers on many machines share them.

A task is one step of one site. It is acknowledged only when it has finished (acks_late, one
message prefetched), so a worker killed mid-step leaves the message to be delivered again (after
the broker's visibility timeout) and another worker runs the step again; the archive's identity
rules make that a rewrite of the same rows, and the step's done-mark makes a late duplicate a
no-op. A site's steps hash to one queue, so a site's archive stays on the machine whose workers
consume that queue.
"""
import json
import os
import zlib
from dataclasses import asdict
from pathlib import Path

import redis
from celery import Celery

from ..text import site_key
from .buckets import RedisBuckets, SiteLock, done_key
from .registry import archive_name
from .runner import goes_on, joined
from .step import Outcome, StepSettings, run_step

STEP = "wparchive.fleet.step"
TICK = "wparchive.fleet.tick"
QUEUE_PREFIX = "wparchive.fleet"
BEAT_QUEUE = f"{QUEUE_PREFIX}.beat"  # the ticks, run by `fleet beat`'s own worker beside the registry
QUEUES = 8
LOCK_TTL = 30.0
VISIBILITY = 900.0  # seconds before an unacknowledged step (its worker died) is delivered again
DONE_FOR = 7 * 86400  # seconds a step's done-mark is kept
REDIS_TIMEOUT = 60.0  # seconds a Redis command may take (a blocking read waits less)


def queue_of(url: str, queues: int = QUEUES) -> str:
    """The queue a site's steps go to: the same for a site on every run."""
    return f"{QUEUE_PREFIX}.{zlib.crc32(site_key(url).encode()) % queues}"


def queue_names(queues: int = QUEUES, only=()) -> list[str]:
    return [f"{QUEUE_PREFIX}.{n}" for n in (only or range(queues))]


def make_app(broker: str, fleet: Path | None = None, lock_ttl: float = LOCK_TTL,
             visibility: float = VISIBILITY) -> Celery:
    """The Celery app: for `fleet run` to send steps, and for `fleet worker` (with its fleet
    folder, where the sites' archive files are) to run them."""
    app = Celery("wparchive-fleet", broker=broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=queue_names(1)[0], task_serializer="json", accept_content=["json"],
        task_ignore_result=True, worker_hijack_root_logger=False, broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": visibility,  # swept for a quarter of it, every sweep
                                  "unacked_restore_interval": max(1, int(visibility / 4)),
                                  "unacked_restore_throttle": 1})
    client = redis.Redis.from_url(broker, socket_timeout=REDIS_TIMEOUT)

    @app.task(name=STEP, bind=True, shared=False, max_retries=None)
    def step(self, url, settings, outcomes, cycle, number=1, before=None, queue=None):
        """One step of `url`; the next is sent when there is more, else the site's outcome is reported."""
        done = done_key(f"{cycle}:{site_key(url)}:{number}")
        if client.exists(done):
            return "done already"
        lock = SiteLock(client, site_key(url), lock_ttl)
        if not lock.acquire():
            raise self.retry(countdown=max(0.5, lock_ttl / 6))
        try:
            with lock.held():
                outcome = run_step(Path(fleet or ".") / archive_name(site_key(url)), url, StepSettings(**settings),
                                   RedisBuckets(client, hold=lock_ttl))
        except Exception as error:  # not the site's doing: reported, so `fleet run` does not wait for it forever
            failed = Outcome(url, "failed", error=f"internal error: {error!r}", pid=os.getpid())
            client.rpush(outcomes, json.dumps(failed.as_dict()))
            raise
        if before:
            outcome = joined(Outcome(**before), outcome)
        if goes_on(outcome):
            self.apply_async(args=(url, settings, outcomes, cycle, number + 1, outcome.as_dict(), queue),
                             queue=queue or queue_of(url))
            client.set(done, 1, ex=DONE_FOR)
        else:
            with client.pipeline(transaction=True) as both:  # reported once, however often it is run
                both.rpush(outcomes, json.dumps(outcome.as_dict()))
                both.set(done, 1, ex=DONE_FOR)
                both.execute()
        return outcome.status

    @app.task(name=TICK, shared=False)
    def tick(settings, queues):
        """Beat's tick: the sites due now sent to the workers, what they reported recorded."""
        from ..jobs.fleet import enqueue_due
        from .registry import Registry

        with Registry(fleet) as registry:
            return len(enqueue_due(app, client, registry, StepSettings(**settings), queues))

    return app


def send_steps(app: Celery, sites, settings: StepSettings, outcomes: str, cycle: str, queues: int = QUEUES):
    """The first step of each site, on its queue."""
    for site in sites:
        queue = queue_of(site.url, queues)
        app.tasks[STEP].apply_async(args=(site.url, asdict(settings), outcomes, cycle, 1, None, queue), queue=queue)


def start_beat(app: Celery, fleet: Path, every: float, settings: StepSettings, queues: int = QUEUES):
    """Celery beat sending a tick every `every` seconds, embedded in a worker that runs only the
    ticks (one process beside the registry); never returns until it is stopped. A tick not run
    within `every` expires: the next one does its work."""
    app.conf.beat_schedule = {"due sites": {"task": TICK, "schedule": every, "args": (asdict(settings), queues),
                                            "options": {"queue": BEAT_QUEUE, "expires": every}}}
    app.conf.beat_max_loop_interval = max(1.0, min(every, 300.0))
    app.worker_main(["worker", "--beat", "--schedule", str(fleet / "beat-schedule"), "--pool", "solo",
                     "--concurrency", "1", "-Q", BEAT_QUEUE, "--loglevel", "INFO", "--without-gossip",
                     "--without-mingle", "-n", f"beat-{os.getpid()}@%h"])


def start_worker(app: Celery, queues: list[str], concurrency: int = 1, name: str | None = None):
    """Celery's own worker on `queues`: one process running one step at a time (solo), or
    `concurrency` steps in threads; never returns until the worker is stopped."""
    pool = ["--pool", "solo", "--concurrency", "1"] if concurrency <= 1 else ["--pool", "threads", "--concurrency", str(concurrency)]
    argv = ["worker", *pool, "-Q", ",".join(queues), "--loglevel", "INFO", "--without-gossip",
            "--without-mingle", *(["-n", name] if name else [])]
    app.worker_main(argv)
