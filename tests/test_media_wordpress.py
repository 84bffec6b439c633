"""`wparchive media` against the real WordPress with real uploads (8769, tests/wordpress/media.php):
every file WordPress wrote for its attachments archived from a scrape and from its own WXR, the
404s kept and not asked again, the second host only with --hosts, an unchanged re-run asking
nothing, --refresh answered with 304s, a SIGKILL mid-run then a clean resume, --uploads with no
network, and a real Datasette serving the bytes and pointing the post's images at them.

What the server was asked is read from its own log of uploads requests (router.php), not from
wparchive's counts."""
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import WORDPRESS, wordpress_export, wordpress_url
from local_servers import wait_until_serving
from test_datasette import ROOT, free_port

STATE = Path(os.environ.get("WP_LOCAL_STATE", "/var/lib/wp-local")) / str(WORDPRESS["media"])
UPLOADS = STATE / "uploads"
LOG = STATE / "log" / "uploads.log"
SECOND_HOST = f"localhost:{WORDPRESS['media']}"
ELSEWHERE = "2019/07/elsewhere.png"  # only ever linked from the second host
GONE = {"2019/06/deleted-picture.jpg", "2019/06/old-brochure.pdf"}
THUMBNAILS = {"2016/06/wp-local-test-image-150x150.png", "2019/03/harbour-at-dusk-150x150.jpg",
              "2019/04/diagram-150x150.png", "2019/04/tower-150x150.jpg"}  # in REST media_details.sizes only


@pytest.fixture(scope="module")
def base():
    url = wordpress_url("media")
    if not UPLOADS.is_dir():
        pytest.skip(f"{UPLOADS} missing: bring 8769 up with WP_LOCAL_MEDIA=1 tests/wordpress/up.sh 8769")
    return url


