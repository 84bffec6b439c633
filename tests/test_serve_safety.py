"""`wparchive serve` never writes to what it opens: a file that is not an archive is refused
untouched, a read-only archive is served immutable (by a real Datasette), no settings folder is
left behind, and a non-loopback host hides commenters' emails, IPs and user agents, from custom
SQL too."""
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from conftest import comment, item, run_import, wxr
from importer import connect
from importer.cli import cli
from importer.serve import launch
from importer.serve.launch import plan_for
from local_servers import wait_until_serving
from test_datasette import DATASETTE1, free_port, pythons

ROOT = Path(__file__).resolve().parent.parent
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0"
PRIVATE_SQL = "select+author_email,author_ip,agent+from+comments"


def make_archive(path: Path) -> Path:
    export = path.with_suffix(".xml")
    export.write_text(wxr(item(1, title="Curlews at dusk", extra=comment(10, author="Jonas"))))
    conn = connect(path)
    run_import(conn, export)
    conn.execute("UPDATE comments SET agent = ?", (AGENT,))  # WXR carries no user agent
    conn.execute("UPDATE authors SET email = 'admin@fixture.example'")
    conn.close()
    export.unlink()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict:
    return {p.name: digest(p) for p in sorted(folder.iterdir())}


def serve_cli(*args):
    return CliRunner().invoke(cli, ["serve", *args, "--port", str(free_port())])


@pytest.fixture
def archive_path(tmp_path) -> Path:
    return make_archive(tmp_path / "archive.db")


def plain_sqlite(path: Path, journal: str) -> Path:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE birds (name TEXT)")
    conn.execute("INSERT INTO birds VALUES ('curlew')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_sqlite_file_that_is_no_archive_is_refused_untouched(tmp_path, journal):
    path = plain_sqlite(tmp_path / "birds.db", journal)
    before = snapshot(tmp_path)
    result = serve_cli("--db", str(path))
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"error: {path}: not a wparchive archive (no sites/posts tables); run `wparchive import` first"]
    assert snapshot(tmp_path) == before  # same bytes, and no -wal or -shm beside it


@pytest.mark.parametrize("content", [b"", b"name,email\ncurlew,c@example.org\n" * 20])
def test_file_that_is_not_sqlite_is_refused_untouched(tmp_path, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    before = snapshot(tmp_path)
    result = serve_cli("--db", str(path))
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"error: {path}: not a wparchive archive (not a SQLite database); run `wparchive import` first"]
    assert snapshot(tmp_path) == before


def set_immutable(path: Path, on: bool):
    subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True, capture_output=True)


@contextmanager
def read_only(*paths: Path):
    """Make paths read-only for real: mode bits, and for root (whom mode bits do not stop) the
    immutable attribute, which stops root too."""
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    if os.geteuid() == 0:
        try:
            for path in paths:
                set_immutable(path, True)
        except (subprocess.CalledProcessError, FileNotFoundError):
            for path in paths:
                subprocess.run(["chattr", "-i", str(path)], capture_output=True)
                path.chmod(modes[path])
            pytest.skip("root, and this filesystem has no immutable attribute (chattr +i)")
    try:
        yield
    finally:
        for path in paths:
            if os.geteuid() == 0:
                set_immutable(path, False)
            path.chmod(modes[path])


@pytest.mark.parametrize("which", ["file", "folder", "both"])
def test_archive_that_cannot_be_written_is_served_immutable(archive_path, which):
    targets = {"file": [archive_path], "folder": [archive_path.parent],
               "both": [archive_path, archive_path.parent]}[which]
    assert not plan_for(archive_path, "127.0.0.1", False).read_only
    with read_only(*targets):
        plan = plan_for(archive_path, "127.0.0.1", False)
    assert plan.read_only and not plan.upgrade
    assert launch.datasette_command(plan, 8001, [])[4:6] == ["--immutable", str(archive_path)]


