"""A fleet on this machine (no broker): a dozen sites (the test WordPress instances 8765-8767,
read-only, and stand-in blogs, three of them on one shared host) added, run N at a time, synced
by due time, cut into bounded steps, published as one archive. The politeness shared by every
job is checked on the request times the stand-in recorded, the only timing asserted."""
import hashlib
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from conftest import wordpress_url
from datasette_server import served
from importer.cli import cli
from importer.fleet.registry import Registry
from standin_blogs import StandIn, png

DELAY = 0.2


def fleet(folder, *args):
    return CliRunner().invoke(cli, ["fleet", *args, "--fleet", str(folder)], catch_exceptions=False)


def run(folder, *args):
    return fleet(folder, "run", "--delay", str(DELAY), "--allow-private", *args)


def rows(path, sql, *params):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


def archive_of(folder, url) -> Path:
    with Registry(folder) as registry:
        return registry.archive_path(registry.site(url))


def spans(standin, blogs):
    """(first, last) request time of each blog, from the stand-in's records."""
    return [(min(t), max(t)) for t in (standin.times(blog.port, blog.prefix) for blog in blogs)]


def assert_spaced(times, delay):
    """No two requests to one host closer than the delay (less 10 ms for the clock), and no
    window of the run holding more requests than the delay allows."""
    assert len(times) > 10
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= delay - 0.01, gaps
    for i, start in enumerate(times):
        within = [t for t in times[i:] if t < start + 10 * delay]
        assert len(within) <= 10, within


@pytest.fixture
def sites(tmp_path):
    """Six blogs on ports of their own, three on one shared host, and the three WordPress instances."""
    wordpress = [wordpress_url(name) for name in ("classic", "block", "norest")]
    with StandIn() as standin:
        own = [standin.blog(posts=4, comments=2) for _ in range(6)]
        shared_port = standin.host()
        shared = [standin.shared_blog(shared_port, posts=4, comments=1) for _ in range(3)]
        yield standin, own, shared, wordpress


def test_every_site_is_archived_with_sites_in_parallel_and_the_shared_host_spaced(sites, tmp_path):
    standin, own, shared, wordpress = sites
    folder = tmp_path / "fleet"
    added = fleet(folder, "add", *(blog.base for blog in own + shared), *wordpress)
    assert added.exit_code == 0 and "12 site(s) added" in added.output
    result = run(folder, "--jobs", "6")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len([line for line in lines if ": ok, scraped via " in line]) == 12
    assert lines[-1].startswith("12 site(s): 12 ok, 0 partial, 0 failed")
    for blog in own + shared:
        path = archive_of(folder, blog.base)
        assert rows(path, "SELECT count(*), count(DISTINCT wp_id) FROM posts") == [(len(blog.posts),) * 2]
        assert rows(path, "SELECT count(*) FROM comments") == [(len(blog.comments),)]
    for url in wordpress:
        assert rows(archive_of(folder, url), "SELECT count(*) > 5 FROM posts") == [(1,)]
    first_done = min(last for _, last in spans(standin, own))
    assert sum(first < first_done for first, _ in spans(standin, own)) >= 2  # another site started before one ended
    assert_spaced(standin.times(shared[0].port), DELAY)


def test_due_time_is_respected_and_a_due_site_is_synced_not_scraped(sites, tmp_path):
    standin, own, shared, _ = sites
    folder = tmp_path / "fleet"
    fleet(folder, "add", "--every", "3600", own[0].base, own[1].base)
    fleet(folder, "add", "--every", "0", own[2].base)
    assert run(folder).exit_code == 0
    before = {blog.base: len(standin.requests[blog.port]) for blog in own[:3]}
    own[2].add_post(comments=1)
    own[0].add_post(comments=1)
    again = run(folder)
    assert again.exit_code == 0
    assert again.output.splitlines() == [f"{own[2].base}: ok, synced via rest in 1 step(s), 5 requests, 2 added, 0 updated",
                                         again.output.splitlines()[-1]]
    assert len(standin.requests[own[0].port]) == before[own[0].base]  # not due: not asked anything
    assert len(standin.requests[own[1].port]) == before[own[1].base]
    assert rows(archive_of(folder, own[2].base), "SELECT count(*) FROM posts") == [(len(own[2].posts),)]
    assert rows(archive_of(folder, own[0].base), "SELECT count(*) FROM posts") == [(len(own[0].posts) - 1,)]
    listed = fleet(folder, "list").output
    assert f"{own[0].base}\t" in listed and "last: never" not in listed


