"""Concurrency and storage faults end as one line and the documented exit status, never a
traceback: two writers at once (imports, syncs), a full disk, a read-only filesystem, tables
changed by hand. Real processes (`python -m importer`), real locks, real signals and real small
filesystems (tmpfs, mounted as root; skipped where mounting is not allowed)."""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from conftest import REPO

WAIT = "WPARCHIVE_BUSY_TIMEOUT"


def command(*args):
    return [sys.executable, "-m", "importer", *map(str, args)]


def environment(wait=None):
    env = {k: v for k, v in os.environ.items() if k != WAIT}
    if wait is not None:
        env[WAIT] = str(wait)
    return env


def wparchive(*args, wait=None, timeout=300):
    return subprocess.run(command(*args), capture_output=True, text=True, env=environment(wait), timeout=timeout)


def start(*args, wait=None):
    return subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environment(wait))


def one_error_line(done) -> str:
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def eventually(check, what: str, limit: float = 120):
    """Poll until check() holds (a bound against hanging, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.002)


def lock_text(db) -> str:
    try:
        return Path(f"{db}.lock").read_text()
    except FileNotFoundError:
        return ""


def holding(db, process, role="") -> bool:
    """Whether process holds the archive's lock (it signs the lock file once it has it)."""
    assert process.poll() is None, process.communicate()
    return lock_text(db) == f"pid {process.pid}" + (f" {role}" if role else "")


def has_open(process, path) -> bool:
    """Whether process has path open: a writer waiting for the lock keeps its file open."""
    folder = Path(f"/proc/{process.pid}/fd")
    try:
        return any(os.readlink(folder / fd) == str(path) for fd in os.listdir(folder))
    except FileNotFoundError:
        return False


def counts(db) -> tuple:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments), "
                            "(SELECT count(*) FROM import_runs)").fetchone()


def runs(db) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return [(Path(f).name, s) for f, s in conn.execute("SELECT source_file, status FROM import_runs ORDER BY id")]


def posts_of(db, host) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM posts p JOIN sites s ON s.id = p.site_id WHERE s.url LIKE ?",
                            (f"%{host}%",)).fetchone()[0]


def integrity(db) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """A 31 MB export (3,000 posts, 15,000 comments) and two small ones of different posts."""
    folder = tmp_path_factory.mktemp("exports")
    made = {}
    for name, posts, comments, seed in (("big", 3000, 5, 1), ("small", 20, 2, 2), ("other", 15, 1, 3)):
        made[name] = folder / f"{name}.xml"
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate_wxr.py"), "--posts", str(posts),
                        "--comments-per-post", str(comments), "--seed", str(seed), str(made[name])], check=True)
    # seeds give other titles, not other ids: "other" is another blog, so its posts are new rows
    made["other"].write_text(made["other"].read_text().replace("generated.example", "other.example"))
    return made


@pytest.fixture
def archive(tmp_path, exports):
    """An archive holding the small export, in WAL mode (a second writer is not blocked by SQLite)."""
    db = tmp_path / "archive.db"
    assert wparchive("import", "--db", db, "-q", exports["small"]).returncode == 0
    return db


@pytest.fixture
def stopped_import(archive, exports):
    """A real import of the big export, stopped (SIGSTOP) while it holds the archive's lock."""
    process = start("import", "--db", archive, "-q", exports["big"])
    eventually(lambda: holding(archive, process), "the import took the lock")
    os.kill(process.pid, signal.SIGSTOP)
    yield process
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
    process.communicate()


@pytest.fixture
def silent_site():
    """A site at 127.0.0.1 that takes connections and never answers: a sync of it hangs, holding its lock."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


@pytest.fixture
def running_sync(tmp_path, exports, silent_site):
    """A real sync of a blog whose server never answers, holding the archive's lock."""
    db = tmp_path / "synced.db"
    export = tmp_path / "silent.xml"
    export.write_text(exports["small"].read_text().replace("https://generated.example", silent_site))
    assert wparchive("import", "--db", db, "-q", export).returncode == 0
    process = start("sync", "--db", db, "--allow-private", "--delay", "0")
    eventually(lambda: holding(db, process, "sync"), "the sync took the lock")
    yield db, process
    process.kill()
    process.communicate()


