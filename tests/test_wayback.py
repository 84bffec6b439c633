"""The Wayback source against a local CDX server replaying WARC crawls of the test WordPress
(never the real Internet Archive): rows as the blog's own export has them, each capture as
evidence at its own time, the CDX dialect (paging, collapse, from/to), and politeness."""
import hashlib
import re
import sqlite3
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from cdx_server import CDXServer, captures_of
from conftest import wordpress_export
from importer.archive.connection import connect
from importer.cli import cli
from importer.jobs.scrape import scrape
from importer.jobs.wayback_media import NO_CAPTURE
from importer.jobs.sync import sync_site
from importer.sources import cdx
from importer.sources.captured import url_key
from importer.web import Fetcher
from wayback_site import EDITED_COMMENT_TEXT, EDITED_POST, EDITED_TEXT, crawl_between_edits


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    return crawl_between_edits(tmp_path_factory.mktemp("crawls"))


@pytest.fixture
def slept():
    return []


def run(db, crawls, base, slept, **options):
    """A Wayback scrape through the library, its sleeps recorded instead of taken."""
    conn = connect(db)
    fetcher = Fetcher(crawls.url, sleep=slept.append, **{k: options.pop(k) for k in ("max_requests",) if k in options})
    report = scrape(conn, crawls.url, via="wayback", fetcher=fetcher,
                    wayback={"wayback_url": base, **options})
    return conn, report


def test_recovered_rows_match_the_blogs_own_export(crawls, tmp_path, slept):
    server = CDXServer(page_size=25)
    server.add(*crawls.warcs)
    with server.serve() as base:
        conn, report = run(tmp_path / "a.db", crawls, base, slept)
    assert report.error is None
    export = exported(tmp_path)
    public = {r[0] for r in export.execute(PUBLIC_POSTS)}
    got = {r[0] for r in conn.execute("SELECT wp_id FROM posts WHERE wp_id IS NOT NULL")}
    assert public and public <= got  # pages too: the crawl was seeded from the sitemaps, as archives are
    assert PAGE_IDS & public <= got
    dates = dict(export.execute(PUBLIC_POSTS.replace("wp_id", "wp_id, date_gmt", 1)))
    assert {wp_id: date for wp_id, date in conn.execute("SELECT wp_id, date_gmt FROM posts") if wp_id in dates} == dates
    assert {r[0] for r in export.execute(VISIBLE_COMMENTS)} <= {r[0] for r in conn.execute("SELECT wp_id FROM comments")}
    assert any("/resumeKey" not in str(q) and q.get("resumeKey") for q in server.asked)  # paged, not truncated


def exported(tmp_path):
    """The blog's own WXR export, imported into an archive of its own."""
    from importer.jobs.imports import import_input
    from importer.inputs import expand

    export = connect(tmp_path / "x.db")
    import_input(export, expand([str(wordpress_export("wayback", tmp_path / "wp.xml"))])[0])
    return export


PUBLIC_POSTS = "SELECT wp_id FROM posts WHERE status = 'publish' AND type IN ('post', 'page')"
PAGE_IDS = {2, 18, 19}  # Sample Page, About, Contact: linked from no page, listed by the sitemap
# what an anonymous visitor was shown: WordPress hides the comments of a password-protected post
VISIBLE_COMMENTS = ("SELECT c.wp_id FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.status = 'approved' "
                    "AND coalesce(p.password, '') = ''")


def test_each_capture_is_evidence_at_its_own_time(crawls, tmp_path, slept):
    server = CDXServer()
    server.add(*crawls.warcs)
    with server.serve() as base:
        conn, _ = run(tmp_path / "a.db", crawls, base, slept)
    content, = conn.execute("SELECT content FROM posts WHERE wp_id = ?", (EDITED_POST,)).fetchone()
    assert EDITED_TEXT in content
    moments = sorted(c.timestamp for c in server.captures if c.original.rstrip("/").endswith("victory-for-baby-p"))
    versions = conn.execute("SELECT v.captured_at, v.content FROM post_versions v JOIN posts p ON p.id = v.post_id "
                            "WHERE p.wp_id = ?", (EDITED_POST,)).fetchall()
    assert len(versions) == 1 and EDITED_TEXT not in versions[0][1]
    # dated by a capture that showed the old text: not the run's time, nor the modified_gmt its REST capture gave
    post_captures = {digits(c.timestamp) for c in server.captures if c.original.rstrip("/").endswith(
        ("victory-for-baby-p", f"/wp/v2/posts/{EDITED_POST}"))}
    assert digits(versions[0][0]) in post_captures and digits(versions[0][0]) < moments[-1]
    modified, = conn.execute("SELECT v.modified_gmt FROM post_versions v JOIN posts p ON p.id = v.post_id "
                             "WHERE p.wp_id = ?", (EDITED_POST,)).fetchone()
    assert modified and digits(modified) not in post_captures  # the REST capture's own word is kept beside it
    comment = conn.execute("SELECT id, content FROM comments WHERE wp_id = ?", (crawls.edited_comment,)).fetchone()
    assert EDITED_COMMENT_TEXT in comment[1]
    dated, = conn.execute("SELECT captured_at FROM comment_versions WHERE comment_id = ?", (comment[0],)).fetchall()
    assert digits(dated[0]) in {c.timestamp for c in server.captures}
    assert conn.execute("SELECT count(*) FROM captures WHERE digest IS NOT NULL").fetchone()[0] >= len(versions)