@contextmanager
def running(command, env=None):
    """A server started by command; yields (process, base URL) once it answers."""
    port = free_port()
    process = subprocess.Popen([*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=ROOT, env=env)
    try:
        wait_until_serving(process, port)
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def installed(python) -> Path:
    python = Path(python)
    if not python.exists():
        pytest.skip(f"{python} not installed (scripts/test installs it)")
    return python


@pytest.mark.parametrize("python", list(pythons()))
def test_real_datasette_serves_a_read_only_archive_in_a_read_only_folder(archive_path, python):
    python = installed(python)
    before = snapshot(archive_path.parent)
    with read_only(archive_path, archive_path.parent):
        with running([str(python), "-m", "importer", "serve", "--db", str(archive_path)]) as (process, base):
            page = requests.get(f"{base}/archive/posts", timeout=10)
            [post] = requests.get(f"{base}/archive/posts.json?_shape=array", timeout=10).json()
    assert page.status_code == 200 and "Curlews at dusk" in page.text
    assert post["title"] == "Curlews at dusk"
    assert snapshot(archive_path.parent) == before


def test_no_settings_folder_is_left_when_serve_is_stopped(archive_path, tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    with running([sys.executable, "-m", "importer", "serve", "--db", str(archive_path)], env) as (process, base):
        assert [p.name.startswith("wparchive-") for p in temp.iterdir()] == [True]  # Datasette's settings
        assert requests.get(f"{base}/archive/comments.json", timeout=10).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) in (0, 128 + signal.SIGTERM)  # uvicorn re-raises the signal once it has stopped
    assert list(temp.iterdir()) == []


def test_an_older_writable_archive_is_upgraded_and_a_read_only_one_is_served_as_it_is(archive_path):
    conn = sqlite3.connect(archive_path)
    conn.execute("PRAGMA user_version = 0")
    conn.close()
    with read_only(archive_path):
        plan = plan_for(archive_path, "127.0.0.1", False)
        assert plan.read_only and not plan.upgrade
        assert any("cannot be upgraded here" in line for line in launch.notices(plan))
    plan = plan_for(archive_path, "127.0.0.1", False)
    assert plan.upgrade and not plan.read_only


@pytest.mark.parametrize("host, private_columns, hidden", [
    ("127.0.0.1", False, False), ("127.0.0.9", False, False), ("localhost", False, False), ("::1", False, False),
    ("0.0.0.0", False, True), ("192.168.1.20", False, True), ("::", False, True), ("archive.example", False, True),
    ("0.0.0.0", True, False)])
def test_private_columns_are_hidden_beyond_loopback(archive_path, host, private_columns, hidden):
    plan = plan_for(archive_path, host, private_columns)
    assert plan.hide_private == hidden
    line = (f"serving on {host}: commenters' emails, IPs and user agents hidden (--private-columns shows them)")
    assert (line in launch.notices(plan)) == hidden


def query_page(python) -> str:
    """Where custom SQL is answered: 1.0 redirects the database page's ?sql= to /-/query."""
    return "/archive/-/query.json" if Path(python) == DATASETTE1 else "/archive.json"


def datasette_get(command: list[str], path: str):
    """One request through Datasette's --get: the real app, and no port opened."""
    done = subprocess.run([*command, "--get", path], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def through_serve(monkeypatch, archive_path, host, *options):
    """`wparchive serve` as the user runs it, with its Datasette answering PRIVATE_SQL through --get."""
    answers = []

    def run_once(command):
        answers.append(datasette_get(command, f"{query_page(command[0])}?_shape=array&sql={PRIVATE_SQL}"))
        return 0

    monkeypatch.setattr(launch, "run_until_stopped", run_once)
    result = CliRunner().invoke(cli, ["serve", "--db", str(archive_path), "--host", host, *options])
    assert result.exit_code == 0, result.output
    return result, answers[0]


def test_serve_on_a_public_host_hides_private_columns_from_custom_sql(monkeypatch, archive_path):
    result, rows = through_serve(monkeypatch, archive_path, "0.0.0.0")
    assert rows == [{"author_email": None, "author_ip": None, "agent": None}]
    assert "serving on 0.0.0.0: commenters' emails, IPs and user agents hidden" in result.output
    _, rows = through_serve(monkeypatch, archive_path, "0.0.0.0", "--private-columns")
    assert rows == [{"author_email": "r@example.org", "author_ip": "10.0.0.1", "agent": AGENT}]


@pytest.mark.parametrize("python", list(pythons()))
@pytest.mark.parametrize("hide", [True, False])
def test_hidden_columns_read_as_null_in_table_views_canned_and_custom_sql(archive_path, tmp_path, python, hide):
    python = installed(python)
    settings = tmp_path / "settings"
    out = subprocess.run([str(python), "-m", "importer", "datasette-settings", "--db", str(archive_path),
                          "--out", str(settings), *(["--hide-private-columns"] if hide else [])],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    command = [str(python), "-m", "datasette", "serve", str(archive_path), *out.split()[2:]]
    table = datasette_get(command, "/archive/comments.json?_shape=array")
    custom = datasette_get(command, f"{query_page(python)}?_shape=array&sql={PRIVATE_SQL}")
    canned = datasette_get(command, "/archive/comments_by_person.json?_shape=array&who=Jonas")
    authors = datasette_get(command, f"{query_page(python)}?_shape=array&sql=select+login,email+from+authors")
    shown = {"author_email": "r@example.org", "author_ip": "10.0.0.1", "agent": AGENT}
    expected = dict.fromkeys(shown) if hide else shown
    assert {key: table[0][key] for key in shown} == expected
    assert custom == [expected]
    assert canned[0]["author_name"] == "Jonas" and canned[0]["author_email"] == expected["author_email"]
    assert authors == [{"login": "admin", "email": None if hide else "admin@fixture.example"}]