# -- two writers ---------------------------------------------------------------------------------

def test_a_second_import_waits_for_the_first_then_goes_on(archive, exports, stopped_import):
    second = start("import", "--db", archive, "-q", exports["other"], wait=600)
    eventually(lambda: has_open(second, Path(f"{archive}.lock")), "the second import waits on the lock")
    assert second.poll() is None
    os.kill(stopped_import.pid, signal.SIGCONT)
    assert stopped_import.wait(timeout=300) == 0
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert runs(archive) == [("small.xml", "ok"), ("big.xml", "ok"), ("other.xml", "ok")]
    assert posts_of(archive, "other.example") == 15
    assert not Path(f"{archive}.lock").exists()  # released and removed by the last holder


def test_a_second_import_gives_up_after_the_wait_naming_the_holder(archive, exports, stopped_import):
    before = counts(archive)
    done = wparchive("import", "--db", archive, "-q", exports["other"], wait=0.3)
    assert done.returncode == 1
    assert one_error_line(done) == (
        f"error: {archive} is busy: another wparchive is writing (pid {stopped_import.pid}); waited 0.3 s, "
        f"try again when it ends (or set {WAIT} to wait longer)")
    os.kill(stopped_import.pid, signal.SIGCONT)
    assert stopped_import.wait(timeout=300) == 0
    assert counts(archive)[2] == before[2] + 1  # the first import's run; none of the second's


def test_a_killed_writer_leaves_no_lock_behind(archive, exports, stopped_import):
    before = counts(archive)
    stopped_import.kill()  # SIGKILL: no handler, no cleanup; the OS drops the lock (the parser child dies too)
    stopped_import.wait()
    done = wparchive("import", "--db", archive, "-q", exports["other"])
    assert done.returncode == 0, done.stderr
    assert counts(archive) == (before[0] + 15, before[1] + 15, before[2] + 1)
    assert integrity(archive) == "ok"


def test_a_sync_during_an_import_exits_2_with_one_line(archive, stopped_import):
    done = wparchive("sync", "--db", archive, "--allow-private", "--delay", "0", wait=0.3)
    assert done.returncode == 2
    assert one_error_line(done).startswith(
        f"error: {archive} is busy: another wparchive is writing (pid {stopped_import.pid}); waited 0.3 s")


def test_an_import_during_a_sync_gives_up_naming_the_sync(running_sync, exports):
    db, sync = running_sync
    before = counts(db)
    done = wparchive("import", "--db", db, "-q", exports["other"], wait=0.3)
    assert done.returncode == 1
    assert one_error_line(done).startswith(
        f"error: {db} is busy: another wparchive is writing (pid {sync.pid}); waited 0.3 s")
    sync.kill()
    sync.wait()
    done = wparchive("import", "--db", db, "-q", exports["other"])  # the killed sync's lock went with it
    assert done.returncode == 0, done.stderr
    assert counts(db) == (before[0] + 15, before[1] + 15, before[2] + 1)


def test_a_second_sync_is_refused_at_once_without_waiting(running_sync):
    db, sync = running_sync
    done = wparchive("sync", "--db", db, "--allow-private", "--delay", "0", wait=3600, timeout=120)
    assert done.returncode == 2
    assert one_error_line(done) == (f"error: {db}: another sync is running on this archive (pid {sync.pid}); "
                                    "try again when it ends")



def test_a_wait_that_is_no_number_of_seconds_is_one_line(archive, exports):
    done = wparchive("import", "--db", archive, "-q", exports["other"], wait="soon")
    assert done.returncode == 1
    assert one_error_line(done) == f"error: {WAIT}: 'soon' is not a number of seconds"


# -- a full disk, a read-only one ----------------------------------------------------------------

@pytest.fixture
def mounted(tmp_path):
    """mount(options) -> a folder on a fresh tmpfs, unmounted at teardown; skips without the right."""
    mounts = []

    def mount(options):
        folder = tmp_path / f"mount{len(mounts)}"
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'})")
        mounts.append(folder)
        return folder
    yield mount
    for folder in reversed(mounts):
        subprocess.run(["umount", str(folder)], check=True)


