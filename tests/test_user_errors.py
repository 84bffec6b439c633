"""The mistakes users make, through the real command: one line naming the file or URL and what
to do, a non-zero exit, never a traceback, and nothing left behind by a run that failed."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from conftest import item, wordpress_url, wxr
from local_servers import serving

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {  # each command with the arguments it needs besides --db; nothing here is fetched
    "import": lambda tmp: [str(tmp / "export.xml")],
    "info": lambda tmp: [],
    "scrape": lambda tmp: ["http://127.0.0.1:9/"],
    "sync": lambda tmp: [],
    "serve": lambda tmp: ["--port", "9"],
    "datasette-settings": lambda tmp: ["--out", str(tmp / "settings")],
}


def wparchive(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "importer", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def one_error_line(done, *names) -> str:
    """The failure's one stderr line, checked for what every failure must be."""
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for name in names:
        assert str(name) in lines[0]
    return lines[0]


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "export.xml"
    path.write_text(wxr(item(1), item(2)))
    return path


@pytest.fixture
def archive_db(tmp_path, export):
    db = tmp_path / "archive.db"
    assert wparchive("import", "--db", db, export, "-q").returncode == 0
    return db


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("bad", ["missing folder", "text file", "the export"])
def test_every_command_refuses_a_bad_db_in_one_line(tmp_path, export, command, bad):
    db = {"missing folder": tmp_path / "no" / "such" / "archive.db",
          "text file": tmp_path / "notes.txt", "the export": export}[bad]
    (tmp_path / "notes.txt").write_text("not an archive\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    done = wparchive(command, "--db", db, *COMMANDS[command](tmp_path))
    one_error_line(done, db)
    assert done.returncode == (2 if command == "sync" else 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created beside it
    assert export.read_text() == wxr(item(1), item(2))


def test_a_missing_folder_says_so(tmp_path, export):
    line = one_error_line(wparchive("import", "--db", tmp_path / "nope" / "a.db", export))
    assert line == f"error: {tmp_path / 'nope' / 'a.db'}: the folder {tmp_path / 'nope'} does not exist; " \
                   "create it or choose another --db"


def _immutable(path: Path) -> bool:
    """chattr +i where the filesystem has it (root ignores permission bits, not this)."""
    try:
        return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@pytest.fixture
def read_only(archive_db):
    if os.geteuid() != 0:
        archive_db.chmod(0o444)
        yield archive_db
        archive_db.chmod(0o644)
        return
    if not _immutable(archive_db):
        pytest.skip("root, and no chattr +i on this filesystem: nothing makes the file read-only")
    try:
        yield archive_db
    finally:
        subprocess.run(["chattr", "-i", str(archive_db)], check=True)


@pytest.mark.parametrize("command", ["import", "scrape", "sync"])
def test_a_read_only_archive_is_refused_before_anything_is_read(read_only, tmp_path, command):
    other = tmp_path / "other.xml"
    other.write_text(wxr(item(3)))
    args = {"import": [other], "scrape": ["http://127.0.0.1:9/"], "sync": []}[command]
    line = one_error_line(wparchive(command, "--db", read_only, *args), read_only)
    assert "read-only" in line


def test_a_read_only_archive_can_still_be_read(read_only):
    done = wparchive("info", "--db", read_only)
    assert done.returncode == 0 and "2 posts" in done.stdout


@pytest.mark.parametrize("url, says", [
    ("myblog.example", "not a web address; give its scheme, e.g. https://myblog.example"),
    ("ftp://myblog.example/", "ftp:// is not supported; wparchive reads http:// and https:// sites"),
    ("gopher://myblog.example/", "gopher:// is not supported"),
])
@pytest.mark.parametrize("command", ["discover", "scrape"])
def test_an_address_that_is_not_http_is_one_line(tmp_path, command, url, says):
    db = tmp_path / "a.db"
    args = [url] if command == "discover" else [url, "--db", db]
    line = one_error_line(wparchive(command, *args), url)
    assert says in line
    assert not db.exists()


def test_sync_names_a_site_whose_imported_url_is_not_http(tmp_path):
    export = tmp_path / "ftp.xml"
    export.write_text(wxr(item(1)).replace("http://fixture.example", "ftp://fixture.example"))
    db = tmp_path / "a.db"
    assert wparchive("import", "--db", db, export, "-q").returncode == 0
    done = wparchive("sync", "--db", db)
    assert done.returncode == 2
    assert one_error_line(done) == "error: ftp://fixture.example: ftp:// is not supported; " \
                                   "wparchive reads http:// and https:// sites"


def test_a_sync_that_fails_counts_its_problem(tmp_path):
    with socket_closed() as port:
        export = tmp_path / "gone.xml"
        export.write_text(wxr(item(1)).replace("http://fixture.example", f"http://127.0.0.1:{port}"))
        db = tmp_path / "a.db"
        assert wparchive("import", "--db", db, export, "-q").returncode == 0
        done = wparchive("sync", "--db", db, "--allow-private", "--delay", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stdout.strip().endswith(", 1 problems"), done.stdout


def socket_closed():
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    import contextlib
    import socket

    @contextlib.contextmanager
    def closed():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        yield port
    return closed()


# --- a wrong URL is not a success -----------------------------------------------------

def test_a_post_url_names_the_blog_root(tmp_path):
    root = wordpress_url("classic")
    post = root + "2016/06/a-post-with-an-image/"
    db = tmp_path / "a.db"
    line = one_error_line(wparchive("scrape", post, "--db", db, "--delay", "0"), post)
    assert line.endswith(f"this is a page of the blog at {root}, not its root: try wparchive scrape {root}")
    assert not db.exists()
    shown = wparchive("discover", post, "--delay", "0")
    assert f"blog root: {root} (this address is below it; scrape the root)" in shown.stdout.splitlines()


@pytest.fixture
def folder_listing(tmp_path):
    """A tiny web server showing a folder listing: a site, but no blog."""
    served = tmp_path / "served"
    (served / "photos").mkdir(parents=True)
    (served / "notes.txt").write_text("hello\n")
    with serving(partial(QuietHandler, directory=str(served))) as url:
        yield url + "/"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_a_folder_listing_is_no_blog(tmp_path, folder_listing):
    db = tmp_path / "a.db"
    line = one_error_line(wparchive("scrape", folder_listing, "--db", db, "--delay", "0"), folder_listing)
    assert "no blog post found in " in line
    assert f"REST API: not found; feed: none announced ({folder_listing}feed/ not checked); " \
           "sitemaps: none announced); is this the address of a WordPress blog?" in line
    assert not db.exists()
    shown = wparchive("discover", folder_listing, "--delay", "0")
    assert shown.returncode == 0
    assert f"feed: none announced ({folder_listing}feed/ not checked)" in shown.stdout.splitlines()


# --- interrupts -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_export(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.xml"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_wxr.py"), "--posts", "10000",
                    "--comments-per-post", "10", str(path)], check=True, capture_output=True)
    return path


def interrupted_import(db, export, ready):
    """Ctrl-C as a terminal sends it: SIGINT to the whole process group, once the import has
    the archive open (`ready` exists: the archive, or its -wal file) and has read for a moment."""
    run = subprocess.Popen([sys.executable, "-m", "importer", "import", "--db", str(db), str(export)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    for _ in range(600):
        if ready.exists() or run.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    assert run.poll() is None, run.communicate()
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=120)
    return run.returncode, out, err


def test_ctrl_c_prints_one_line_and_keeps_the_archive(archive_db, big_export):
    status, out, err = interrupted_import(archive_db, big_export, Path(f"{archive_db}-wal"))
    assert status == 130, out + err
    assert err == f"interrupted: {archive_db} unchanged since run 1\n"
    assert "ForkProcess" not in out + err and "Traceback" not in out + err
    conn = sqlite3.connect(archive_db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT id, status FROM import_runs").fetchall() == [(1, "ok")]
    assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 2


def test_ctrl_c_on_a_new_archive_leaves_none(tmp_path, big_export):
    db = tmp_path / "new.db"
    status, out, err = interrupted_import(db, big_export, db)
    assert status == 130 and err == f"interrupted: {db} unchanged\n", out + err
    assert list(tmp_path.iterdir()) == []


# --- no side effects from failures ----------------------------------------------------

def test_a_refused_file_creates_no_archive(tmp_path):
    junk = tmp_path / "junk.xml"
    junk.write_text("not xml at all")
    db = tmp_path / "a.db"
    done = wparchive("import", "--db", db, junk)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.xml"]


def test_a_damaged_file_read_again_adds_no_problems(tmp_path, archive_db):
    damaged = tmp_path / "damaged.xml"
    damaged.write_text(wxr(item(5), item(6))[:-400])
    counts = []
    for _ in range(4):
        wparchive("import", "--db", archive_db, damaged, "-q")
        counts.append(sqlite3.connect(archive_db).execute("SELECT count(*) FROM import_problems").fetchone()[0])
    assert counts[0] > 0
    assert counts[-1] == counts[-2] == counts[-3]  # once its sha256 is known, it is skipped
    again = wparchive("import", "--db", archive_db, damaged)
    assert again.returncode == 0 and "unchanged since import run" in again.stdout


# --- help that matches ----------------------------------------------------------------

COMMAND_NAMES = ["import", "info", "scrape", "sync", "discover", "media", "export", "fleet", "serve",
                 "datasette-settings"]


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_dash_h_works_everywhere(command):
    done = wparchive(command, "-h")
    assert done.returncode == 0 and done.stdout.startswith(f"Usage: wparchive {command}")
    if command in ("info", "serve", "datasette-settings"):
        assert "The archive to read." in done.stdout


def test_bare_wparchive_prints_help():
    done = wparchive()
    assert done.returncode == 0 and "Commands:" in done.stdout
    listed = done.stdout.split("Commands:")[1].strip().splitlines()
    named = [line.split()[0] for line in listed if not line.startswith("   ")]  # not a wrapped description
    assert sorted(named) == sorted(COMMAND_NAMES)
    assert not any(line.rstrip().endswith("...") for line in listed), listed


def test_import_help_names_saved_pages():
    assert "saved post pages (.html" in " ".join(wparchive("import", "--help").stdout.split())


def test_an_archive_among_the_sources_suggests_db(tmp_path, archive_db, export):
    done = wparchive("import", archive_db.name, export.name, cwd=tmp_path)
    assert one_error_line(done) == "error: archive.db is an archive: did you mean --db archive.db?"


def test_datasette_settings_needs_an_archive(tmp_path):
    line = one_error_line(wparchive("datasette-settings", "--db", "missing.db", cwd=tmp_path))
    assert line == "error: missing.db: no archive here; run `wparchive import` first"
    assert list(tmp_path.iterdir()) == []