def test_a_sync_too_long_for_one_step_goes_on_from_the_cursor_in_more_steps(sites, tmp_path):
    standin, own, _, _ = sites
    blog = own[0]
    folder = tmp_path / "fleet"
    fleet(folder, "add", "--every", "0", blog.base)
    assert run(folder).exit_code == 0
    for _ in range(12):
        blog.add_post(comments=1)
    result = run(folder, "--max-requests", "8")
    assert result.exit_code == 0, result.output
    steps = int(result.output.split(" in ")[1].split(" step")[0])
    assert steps >= 2
    assert rows(archive_of(folder, blog.base), "SELECT count(*), count(DISTINCT wp_id) FROM posts") == \
        [(len(blog.posts),) * 2]
    assert rows(archive_of(folder, blog.base), "SELECT count(*), count(DISTINCT wp_id) FROM comments") == \
        [(len(blog.comments),) * 2]


def contents(path):
    """What a scrape left, less the archive's own ids: posts, comments, terms, the sync cursors."""
    return (rows(path, "SELECT wp_id, type, title, content, modified_gmt FROM posts ORDER BY wp_id"),
            rows(path, "SELECT c.wp_id, p.wp_id, c.content, c.date_gmt FROM comments c JOIN posts p ON p.id = c.post_id "
                       "ORDER BY c.wp_id"),
            rows(path, "SELECT t.taxonomy, t.slug, p.wp_id FROM post_terms pt JOIN terms t ON t.id = pt.term_id "
                       "JOIN posts p ON p.id = pt.post_id ORDER BY 1, 2, 3"),
            rows(path, "SELECT key, value FROM sync_state WHERE key IN ('via', 'cursors', 'types', 'rest_root') "
                       "ORDER BY key"))


def test_a_first_scrape_cut_into_steps_goes_on_where_it_stopped(sites, tmp_path):
    """The same blog scraped whole, then in steps of 12 requests: the same rows, none twice,
    and about the requests of one scrape (each step asks robots.txt, and the listing page a cut
    fell on is asked once more)."""
    standin, own, _, _ = sites
    blog = own[0]
    for _ in range(210):  # 214 posts and 218 comments: three listing pages each
        blog.add_post(comments=1)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    fleet(whole, "add", blog.base)
    assert fleet(whole, "run", "--delay", "0", "--allow-private").exit_code == 0
    asked_whole = len(standin.requests[blog.port])
    fleet(cut, "add", "--every", "0", blog.base)
    result = fleet(cut, "run", "--delay", "0", "--allow-private", "--max-requests", "12")
    asked_cut = len(standin.requests[blog.port]) - asked_whole
    assert result.exit_code == 0, result.output
    steps = int(result.output.split(" in ")[1].split(" step")[0])
    assert steps >= asked_whole // 12
    assert asked_cut <= asked_whole + 2 * steps
    assert contents(archive_of(cut, blog.base)) == contents(archive_of(whole, blog.base))
    assert rows(archive_of(cut, blog.base), "SELECT count(*), count(DISTINCT wp_id) FROM comments") == \
        [(len(blog.comments),) * 2]
    assert rows(archive_of(cut, blog.base), "SELECT value FROM sync_state WHERE key = 'scrape_resume'") == [("",)]
    blog.add_post(comments=1)
    again = fleet(cut, "run", "--delay", "0", "--allow-private")
    assert ": ok, synced via rest in 1 step(s)" in again.output and ", 2 added" in again.output
    assert rows(archive_of(cut, blog.base), "SELECT count(*), count(DISTINCT wp_id) FROM posts") == \
        [(len(blog.posts),) * 2]


