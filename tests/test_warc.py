"""WARC files as a source: crawls of the test WordPress on 8773 written by Debian's wget
(`--warc-file`, the second with `--warc-dedup`, so unchanged payloads are revisit records),
imported with `wparchive import` as .warc.gz, .warc and a directory; an ARC file; the media they
hold going into the media store; damaged and foreign files refused in one line."""
import gzip
import hashlib
import shutil
import sqlite3

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from cdx_server import wget_capture
from conftest import wordpress_change, wordpress_export
from importer.archive.connection import connect
from importer.cli import cli
from importer.jobs.scrape import scrape
from importer.web import Fetcher
from wayback_site import EDITED_POST, EDITED_TEXT, fresh_wordpress

IMAGE = "/wp-content/uploads/2016/06/wp-local-test-image.png"


@pytest.fixture(scope="module")
def warcs(tmp_path_factory):
    """One .warc.gz holding two wget crawls (the post edited and a comment added between them),
    the same uncompressed, and a folder holding both crawls as files of their own."""
    folder = tmp_path_factory.mktemp("warcs")
    url = fresh_wordpress()
    first = wget_capture(url, folder / "first", media=True, options=["--warc-cdx"])
    wordpress_change("wayback", "edit-post", EDITED_POST, EDITED_TEXT)
    comment = int(wordpress_change("wayback", "add-comment", EDITED_POST, "Late Reader", "Seen in the second crawl."))
    second = wget_capture(url, folder / "second", media=True, options=[f"--warc-dedup={folder / 'first.cdx'}"])
    both = folder / "both.warc.gz"
    both.write_bytes(open(first, "rb").read() + open(second, "rb").read())  # gzip members, one after another
    plain = folder / "both.warc"
    plain.write_bytes(gzip.decompress(both.read_bytes()))
    crawls = folder / "crawls"
    crawls.mkdir()
    for made in (first, second):
        shutil.copy(made, crawls)
    return {"url": url, "gz": both, "plain": plain, "dir": crawls, "first": first, "comment": comment}


def records_of(path, kind: str):
    with open(path, "rb") as stream:
        return [(r.rec_headers.get_header("WARC-Target-URI"), moment(r.rec_headers.get_header("WARC-Date")))
                for r in ArchiveIterator(stream) if r.rec_type == kind]


def moment(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())[:14]