def on_disk() -> dict[str, str]:
    """Every file WordPress wrote under uploads (path after uploads/ -> sha256)."""
    return {str(path.relative_to(UPLOADS)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in UPLOADS.rglob("*") if path.is_file()}


def wparchive(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "importer", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def media(db, *args) -> subprocess.CompletedProcess:
    return wparchive("media", "--db", db, "--delay", "0", "--allow-private", *args)


class Asked:
    """The uploads requests the server logs from now on: (method, host, path after uploads/, status, conditional)."""

    def __init__(self):
        self.start = LOG.stat().st_size if LOG.exists() else 0

    def __call__(self) -> list[tuple[str, str, str, int, bool]]:
        if not LOG.exists():
            return []
        with LOG.open("rb") as log:
            log.seek(self.start)
            lines = log.read().decode().splitlines()
        return [(method, host, path.removeprefix("/wp-content/uploads/"), int(status), conditional == "1")
                for method, host, path, status, conditional in (line.split(" ") for line in lines)]


def urls(db, status=None) -> dict[str, str | None]:
    """path after uploads/ -> sha256 (None when not fetched), for the archive's media URLs."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT u.url, u.status, f.sha256 FROM media_urls u LEFT JOIN media_files f ON f.id = u.file_id")
        return {url.split("/wp-content/uploads/", 1)[1]: sha for url, state, sha in rows.fetchall()
                if status is None or state == status}


def check_store(db) -> None:
    """Every recorded file is whole: its bytes hash to its name and its recorded size."""
    with sqlite3.connect(db) as conn:
        for sha, size, path in conn.execute("SELECT sha256, bytes, path FROM media_files"):
            data = (Path(db).parent / path).read_bytes()
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha, size), path


@pytest.fixture(scope="module")
def exported_db(base, tmp_path_factory):
    folder = tmp_path_factory.mktemp("media-wxr")
    export = wordpress_export("media", folder / "export.xml")
    db = folder / "archive.db"
    assert wparchive("import", "--db", db, export).returncode == 0
    return db


@pytest.fixture(scope="module")
def scraped_db(base, tmp_path_factory):
    db = tmp_path_factory.mktemp("media-rest") / "archive.db"
    done = wparchive("scrape", base, "--db", db, "--delay", "0")
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="module")
def fetched_wxr(exported_db):
    asked = Asked()
    run = media(exported_db)
    return exported_db, run, asked()


def test_wxr_then_media_archives_every_file_wordpress_wrote(fetched_wxr):
    db, run, asked = fetched_wxr
    expected = {path: sha for path, sha in on_disk().items() if path != ELSEWHERE}
    assert urls(db, "fetched") == expected  # attachments, every size, the -scaled copies and their originals, PDF, WAV
    assert {"2019/03/harbour-at-dusk-scaled.jpg", "2019/03/harbour-at-dusk.jpg", "2019/05/annual-report.pdf"} <= set(expected)
    check_store(db)
    assert sorted(path for _, _, path, status, _ in asked if status == 200) == sorted(expected)
    assert run.returncode == 1 and "HTTP 404" in run.stderr + run.stdout


def test_wxr_records_what_each_file_is(fetched_wxr):
    db = fetched_wxr[0]
    with sqlite3.connect(db) as conn:
        kinds = dict(conn.execute("SELECT substr(u.url, instr(u.url, '/uploads/') + 9), group_concat(DISTINCT m.kind) "
                                  "FROM media_uses m JOIN media_urls u ON u.id = m.url_id GROUP BY u.id").fetchall())
    assert "original" in kinds["2019/03/harbour-at-dusk.jpg"]
    assert "attachment" in kinds["2019/03/harbour-at-dusk-scaled.jpg"]
    assert "size" in kinds["2019/03/harbour-at-dusk-150x150.jpg"]
    assert "srcset" in kinds["2019/03/harbour-at-dusk-2048x1365.jpg"]
    assert "link" in kinds["2019/05/annual-report.pdf"] and "audio" in kinds["2019/05/tone.wav"]


def test_missing_files_are_failed_404s_and_the_second_host_is_not_fetched(fetched_wxr):
    db, _, asked = fetched_wxr
    with sqlite3.connect(db) as conn:
        states = {url.split("/uploads/", 1)[1]: (status, http) for url, status, http in
                  conn.execute("SELECT url, status, http_status FROM media_urls WHERE status != 'fetched'")}
    assert states == {**{path: ("failed", 404) for path in GONE}, ELSEWHERE: ("pending", None)}
    assert all(host != SECOND_HOST for _, host, _, _, _ in asked)


def test_unchanged_rerun_asks_nothing_not_even_the_404s(fetched_wxr):
    db = fetched_wxr[0]
    asked = Asked()
    run = media(db)
    assert asked() == []
    assert run.returncode == 0, run.stderr


def test_refresh_revalidates_with_conditional_gets_answered_304(fetched_wxr):
    db = fetched_wxr[0]
    held = urls(db, "fetched")
    asked = Asked()
    media(db, "--refresh")
    requests_made = asked()
    revalidated = {path: (status, conditional) for _, _, path, status, conditional in requests_made if path in held}
    assert revalidated == {path: (304, True) for path in held}
    assert {path for _, _, path, status, _ in requests_made if status == 404} == GONE  # asked again with --refresh
    assert urls(db, "fetched") == held


def test_second_host_fetched_only_when_hosts_names_it(fetched_wxr):
    db = fetched_wxr[0]
    asked = Asked()
    run = media(db, "--hosts", SECOND_HOST)
    assert [(host, path, status) for _, host, path, status, _ in asked()] == [(SECOND_HOST, ELSEWHERE, 200)]
    assert urls(db, "fetched")[ELSEWHERE] == on_disk()[ELSEWHERE]
    assert run.returncode == 0, run.stderr


def test_scrape_then_media_archives_every_file_wordpress_wrote(scraped_db):
    asked = Asked()
    run = media(scraped_db)
    expected = {path: sha for path, sha in on_disk().items() if path != ELSEWHERE}
    assert urls(scraped_db, "fetched") == expected  # the thumbnails only media_details.sizes lists included
    assert THUMBNAILS <= set(expected)
    assert {path for path, sha in urls(scraped_db).items() if sha is None} == {*GONE, ELSEWHERE}
    assert sorted(path for _, _, path, status, _ in asked() if status == 200) == sorted(expected)
    check_store(scraped_db)
    assert run.returncode == 1


def test_sigkill_mid_run_then_a_clean_resume(exported_db, tmp_path):
    db = tmp_path / "killed.db"
    db.write_bytes(exported_db.read_bytes())  # the imported text, no media yet
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM media_uses")
        conn.execute("DELETE FROM media_urls")
        conn.execute("DELETE FROM media_files")
    asked = Asked()
    process = subprocess.Popen([sys.executable, "-m", "importer", "media", "--db", str(db), "--delay", "0.3",
                                "--allow-private"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.monotonic() + 60
    while len(asked()) < 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    before = {path for _, _, path, status, _ in asked() if status == 200}
    assert 0 < len(before) < len(on_disk()) - 1, "the run ended before it could be killed"
    check_store(db)
    resumed = Asked()
    media(db)
    again = {path for _, _, path, status, _ in resumed() if status == 200}
    kept_before = set(urls(db, "fetched")) - again
    assert urls(db, "fetched") == {path: sha for path, sha in on_disk().items() if path != ELSEWHERE}
    assert len(again) + len(kept_before) == len(urls(db, "fetched")) and not (again & kept_before)
    check_store(db)
    assert not [path for path in (db.parent / "killed.media").rglob(".incoming-*")]


def test_uploads_folder_archives_with_no_network(exported_db, tmp_path):
    db = tmp_path / "offline.db"
    db.write_bytes(exported_db.read_bytes())
    with sqlite3.connect(db) as conn:
        for table in ("media_uses", "media_urls", "media_files"):
            conn.execute(f"DELETE FROM {table}")
    asked = Asked()
    media(db, "--uploads", UPLOADS)
    assert asked() == []
    assert urls(db, "fetched") == {path: sha for path, sha in on_disk().items() if path != ELSEWHERE}
    check_store(db)


def test_datasette_serves_the_bytes_and_the_post_shows_the_archived_image(fetched_wxr):
    db = fetched_wxr[0]
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "importer", "serve", "--db", str(db), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        wait_until_serving(process, port)
        server = f"http://127.0.0.1:{port}"
        for path, sha in urls(db, "fetched").items():
            response = requests.get(f"{server}/-/wparchive/media/{sha}", timeout=10)
            assert response.content == (UPLOADS / path).read_bytes(), path
        with sqlite3.connect(db) as conn:
            [post_id] = conn.execute("SELECT id FROM posts WHERE slug = 'a-photo-too-big'").fetchone()
        asked = Asked()
        page = requests.get(f"{server}/archive/posts/{post_id}", timeout=10).text
        large = on_disk()["2019/03/harbour-at-dusk-1024x683.jpg"]
        assert f'<img width="750" height="500" src="/-/wparchive/media/{large}"' in page
        assert "127.0.0.1:8769/wp-content" not in page.split('class="wparchive-html"', 1)[1].split("</div>", 1)[0]
        assert asked() == []
    finally:
        process.terminate()
        process.wait(10)