def test_a_first_scrape_that_cannot_get_further_is_partial_and_kept(sites, tmp_path):
    standin, own, _, _ = sites
    folder = tmp_path / "fleet"
    fleet(folder, "add", own[0].base)
    result = run(folder, "--max-requests", "3")  # the home page, robots.txt, the REST index: nothing listed
    assert result.exit_code == 1
    assert ": partial, scraped via rest in 1 step(s), 3 requests" in result.output
    assert "--max-requests 3 reached" in result.output
    assert "partial (" in fleet(folder, "list").output


def test_publish_builds_one_archive_incrementally_with_search_across_sites(sites, tmp_path):
    standin, own, shared, _ = sites
    folder = tmp_path / "fleet"
    blogs = own[:3] + shared[:2]
    fleet(folder, "add", "--every", "0", *(blog.base for blog in blogs))
    assert run(folder, "--jobs", "5").exit_code == 0
    published = fleet(folder, "publish")
    assert published.exit_code == 0 and "5 site(s) published" in published.output
    combined = folder / "fleet.db"
    assert rows(combined, "SELECT count(*) FROM sites") == [(5,)]
    assert rows(combined, "SELECT count(*) FROM posts") == [(sum(len(b.posts) for b in blogs),)]
    assert rows(combined, "PRAGMA foreign_key_check") == []
    found = rows(combined, "SELECT count(DISTINCT p.site_id) FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid "
                           "WHERE posts_fts MATCH 'text'")
    assert found == [(5,)]
    sites_before = rows(combined, "SELECT id, url_key FROM sites ORDER BY id")
    assert "0 site(s) published, 5 unchanged" in fleet(folder, "publish").output
    own[1].add_post(comments=2)
    assert run(folder).exit_code == 0
    assert "1 site(s) published" in fleet(folder, "publish").output
    assert rows(combined, "SELECT id, url_key FROM sites ORDER BY id") == sites_before
    assert rows(combined, "SELECT count(*) FROM posts") == [(sum(len(b.posts) for b in blogs),)]
    assert rows(combined, "SELECT count(*) FROM comments") == [(sum(len(b.comments) for b in blogs),)]
    assert rows(combined, "PRAGMA foreign_key_check") == []
    assert rows(combined, "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'text'") == \
        rows(combined, "SELECT count(*) FROM posts")  # every post says "Text": indexed once, old rows gone
    info = CliRunner().invoke(cli, ["info", "--db", str(combined)])
    assert info.exit_code == 0 and all(blog.base.rstrip("/").split("//")[1] in info.output for blog in blogs)