def imported(path, db) -> sqlite3.Connection:
    result = CliRunner().invoke(cli, ["import", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return sqlite3.connect(db)


def test_a_warc_gz_of_two_crawls_gives_rows_versions_and_capture_times(warcs, tmp_path):
    db = imported(warcs["gz"], tmp_path / "a.db")
    export = connect(tmp_path / "x.db")
    from importer.inputs import expand
    from importer.jobs.imports import import_input
    import_input(export, expand([str(wordpress_export("wayback", tmp_path / "wp.xml"))])[0])
    public = {r[0] for r in export.execute("SELECT wp_id FROM posts WHERE status = 'publish' AND type IN ('post', 'page')")}
    assert public and public <= {r[0] for r in db.execute("SELECT wp_id FROM posts")}
    content, = db.execute("SELECT content FROM posts WHERE wp_id = ?", (EDITED_POST,)).fetchone()
    assert EDITED_TEXT in content
    assert db.execute("SELECT count(*) FROM comments WHERE wp_id = ?", (warcs["comment"],)).fetchone()[0] == 1
    dated, = db.execute("SELECT v.captured_at FROM post_versions v JOIN posts p ON p.id = v.post_id "
                        "WHERE p.wp_id = ?", (EDITED_POST,)).fetchone()
    assert moment(dated) in {when for _, when in records_of(warcs["first"], "response")}  # the first crawl's WARC-Date
    written = {(url, when) for url, when in records_of(warcs["gz"], "response") + records_of(warcs["gz"], "revisit")}
    captured = {(url, moment(when)) for url, when in db.execute("SELECT url, captured_at FROM captures")}
    assert captured and captured <= written


def test_revisit_records_are_read_as_the_payload_they_repeat(warcs, tmp_path):
    revisits = records_of(warcs["gz"], "revisit")
    assert revisits  # wget wrote some: the second crawl found payloads the first had
    db = imported(warcs["gz"], tmp_path / "a.db")
    captured = {(url, moment(when)) for url, when in db.execute("SELECT url, captured_at FROM captures")}
    items = [(url, when) for url, when in revisits if "/wp-json/wp/v2/posts/" in url]
    assert items and set(items) <= captured  # an unchanged post's REST response, read at the second crawl's time


def test_warc_uncompressed_and_a_folder_give_the_same_rows(warcs, tmp_path):
    rows = "SELECT wp_id, title, content FROM posts ORDER BY wp_id"
    from_gz = imported(warcs["gz"], tmp_path / "gz.db").execute(rows).fetchall()
    assert imported(warcs["plain"], tmp_path / "plain.db").execute(rows).fetchall() == from_gz
    assert imported(warcs["dir"], tmp_path / "dir.db").execute(rows).fetchall() == from_gz


def test_a_live_scrape_after_the_warc_lands_in_the_same_rows(warcs, tmp_path):
    db = imported(warcs["gz"], tmp_path / "a.db")
    count = "SELECT type, count(*) FROM {} GROUP BY type ORDER BY type"
    posts = db.execute(count.format("posts WHERE type IN ('post', 'page')")).fetchall()
    comments = db.execute("SELECT count(*) FROM comments").fetchone()[0]
    report = scrape(connect(tmp_path / "a.db"), warcs["url"], fetcher=Fetcher(warcs["url"], delay=0))
    assert report.error is None and report.via == "rest"
    assert db.execute(count.format("posts WHERE type IN ('post', 'page')")).fetchall() == posts
    assert db.execute("SELECT count(*) FROM comments").fetchone()[0] == comments
    assert db.execute("SELECT count(*) FROM sites").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM posts WHERE wp_id IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM posts WHERE source = 'rest'").fetchone()[0] > 0  # the same rows, merged


def test_media_in_the_warc_are_stored_and_not_fetched_again(warcs, tmp_path):
    summary = CliRunner().invoke(cli, ["import", str(warcs["gz"]), "--db", str(tmp_path / "a.db")])
    db = sqlite3.connect(tmp_path / "a.db")
    stored = db.execute("SELECT count(*) FROM media_urls WHERE status = 'fetched'").fetchone()[0]
    assert stored and any(line.split()[:3] == ["media", "files", str(stored)] for line in summary.output.splitlines())
    held = db.execute("SELECT u.url, f.sha256, f.path, u.fetched_at FROM media_urls u JOIN media_files f "
                      "ON f.id = u.file_id WHERE u.status = 'fetched'").fetchall()
    assert any(url.endswith(IMAGE) for url, *_ in held)
    for url, sha256, path, _ in held:
        assert hashlib.sha256((tmp_path / path).read_bytes()).hexdigest() == sha256
    result = CliRunner().invoke(cli, ["media", "--db", str(tmp_path / "a.db"), "--allow-private", "--quiet"])
    assert result.exit_code in (0, 1), result.output
    after = {url: fetched_at for url, _, _, fetched_at in db.execute(
        "SELECT u.url, f.sha256, f.path, u.fetched_at FROM media_urls u JOIN media_files f ON f.id = u.file_id")}
    assert all(after[url] == fetched_at for url, _, _, fetched_at in held)  # none of them asked for again


def test_an_arc_file_is_read(warcs, tmp_path):
    """warcio reads ARC but writes only WARC, so the ARC is written here by hand (ARC v1: a
    filedesc record, then one header line and the HTTP response per record), from a wget record."""
    with open(warcs["first"], "rb") as stream:
        page = next(r for r in ArchiveIterator(stream) if r.rec_type == "response"
                    and r.rec_headers.get_header("WARC-Target-URI").rstrip("/").endswith("victory-for-baby-p"))
        url, when = page.rec_headers.get_header("WARC-Target-URI"), moment(page.rec_headers.get_header("WARC-Date"))
        http = page.http_headers.to_bytes() + page.content_stream().read()
    desc = b"1 1 wparchive-test\nURL IP-address Archive-date Content-type Archive-length\n"
    arc = tmp_path / "page.arc.gz"
    arc.write_bytes(
        gzip.compress(b"filedesc://page.arc 0.0.0.0 %s text/plain %d\n%s\n" % (when.encode(), len(desc), desc))
        + gzip.compress(b"%s 127.0.0.1 %s text/html %d\n%s\n" % (url.encode(), when.encode(), len(http), http)))
    db = imported(arc, tmp_path / "a.db")
    assert db.execute("SELECT wp_id FROM posts").fetchall() == [(EDITED_POST,)]
    assert db.execute("SELECT captured_at FROM captures").fetchone()[0].replace("-", "").replace(" ", "").replace(
        ":", "") == when


@pytest.mark.parametrize("damage", ["truncated", "headers cut", "not a warc"])
def test_a_damaged_or_foreign_warc_is_one_line_and_leaves_the_archive_untouched(warcs, tmp_path, damage):
    db = tmp_path / "a.db"
    imported(warcs["dir"] / "first.warc.gz", db)
    before = sqlite3.connect(db).execute("SELECT count(*), max(last_seen) FROM posts").fetchone()
    bad = tmp_path / "bad.warc.gz"
    whole = warcs["gz"].read_bytes()
    cut = whole + gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: 2020-01-01T00:00:00Z\r\n")
    bad.write_bytes({"truncated": whole[:len(whole) // 2], "headers cut": cut}.get(
        damage, gzip.compress(b"<html>not a WARC</html>")))
    result = CliRunner().invoke(cli, ["import", str(bad), "--db", str(db)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    said = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(said) == 1 and "bad.warc.gz" in said[0], result.output  # then the import's usual "archive untouched"
    assert sqlite3.connect(db).execute("SELECT count(*), max(last_seen) FROM posts").fetchone() == before