def digits(moment: str) -> str:
    return "".join(ch for ch in moment if ch.isdigit())


def test_a_comment_gone_from_later_captures_is_kept(crawls, tmp_path, slept):
    server = CDXServer()
    server.add(*crawls.warcs[1:2])  # only the middle crawl shows the early comment as first written
    server.add(crawls.warcs[0])
    with server.serve() as base:
        conn, _ = run(tmp_path / "a.db", crawls, base, slept)
    assert conn.execute("SELECT count(*) FROM comments WHERE wp_id = ?", (crawls.edited_comment,)).fetchone()[0] == 1


def test_from_to_and_captures_limit_what_is_read(crawls, tmp_path, slept):
    server = CDXServer()
    server.add(*crawls.warcs)
    first = max(c.timestamp for c in captures_of(crawls.warcs[:1]))
    with server.serve() as base:
        conn, _ = run(tmp_path / "a.db", crawls, base, slept, wayback_to=first)
    assert EDITED_TEXT not in conn.execute("SELECT content FROM posts WHERE wp_id = ?", (EDITED_POST,)).fetchone()[0]
    assert conn.execute("SELECT count(*) FROM comments WHERE wp_id = ?", (crawls.added_comment,)).fetchone()[0] == 0


def test_sync_asks_only_for_captures_newer_than_the_last_run(crawls, tmp_path, slept):
    server = CDXServer()
    server.add(*crawls.warcs[:2])
    with server.serve() as base:
        conn, _ = run(tmp_path / "a.db", crawls, base, slept)
        read, = conn.execute("SELECT max(captured_at) FROM captures").fetchone()
        last = "".join(ch for ch in read if ch.isdigit())
        server.add(crawls.warcs[2])
        server.asked.clear()
        site_id, = conn.execute("SELECT id FROM sites").fetchone()
        report = sync_site(conn, site_id, crawls.url, Fetcher(crawls.url, sleep=slept.append))
    assert report.error is None
    assert server.asked and all(q["from"] > last for q in server.asked)
    assert EDITED_TEXT in conn.execute("SELECT content FROM posts WHERE wp_id = ?", (EDITED_POST,)).fetchone()[0]
    assert conn.execute("SELECT count(*) FROM comments WHERE wp_id = ?", (crawls.added_comment,)).fetchone()[0] == 1


def test_429_waits_as_asked_and_a_minute_without_retry_after(crawls, tmp_path, slept):
    server = CDXServer()
    server.add(*crawls.warcs)
    server.throttle(1, "7")
    server.throttle(1)
    with server.serve() as base:
        _, report = run(tmp_path / "a.db", crawls, base, slept, max_requests=10)
    assert 7.0 in slept and cdx.BUSY_WAIT in slept
    assert report.error and "--max-requests 10" in report.error  # the budget is honoured, what was read kept


def test_cdx_calls_and_capture_reads_are_spaced(crawls, tmp_path, slept):
    server = CDXServer()
    server.add(*crawls.warcs)
    with server.serve() as base:
        run(tmp_path / "a.db", crawls, base, slept, max_requests=8)
    assert any(wait > cdx.CAPTURE_SPACING for wait in slept)  # a CDX call waited for its turn


def test_a_refused_connection_stops_the_run_in_one_line(crawls, tmp_path, monkeypatch):
    monkeypatch.setattr(cdx, "CDX_SPACING", 0.0)
    result = CliRunner().invoke(cli, ["scrape", crawls.url, "--via", "wayback", "--wayback-url", "http://127.0.0.1:9",
                                      "--db", str(tmp_path / "a.db")])
    assert result.exit_code != 0
    assert "refuses this address" in result.output and "Traceback" not in result.output
    said = [line for line in result.output.splitlines() if "refuses" in line]  # after the run's summary table
    assert len(said) == 1 and "http://127.0.0.1:9/" in said[0]


def test_a_block_part_way_stops_the_run_keeping_what_was_read(crawls, tmp_path, slept):
    server = CDXServer()
    server.add(*crawls.warcs)
    server.refuse_after = 12
    with server.serve() as base:
        conn, report = run(tmp_path / "a.db", crawls, base, slept)
    assert report.error and "refuses this address" in report.error and "\n" not in report.error
    assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM captures").fetchone()[0] > 0
    assert conn.execute("SELECT status FROM import_runs").fetchone()[0] == "partial"