def test_publish_brings_each_sites_media_files_once_and_the_reader_shows_them(sites, tmp_path):
    """Two blogs, one image in both (the same bytes) and one of its own: the published archive
    holds each file once, hard-linked from the sites' folders, every use pointing at it; the
    reader's post page loads the archived copy; a second publish copies nothing again."""
    standin, own, _, _ = sites
    one, two = own[0], own[1]
    one.add_image_post("shared.png", 10)
    two.add_image_post("same.png", 10)
    two.add_image_post("own.png", 200)
    folder = tmp_path / "fleet"
    fleet(folder, "add", "--every", "0", one.base, two.base)
    assert run(folder, "--jobs", "2").exit_code == 0
    for blog in (one, two):
        fetched = CliRunner().invoke(cli, ["media", "--db", str(archive_of(folder, blog.base)), "--allow-private",
                                           "--delay", "0", "--quiet"])
        assert fetched.exit_code in (0, 1), fetched.output  # the stand-in has no /wp/v2/media: a problem noted
    published = fleet(folder, "publish")
    assert published.exit_code == 0, published.output
    combined = folder / "fleet.db"
    shas = sorted(hashlib.sha256(png(shade)).hexdigest() for shade in (10, 200))
    assert rows(combined, "SELECT sha256, path FROM media_files ORDER BY sha256") == \
        [(sha, f"fleet.media/{sha[:2]}/{sha}") for sha in shas]
    for sha in shas:
        held = combined.parent / "fleet.media" / sha[:2] / sha
        assert hashlib.sha256(held.read_bytes()).hexdigest() == sha
        assert held.stat().st_nlink >= 2  # linked, not copied: the sites' files are on the same disk
    assert rows(combined, "SELECT count(*), count(file_id) FROM media_urls WHERE url LIKE '%.png'") == [(3, 3)]
    assert rows(combined, "SELECT count(*) FROM media_uses u JOIN media_urls m ON m.id = u.url_id "
                          "JOIN media_files f ON f.id = m.file_id") == [(3,)]
    assert rows(combined, "PRAGMA foreign_key_check") == []
    elsewhere = Path("/dev/shm") / f"wparchive-{tmp_path.name}"  # another filesystem: no hard link there
    if elsewhere.parent.is_dir() and elsewhere.parent.stat().st_dev != tmp_path.stat().st_dev:
        elsewhere.mkdir()
        try:
            assert fleet(folder, "publish", "-o", str(elsewhere / "copy.db")).exit_code == 0
            for sha in shas:
                held = elsewhere / "copy.media" / sha[:2] / sha
                assert held.stat().st_nlink == 1 and hashlib.sha256(held.read_bytes()).hexdigest() == sha
            assert sorted(p.name for p in (elsewhere / "copy.media").rglob("*") if p.is_file()) == shas
        finally:
            shutil.rmtree(elsewhere, ignore_errors=True)
    two.add_post()
    assert run(folder).exit_code == 0
    assert "1 site(s) published" in fleet(folder, "publish").output  # `two` again: its media rows replaced
    assert rows(combined, "SELECT count(*) FROM media_files") == [(2,)]
    assert rows(combined, "SELECT count(*), count(file_id) FROM media_urls WHERE url LIKE '%.png'") == [(3, 3)]
    assert rows(combined, "PRAGMA foreign_key_check") == []
    post_id = rows(combined, "SELECT p.id FROM posts p JOIN sites s ON s.id = p.site_id "
                             "WHERE p.content LIKE '%own.png%'")[0][0]
    with served(Path(sys.executable), combined) as base:
        page = requests.get(f"{base}/-/wparchive/posts/{post_id}", timeout=10).text
        assert f"/-/wparchive/media/{shas[1]}" in page
        assert requests.get(f"{base}/-/wparchive/media/{shas[1]}", timeout=10).content == png(200)


def test_mistakes_are_one_line(tmp_path):
    folder = tmp_path / "fleet"
    added = fleet(folder, "add", "example.com")
    assert added.exit_code == 1 and added.output.startswith("error: example.com: not a web address")
    removed = fleet(folder, "remove", "http://nowhere.example/")
    assert removed.exit_code == 1 and "not in the fleet" in removed.output
    broker = fleet(folder, "run", "--broker", "redis://127.0.0.1:1/0")
    assert broker.exit_code == 1 and broker.output.startswith("error: redis://127.0.0.1:1/0: the broker does not answer")
    (tmp_path / "list.txt").write_text("# blogs\nhttp://a.example/\n\nhttp://b.example/\n")
    assert "2 site(s) added" in fleet(folder, "add", "--from", str(tmp_path / "list.txt")).output
    assert "removed; its archive stays at" in fleet(folder, "remove", "http://a.example/").output
    assert [line.split("\t")[0] for line in fleet(folder, "list").output.splitlines()] == ["http://b.example/"]
