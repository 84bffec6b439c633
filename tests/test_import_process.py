"""A `wparchive import` that is killed or fails leaves no parser child behind and an archive that
opens, passes its integrity check and is in WAL mode (or, after SIGKILL, is put back in it on open)."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import REPO, item, run_import, wxr
from importer import connect


@pytest.fixture(scope="module")
def big_export(tmp_path_factory):
    """An export that takes the importer a few seconds: time to signal it mid-import."""
    path = tmp_path_factory.mktemp("big") / "big.xml"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate_wxr.py"), "--posts", "30000",
                    "--comments-per-post", "2", str(path)], check=True)
    return path


def children_of(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def importing(export, db):
    """`python -m importer import` started, once its parser child is running."""
    process = subprocess.Popen([sys.executable, "-m", "importer", "import", str(export), "--db", str(db), "--quiet"],
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not children_of(process.pid) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    children = children_of(process.pid)
    assert children, "the import ended before its parser child was seen"
    time.sleep(0.5)  # into the bulk load
    return process, children


def still_running(pids: list[int], db) -> list[int]:
    """Of these pids, the ones still alive as importers of this archive."""
    alive = []
    for pid in pids:
        try:
            command = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            continue
        if str(db).encode() in command and b"zombie" not in open(f"/proc/{pid}/status", "rb").read():
            alive.append(pid)
    return alive


def wait_gone(pids, db, seconds=5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while still_running(pids, db) and time.monotonic() < deadline:
        time.sleep(0.05)
    return still_running(pids, db)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_the_parser_child_dies_with_its_parent(big_export, tmp_path, signum):
    db = tmp_path / "archive.db"
    site_only = tmp_path / "site.xml"  # an archive with a site but no posts: the next load is still fresh
    site_only.write_text(wxr())
    conn = connect(db)
    [report] = run_import(conn, site_only)
    assert report.status == "imported"
    conn.close()
    process, children = importing(big_export, db)
    process.send_signal(signum)
    returncode = process.wait(timeout=30)
    left = wait_gone(children, db)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []
    assert returncode == (-signal.SIGKILL if signum == signal.SIGKILL else 128 + signal.SIGTERM)
    if signum == signal.SIGTERM:
        assert process.stderr.read().strip() == b""  # no traceback
        plain = sqlite3.connect(db)
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        plain.close()
    conn = connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM import_runs WHERE status = 'ok'").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 0
    conn.close()


@pytest.mark.parametrize("content", [b"<html><body>not an export</body></html>",
                                     wxr(item(1)).encode()[:-200]])
def test_a_failed_fresh_import_leaves_the_archive_in_wal_mode(tmp_path, content):
    db = tmp_path / "archive.db"
    source = tmp_path / "export.xml"
    source.write_bytes(content)
    conn = connect(db)
    [report] = run_import(conn, source)
    assert report.status in ("failed", "damaged")
    conn.close()
    plain = sqlite3.connect(db)
    assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plain.close()
