"""A fleet on Celery: Debian's redis-server started on a port of this test's own (6390+, nothing
saved), two real `wparchive fleet worker` processes started and killed here, and the stand-in
blogs plus the test WordPress instances 8765-8767 (read-only). Who ran what, and when, is read
from the outcomes the workers report and the request times the stand-in recorded; a worker is
killed with SIGKILL in the middle of a step."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import wordpress_url
from importer.fleet.buckets import lock_key, outcomes_key
from importer.fleet.registry import Registry
from importer.fleet.step import StepSettings
from importer.jobs.fleet import run_fleet
from importer.text import site_key
from standin_blogs import StandIn
from test_fleet import archive_of, assert_spaced, fleet, rows

redis = pytest.importorskip("redis")
celery_app = pytest.importorskip("importer.fleet.celery_app")
pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed (scripts/test)")

DELAY = 0.2
LOCK_TTL, VISIBILITY = 2, 4  # short, so a dead worker's step comes back within seconds


def free_port(first=6390) -> int:
    for port in range(first, first + 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port from 6390 for redis-server")


@pytest.fixture(scope="module")
def broker():
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def client(broker):
    client = redis.Redis.from_url(broker, socket_timeout=180)  # longer than the blocking reads below
    client.flushdb()
    return client


class Workers:
    """`wparchive fleet worker` processes for a fleet folder, each with its log."""

    def __init__(self, folder: Path, broker: str):
        self.folder, self.broker, self.processes = folder, broker, []

    def start(self, count: int):
        Registry(self.folder).close()
        for n in range(count):
            log = open(self.folder / f"worker{n}.log", "wb")
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "importer", "fleet", "worker", "--fleet", str(self.folder), "--broker",
                 self.broker, "--lock-ttl", str(LOCK_TTL), "--visibility-timeout", str(VISIBILITY)],
                stdout=log, stderr=subprocess.STDOUT))
        for n in range(count):
            self._wait_ready(self.folder / f"worker{n}.log", self.processes[n])
        return self

    @staticmethod
    def _wait_ready(log: Path, process):
        for _ in range(300):
            if b" ready." in log.read_bytes():
                return
            if process.poll() is not None:
                pytest.fail(log.read_text())
            time.sleep(0.05)
        pytest.fail(f"worker not ready: {log.read_text()}")

    @property
    def pids(self) -> set[int]:
        return {p.pid for p in self.processes}

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
        for process in self.processes:
            process.wait(10)


@pytest.fixture
def workers(tmp_path, broker, client):
    running = Workers(tmp_path / "fleet", broker)
    yield running
    running.stop()


@pytest.fixture
def standin():
    with StandIn() as blogs:
        yield blogs


def settings(**changes) -> StepSettings:
    return StepSettings(**{"delay": DELAY, "allow_private": True, **changes})


def test_every_site_archived_by_two_workers_in_parallel_with_the_shared_host_spaced(standin, workers, broker):
    wordpress = [wordpress_url(name) for name in ("classic", "block", "norest")]
    own = [standin.blog(posts=4, comments=2) for _ in range(6)]
    shared_port = standin.host()
    shared = [standin.shared_blog(shared_port, posts=4, comments=1) for _ in range(3)]
    folder = workers.folder
    assert fleet(folder, "add", *(b.base for b in own + shared), *wordpress).exit_code == 0
    workers.start(2)
    outcomes = []
    summary = run_fleet(folder, settings(), broker=broker, say=outcomes.append)
    assert summary.line().startswith("12 site(s): 12 ok, 0 partial, 0 failed"), [o.line() for o in outcomes]
    assert {o.pid for o in outcomes} == workers.pids
    assert any(a.pid != b.pid and a.started < b.finished and b.started < a.finished for a in outcomes for b in outcomes)
    for blog in own + shared:
        assert rows(archive_of(folder, blog.base), "SELECT count(*), count(DISTINCT wp_id) FROM posts") == \
            [(len(blog.posts),) * 2]
    for url in wordpress:
        assert rows(archive_of(folder, url), "SELECT count(*) > 5 FROM posts") == [(1,)]
    assert_spaced(standin.times(shared_port), DELAY)

    # due times: only the site made due again is synced, the others are not asked anything
    fleet(folder, "add", "--every", "0", own[0].base)
    own[0].add_post(comments=1)
    before = {blog.port: len(standin.requests[blog.port]) for blog in own[1:]}
    again = fleet(folder, "run", "--broker", broker, "--delay", str(DELAY), "--allow-private")
    assert again.exit_code == 0
    assert again.output.splitlines()[0] == f"{own[0].base}: ok, synced via rest in 1 step(s), 5 requests, 2 added, 0 updated"
    assert again.output.splitlines()[-1].startswith("1 site(s): 1 ok")
    assert {blog.port: len(standin.requests[blog.port]) for blog in own[1:]} == before


def one_blog_on_two_workers(standin, workers, latency: float, posts: int, comments: int):
    """A blog answering each request after `latency`, added to the fleet, and two workers started."""
    standin.latency = latency
    blog = standin.blog(posts=posts, comments=comments)
    fleet(workers.folder, "add", blog.base)
    workers.start(2)
    return blog


def test_a_site_never_runs_in_two_workers_at_once(standin, workers, client):
    blog = one_blog_on_two_workers(standin, workers, latency=0.02, posts=20, comments=1)
    folder = workers.folder
    with Registry(folder) as registry:
        site, key = registry.site(blog.base), outcomes_key(registry.fleet_id)
    app = celery_app.make_app(workers.broker)
    for _ in range(2):  # the same site sent twice at once, as two overlapping runs would
        celery_app.send_steps(app, [site], settings(delay=0.05), key, uuid.uuid4().hex)
    reported = [celery_app.Outcome.from_json(client.blpop([key], timeout=60)[1]) for _ in range(2)]
    first, second = sorted(reported, key=lambda o: o.started)
    assert first.status == second.status == "ok"
    assert first.finished <= second.started  # one after the other, never both at once
    assert (first.first, second.first) == (True, False)  # the second synced what the first scraped
    assert rows(archive_of(folder, blog.base), "SELECT count(*), count(DISTINCT wp_id) FROM posts") == [(20, 20)]


def test_a_worker_killed_mid_step_has_its_step_finished_by_the_other_without_duplicates(standin, workers, client):
    blog = one_blog_on_two_workers(standin, workers, latency=0.05, posts=40, comments=2)
    folder = workers.folder
    outcomes = []
    waiting = threading.Thread(target=lambda: outcomes.append(run_fleet(folder, settings(delay=0.05),
                                                                        broker=workers.broker)))
    waiting.start()
    lock = lock_key(site_key(blog.base))
    for _ in range(400):
        holder = client.get(lock)
        if holder and len(standin.requests[blog.port]) >= 10:
            break
        time.sleep(0.05)
    killed = int(holder.split()[1])
    assert killed in workers.pids
    os.kill(killed, signal.SIGKILL)
    requests_when_killed = len(standin.requests[blog.port])
    waiting.join(120)
    assert not waiting.is_alive()
    [summary] = outcomes
    [outcome] = summary.outcomes
    assert outcome.status == "ok" and outcome.pid != killed and outcome.pid in workers.pids
    assert len(standin.requests[blog.port]) > requests_when_killed + 40  # the step ran again, from its start
    path = archive_of(folder, blog.base)
    assert rows(path, "SELECT count(*), count(DISTINCT wp_id) FROM posts") == [(40, 40)]
    assert rows(path, "SELECT count(*), count(DISTINCT wp_id) FROM comments") == [(80, 80)]
    assert rows(path, "SELECT status FROM import_runs ORDER BY id") == [("ok",)]  # the killed step left no trace


def test_no_wait_returns_at_once_and_a_later_run_records_the_outcomes(standin, workers, client):
    blogs = [standin.blog() for _ in range(3)]
    folder = workers.folder
    fleet(folder, "add", *(b.base for b in blogs))
    workers.start(2)
    sent = fleet(folder, "run", "--broker", workers.broker, "--no-wait", "--delay", "0.05", "--allow-private")
    assert sent.exit_code == 0 and sent.output == "3 site(s) sent to the workers; not waiting\n"
    with Registry(folder) as registry:
        key = outcomes_key(registry.fleet_id)
    for _ in range(600):
        if client.llen(key) == 3:
            break
        time.sleep(0.05)
    later = fleet(folder, "run", "--broker", workers.broker, "--allow-private")
    assert later.output == "no site is due\n"
    listed = fleet(folder, "list").output.splitlines()
    assert len(listed) == 3 and all("last: " in line and " ok\t" in line for line in listed)
    for blog in blogs:
        assert rows(archive_of(folder, blog.base), "SELECT count(*) FROM posts") == [(3,)]


def test_beat_sends_the_site_that_is_due_and_not_the_one_that_is_not(standin, workers, tmp_path):
    """`fleet beat` (Celery beat, ticking every second) beside one worker: the site due at every
    tick is synced again and again, the one due in an hour is never asked anything."""
    due, later = standin.blog(), standin.blog()
    folder = workers.folder
    fleet(folder, "add", "--every", "0", due.base)
    fleet(folder, "add", "--every", "3600", later.base)
    assert fleet(folder, "run", "--delay", "0", "--allow-private").exit_code == 0  # both scraped, here
    asked_later = len(standin.requests[later.port])
    workers.start(1)
    log = open(folder / "beat.log", "wb")
    beat = subprocess.Popen([sys.executable, "-m", "importer", "fleet", "beat", "--fleet", str(folder), "--broker",
                             workers.broker, "--every", "1", "--delay", "0", "--allow-private"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(600):
            if runs_of(folder, due.base) >= 3 or beat.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        os.killpg(beat.pid, signal.SIGTERM)  # the beat process and the beat service it forked
        try:
            beat.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(beat.pid, signal.SIGKILL)
            beat.wait(10)
    assert runs_of(folder, due.base) >= 3, (folder / "beat.log").read_text()[-3000:]
    assert runs_of(folder, later.base) == 1 and len(standin.requests[later.port]) == asked_later
    assert "ok" in fleet(folder, "list").output.split(due.base)[1].splitlines()[0]


def runs_of(folder, url) -> int:
    with Registry(folder) as registry:
        return registry.conn.execute("SELECT runs FROM sites WHERE url = ?", (url,)).fetchone()[0]
