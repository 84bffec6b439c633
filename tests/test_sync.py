"""Re-syncs against a real WordPress (port 8768, 300+ posts and 1,000+ comments, fresh each test
run) that the tests change between syncs: new, edited, trashed and restored posts, new, edited,
unapproved and re-approved comments. Real processes, real signals. Each test runs live and from
its recording (conftest.Web), where the changes come back as recorded, `sync` runs in this process
and the process killed mid-sync replays too (tests/recorded.py)."""
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import Web, cassette_for
from importer import connect
from importer.web.fetcher import Fetcher
from importer.jobs.scrape import scrape
from importer.jobs.sync import SyncLock


def sync(web, db, *args):
    return web.wparchive("sync", "--db", str(db), "--delay", "0", "--allow-private", *args)


def one(db, sql, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchone()


@pytest.fixture(scope="module")
def scraped(mode, request, tmp_path_factory):
    with Web(mode, cassette_for(request)) as web:
        url = web.url("sync")
        db = tmp_path_factory.mktemp("sync") / "archive.db"
        conn = connect(db)
        report = scrape(conn, url, fetcher=Fetcher(url, delay=0))
        conn.close()
    assert report.error is None
    return db, report


def test_unchanged_blog_costs_a_handful_of_requests(scraped, web):
    db, full = scraped
    assert one(db, "SELECT count(*) FROM posts")[0] >= 300 and one(db, "SELECT count(*) FROM comments")[0] >= 1000
    done = sync(web, db)
    assert done.returncode == 0, done.stderr
    requests, added, updated = one(db, "SELECT requests, added, updated FROM sync_runs ORDER BY id DESC LIMIT 1")
    assert (added, updated) == (0, 0)
    assert requests <= 3 < full.requests  # robots.txt and a 304 of the comments feed


def test_changes_land_with_history_and_nothing_is_deleted(scraped, web):
    db, _ = scraped
    with sqlite3.connect(db) as conn:
        edited, trashed, commented = (r[0] for r in conn.execute(
            "SELECT p.wp_id FROM posts p WHERE p.title LIKE 'Archive entry %' AND p.status = 'publish' AND "
            "(SELECT count(*) FROM comments c WHERE c.post_id = p.id AND c.type = 'comment') >= 2 "
            "ORDER BY p.wp_id LIMIT 3"))
    stamp = web.value("stamp", lambda: str(time.time_ns()))  # the instance may have been changed by an earlier run of this test
    old_content = one(db, "SELECT content FROM posts WHERE wp_id = ?", edited)[0]
    new_post = int(web.change("sync", "add-post", "Written between syncs", "<p>Fresh words.</p>"))
    web.change("sync", "edit-post", edited, f"<p>Rewritten between syncs {stamp}.</p>")
    web.change("sync", "trash-post", trashed)
    new_comment = int(web.change("sync", "add-comment", commented, "Late Reader", "A comment between syncs."))
    edited_comment, held_comment = (row for row in one(
        db, "SELECT min(c.wp_id), max(c.wp_id) FROM comments c JOIN posts p ON p.id = c.post_id "
            "WHERE p.wp_id = ? AND c.type = 'comment'", commented))
    web.change("sync", "edit-comment", edited_comment, f"Edited after it was archived {stamp}.")
    web.change("sync", "unapprove-comment", held_comment)

    assert sync(web, db).returncode == 0
    assert one(db, "SELECT title FROM posts WHERE wp_id = ?", new_post) == ("Written between syncs",)
    assert one(db, "SELECT content_text FROM posts WHERE wp_id = ?", edited) == (f"Rewritten between syncs {stamp}.",)
    assert one(db, "SELECT v.content FROM post_versions v JOIN posts p ON p.id = v.post_id WHERE p.wp_id = ?",
               edited) == (old_content,)
    assert one(db, "SELECT author_name FROM comments WHERE wp_id = ?", new_comment) == ("Late Reader",)

    done = sync(web, db, "--full")
    assert done.returncode == 0, done.stderr
    assert one(db, "SELECT deleted_at IS NOT NULL, title FROM posts WHERE wp_id = ?", trashed)[0] == 1
    assert one(db, "SELECT deleted_at IS NOT NULL FROM comments WHERE wp_id = ?", held_comment) == (1,)
    assert one(db, "SELECT content_text FROM comments WHERE wp_id = ?", edited_comment) == (
        f"Edited after it was archived {stamp}.",)
    assert one(db, "SELECT count(*) FROM comment_versions v JOIN comments c ON c.id = v.comment_id "
                   "WHERE c.wp_id = ?", edited_comment) == (1,)
    assert one(db, "SELECT deleted FROM sync_runs ORDER BY id DESC LIMIT 1")[0] >= 2

    web.change("sync", "approve-comment", held_comment)
    web.change("sync", "untrash-post", trashed)
    assert sync(web, db, "--full").returncode == 0
    assert one(db, "SELECT deleted_at FROM posts WHERE wp_id = ?", trashed) == (None,)
    assert one(db, "SELECT deleted_at FROM comments WHERE wp_id = ?", held_comment) == (None,)


def test_a_second_sync_exits_at_once(scraped, web):
    db, _ = scraped
    with SyncLock(db):
        started = time.monotonic()
        done = sync(web, db)
    assert done.returncode == 2 and time.monotonic() - started < 10
    assert "another sync is running" in done.stderr and f"pid {os.getpid()}" in done.stderr


def test_kill_9_mid_sync_leaves_the_archive_whole(scraped, web, tmp_path):
    db, _ = scraped
    copy = tmp_path / "killed.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        target.execute("DELETE FROM sync_state")  # no cursors: the next sync reads everything, slowly
    before = one(copy, "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments), "
                       "(SELECT count(*) FROM sync_runs)")
    process = subprocess.Popen(web.argv("sync", "--db", str(copy), "--delay", "0.05", "--allow-private", "--quiet",
                                        record=False),  # killed at its own moment: replays the run after it
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    assert process.poll() is None, f"the sync was meant to be killed mid-run: {process.communicate()[1][-2000:]}"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert one(copy, "PRAGMA integrity_check") == ("ok",)
    assert one(copy, "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments), "
                     "(SELECT count(*) FROM sync_runs)") == (before[0], before[1], before[2] + 1)
    done = sync(web, copy)
    assert done.returncode == 0, done.stderr
    assert one(copy, "SELECT count(*) FROM (SELECT wp_id FROM posts GROUP BY site_id, wp_id HAVING count(*) > 1)") == (0,)
    assert one(copy, "SELECT count(*) FROM posts") == before[:1]
    assert one(copy, "SELECT finished IS NOT NULL, error FROM sync_runs ORDER BY id DESC LIMIT 1") == (1, None)


def test_a_site_without_rest_is_checked_with_a_conditional_get(web, tmp_path):
    url = web.url("norest")
    db = tmp_path / "norest.db"
    conn = connect(db)
    scrape(conn, url, fetcher=Fetcher(url, delay=0))
    posts = one(db, "SELECT count(*) FROM posts")[0]
    conn.close()
    assert sync(web, db).returncode == 0  # learns the feed's validators
    assert sync(web, db).returncode == 0
    requests, added, updated = one(db, "SELECT requests, added, updated FROM sync_runs ORDER BY id DESC LIMIT 1")
    assert (added, updated) == (0, 0) and requests <= 2  # robots.txt and a 304 of the comments feed
    assert sync(web, db, "--full").returncode == 0
    assert one(db, "SELECT count(*), count(deleted_at) FROM posts") == (posts, 0)