def test_cli_scrape_via_wayback(crawls, tmp_path, monkeypatch):
    monkeypatch.setattr(cdx, "CDX_SPACING", 0.0)
    monkeypatch.setattr(cdx, "CAPTURE_SPACING", 0.0)
    server = CDXServer()
    server.add(*crawls.warcs)
    with server.serve() as base:
        result = CliRunner().invoke(cli, ["scrape", crawls.url, "--via", "wayback", "--wayback-url", base,
                                          "--captures", "1", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT count(*) FROM post_versions").fetchone()[0] == 0  # one capture each: no history
    assert db.execute("SELECT count(*) FROM posts WHERE source = 'wayback'").fetchone()[0] > 10


def test_bad_moment_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["scrape", "http://example.org/", "--via", "wayback", "--from", "2008-01"])
    assert result.exit_code == 2 and "YYYYMMDD" in result.output


def test_media_are_read_from_their_captures_not_the_dead_host(crawls, tmp_path, slept, monkeypatch):
    monkeypatch.setattr(cdx, "CDX_SPACING", 0.0)
    monkeypatch.setattr(cdx, "CAPTURE_SPACING", 0.0)
    server = CDXServer()
    server.add(*crawls.warcs)
    server.captures = [c for c in server.captures if MISSING not in c.original]  # a size the archive never took
    db = tmp_path / "a.db"
    with server.serve() as base:
        run(db, crawls, base, slept)
        before = server.requests.copy()
        media = CliRunner().invoke(cli, ["media", "--db", str(db), "--allow-private", "--quiet"])
        during = server.requests - before
        again = CliRunner().invoke(cli, ["media", "--db", str(db), "--allow-private", "--quiet"])
        assert server.requests - before == during  # the second run asks nothing
    assert media.exit_code in (0, 1), media.output
    assert again.exit_code == 0, again.output  # those without a capture are gone, not failed again
    bodies = {c.original: c.body for c in server.captures if "/wp-content/uploads/" in c.original}
    conn = sqlite3.connect(db)
    held = conn.execute("SELECT u.url, f.sha256, f.path FROM media_urls u JOIN media_files f ON f.id = u.file_id "
                        "WHERE u.status = 'fetched'").fetchall()
    assert any(url.endswith(IMAGE) for url, _, _ in held)
    for url, sha256, path in held:  # the captured bytes, under the blog's own URL
        assert hashlib.sha256((tmp_path / path).read_bytes()).digest() == hashlib.sha256(bodies[url]).digest()
        assert hashlib.sha256(bodies[url]).hexdigest() == sha256
    # the inventory's listing was kept: one listing of the uploads, for the size it did not hold
    assert during["capture"] == len(held) and during["cdx"] == 1
    failed = conn.execute("SELECT url, last_error, http_status FROM media_urls WHERE status = 'failed'").fetchall()
    assert failed and all(url not in bodies for url, _, _ in failed) and any(MISSING in url for url, _, _ in failed)
    assert {(error, status) for _, error, status in failed} == {(NO_CAPTURE, 404)}  # gone: not asked until --refresh


IMAGE = "/wp-content/uploads/2016/06/wp-local-test-image.png"
MISSING = "wp-local-test-image-768x432.png"


def test_a_post_only_a_feed_capture_shows_is_recovered_once_then_merges_with_its_page(crawls, tmp_path, slept):
    server = CDXServer()
    server.add(*crawls.warcs)
    feed = max((c for c in server.captures if c.original == crawls.url + "feed/"), key=lambda c: c.timestamp)
    link = re.search(rb"<item>.*?<link>([^<]+)</link>", feed.body, re.S).group(1).decode()
    page = next(c for c in server.captures if url_key(c.original) == url_key(link))
    wp_id = int(re.search(rb"postid-(\d+)", page.body).group(1))
    hidden = [c for c in server.captures if url_key(c.original) == url_key(link)
              or c.original.rstrip("/").endswith(f"/wp/v2/posts/{wp_id}")]
    assert hidden  # its page (and REST response) were captured: the archive is made to have lost them
    server.captures = [c for c in server.captures if c not in hidden]
    with server.serve() as base:
        conn, _ = run(tmp_path / "a.db", crawls, base, slept)
        rows = conn.execute("SELECT id, date_gmt FROM posts WHERE wp_id = ? OR url = ?", (wp_id, link)).fetchall()
        assert len(rows) == 1 and rows[0][1]  # from the feed: its id (the guid's ?p=N) and its date
        later = (datetime.strptime(max(c.timestamp for c in server.captures), "%Y%m%d%H%M%S")
                 + timedelta(minutes=1)).strftime("%Y%m%d%H%M%S")
        for capture in hidden:
            capture.timestamp = later  # the page captured again after the run
        server.captures = sorted(server.captures + hidden, key=lambda c: (c.urlkey, c.timestamp))
        site_id, = conn.execute("SELECT id FROM sites").fetchone()
        report = sync_site(conn, site_id, crawls.url, Fetcher(crawls.url, sleep=slept.append))
    assert report.error is None
    merged = conn.execute("SELECT id, date_gmt, wp_id FROM posts WHERE wp_id = ? OR url = ?", (wp_id, link)).fetchall()
    assert merged == [(*rows[0], wp_id)]  # one row, the same date, the id its page shows
    assert conn.execute("SELECT count(*) FROM captures WHERE url = ? AND captured_at LIKE ?",
                        (hidden[0].original, later[:4] + "%")).fetchone()[0] == 1  # the page was read into it