DISK_FULL = re.compile(r"error: (.+): the disk is full \((\d+) MB free\); nothing of (.+) was kept")


def test_a_full_disk_under_a_fresh_archive_gives_one_line_and_leaves_nothing(mounted, exports):
    disk = mounted("size=5m")
    db = disk / "archive.db"
    done = wparchive("import", "--db", db, "-q", exports["big"])
    assert done.returncode == 1
    found = DISK_FULL.fullmatch(one_error_line(done))
    assert found and found[1] == str(db) and found[3] == str(exports["big"]), done.stderr
    assert os.listdir(disk) == []  # no empty archive, no journal, no -wal/-shm, no lock file


def test_a_full_disk_under_an_archive_rolls_back_cleanly(mounted, exports):
    disk = mounted("size=5m")
    db = disk / "archive.db"
    assert wparchive("import", "--db", db, "-q", exports["small"]).returncode == 0
    before = counts(db)
    with closing(sqlite3.connect(db)) as reader:  # kept open as Datasette would: the WAL outlives the writer
        assert reader.execute("SELECT count(*) FROM posts").fetchone() == (before[0],)
        done = wparchive("import", "--db", db, "-q", exports["big"])
        assert done.returncode == 1
        assert DISK_FULL.fullmatch(one_error_line(done)), done.stderr
        assert Path(f"{db}-wal").stat().st_size == 0  # the space the rolled-back writes took, given back
        assert reader.execute("SELECT count(*) FROM posts").fetchone() == (before[0],)
    assert os.listdir(disk) == ["archive.db"]  # no journal left to roll back at the next open
    assert integrity(db) == "ok" and counts(db) == before
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_read_only_filesystem_refuses_the_import_and_info_still_reads(mounted, exports):
    disk = mounted("size=20m")
    db = disk / "archive.db"
    assert wparchive("import", "--db", db, "-q", exports["small"]).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    done = wparchive("import", "--db", db, "-q", "--force", exports["small"])
    assert done.returncode == 1
    assert one_error_line(done).startswith(f"error: {db}: read-only")
    info = wparchive("info", "--db", db)
    assert info.returncode == 0, info.stderr
    assert "site 1: Generated Blog <https://generated.example>" in info.stdout and "20 posts" in info.stdout
    assert os.listdir(disk) == ["archive.db"]


# -- tables changed by hand ----------------------------------------------------------------------

def alter(db, *statements):
    """Change the archive by hand, as with the sqlite3 shell."""
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        for statement in statements:
            conn.execute(statement)


HAND = "the archive was changed by hand; restore it or import into a new one"


def test_a_column_dropped_by_hand_is_named_and_nothing_written(archive, exports):
    alter(archive, *(f"DROP TRIGGER {t}" for t in ("posts_fts_insert", "posts_fts_delete", "posts_fts_update",
                                                  "posts_keep_version")),  # SQLite refuses while they use it
          "DROP VIEW posts_search_text", "ALTER TABLE posts DROP COLUMN excerpt")
    before = counts(archive)
    for args, status in ((["import", "-q", exports["other"]], 1), (["sync", "--allow-private"], 2),
                         (["info"], 1)):
        done = wparchive(args[0], "--db", archive, *args[1:])
        assert done.returncode == status
        assert one_error_line(done) == f"error: {archive}: table posts has no column excerpt: {HAND}"
    assert counts(archive) == before


def test_a_table_renamed_by_hand_is_named(archive, exports):
    alter(archive, "ALTER TABLE terms RENAME TO terms_old")
    done = wparchive("import", "--db", archive, "-q", exports["other"])
    assert done.returncode == 1
    assert one_error_line(done) == f"error: {archive}: table terms is missing: {HAND}"


def test_a_search_table_dropped_by_hand_fails_at_the_write_with_one_line(archive, exports):
    """The search index's tables are not checked at opening (that would load FTS5): the write
    finds it, the transaction rolls back, and the line says what is missing."""
    alter(archive, "DROP TABLE posts_fts")
    before = counts(archive)
    done = wparchive("import", "--db", archive, "-q", exports["other"])
    assert done.returncode == 1
    assert one_error_line(done) == f"error: {archive}: no table main.posts_fts: {HAND}"
    assert counts(archive) == before
