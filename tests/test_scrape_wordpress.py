"""Scraping a real WordPress (Debian's package on 127.0.0.1) through each path, compared with the
import of that WordPress's own WXR export: the public posts, comments, terms and authors must be
the same rows with the same values. Each test runs live and from its recording (conftest.Web)."""
import pytest

from conftest import exported as export_of, rows, run_import, value
from importer import connect
from importer.web.fetcher import Fetcher
from importer.jobs.scrape import scrape
from importer.text import comparable

PATHS = [("classic", "rest"), ("classic", "html"), ("block", "rest"), ("block", "html"), ("norest", "auto")]


@pytest.fixture(scope="module")
def exported(mode, tmp_path_factory):
    cache = {}

    def export(name):
        if name not in cache:
            cache[name] = export_of(mode, name, tmp_path_factory.mktemp("wxr") / f"{name}.xml")
        return cache[name]
    return export


def archive_of(path):
    return connect(path)


def public(conn, rest: bool):
    """The archived rows an anonymous reader can see: published posts and pages (attachments too
    where REST lists them), approved comments on posts without a password."""
    types = "('post', 'page', 'attachment')" if rest else "('post', 'page')"
    posts = {r[0]: r[1:] for r in rows(conn, f"""SELECT wp_id, type, title, date_gmt, content_text, parent_wp_id
        FROM posts WHERE (status = 'publish' AND type IN ('post', 'page')) OR (type = 'attachment' AND {int(rest)})""")}
    comments = {r[0]: r[1:] for r in rows(conn, f"""SELECT c.wp_id, p.wp_id, c.parent_wp_id, c.author_name, c.type,
        c.date_gmt FROM comments c JOIN posts p ON p.id = c.post_id
        WHERE c.status = 'approved' AND p.status = 'publish' AND p.type IN {types} AND coalesce(p.password, '') = ''""")}
    return posts, comments


@pytest.mark.parametrize("name, via", PATHS, ids=[f"{n}-{v}" for n, v in PATHS])
def test_scrape_matches_the_export(name, via, exported, web, tmp_path):
    url = web.url(name)
    wxr = archive_of(tmp_path / "wxr.db")
    run_import(wxr, exported(name))
    scraped = archive_of(tmp_path / "scraped.db")
    report = scrape(scraped, url, via=via, fetcher=Fetcher(url, delay=0))
    assert report.error is None and report.requests > 0
    rest = report.via == "rest"
    assert report.via == ("html" if name == "norest" else via)
    want_posts, want_comments = public(wxr, rest)
    got_posts, got_comments = public(scraped, rest)
    assert sorted(got_posts) == sorted(want_posts)
    for wp_id, (kind, title, date_gmt, text, parent) in want_posts.items():
        got = got_posts[wp_id]
        assert got[0] == kind and comparable(got[1]) == comparable(title), wp_id
        if kind == "post" or rest:
            assert got[2] == date_gmt, wp_id  # themes show no date on pages
    assert sorted(got_comments) == sorted(want_comments)
    for wp_id, (post, parent, author, kind, date_gmt) in want_comments.items():
        got = got_comments[wp_id]
        assert got[:2] == (post, parent) and got[3] == kind, wp_id
        assert comparable(got[2]) == comparable(author), wp_id  # exports keep &raquo; as WordPress stored it
        if kind == "comment":
            assert got[4] == date_gmt, wp_id  # pages show no date for pingbacks and trackbacks
    if rest:
        terms = "SELECT taxonomy, slug, name, parent_slug FROM terms WHERE taxonomy IN ('category', 'post_tag') ORDER BY 1, 2"
        assert rows(scraped, terms) == rows(wxr, terms)
        authors = {r[0] for r in rows(scraped, "SELECT wp_id FROM authors")}
        assert authors and authors <= {r[0] for r in rows(wxr, "SELECT wp_id FROM authors")}


@pytest.mark.parametrize("name, via", [("classic", "rest"), ("block", "html")])
def test_scrape_after_import_lands_on_the_same_rows(name, via, exported, web, tmp_path):
    url = web.url(name)
    conn = archive_of(tmp_path / "archive.db")
    run_import(conn, exported(name))
    before = {t: value(conn, f"SELECT count(*) FROM {t}") for t in ("sites", "posts", "comments", "terms")}
    ids = rows(conn, "SELECT id, wp_id FROM posts ORDER BY id")
    report = scrape(conn, url, via=via, fetcher=Fetcher(url, delay=0))
    assert report.error is None
    assert {t: value(conn, f"SELECT count(*) FROM {t}") for t in before} == before
    assert rows(conn, "SELECT id, wp_id FROM posts ORDER BY id") == ids
    assert value(conn, "SELECT count(*) FROM post_versions") == 0, "rendered text read the same: no new version"
    assert value(conn, "SELECT count(*) FROM posts WHERE source = 'wxr' AND status = 'draft'") >= 1


def test_discover_names_what_each_site_offers(web):
    from click.testing import CliRunner
    from importer.cli import cli

    classic, block, norest = (web.url(n) for n in ("classic", "block", "norest"))
    out = CliRunner().invoke(cli, ["discover", classic, "--delay", "0"]).output
    assert f"REST API: {classic}wp-json/" in out
    assert "REST API: http://127.0.0.1:8766/index.php?rest_route=/" in CliRunner().invoke(
        cli, ["discover", block, "--delay", "0"]).output
    assert "REST API: not found" in CliRunner().invoke(cli, ["discover", norest, "--delay", "0"]).output


def test_feed_paging_finds_every_published_post(exported, web, tmp_path):
    url = web.url("classic")
    wxr = archive_of(tmp_path / "wxr.db")
    run_import(wxr, exported("classic"))
    scraped = archive_of(tmp_path / "feed.db")
    report = scrape(scraped, url, via="feed", fetcher=Fetcher(url, delay=0))
    assert report.error is None
    published = "SELECT wp_id FROM posts WHERE type = 'post' AND status = 'publish' ORDER BY wp_id"
    assert rows(scraped, published) == rows(wxr, published)  # 10 to a feed page: ?paged= followed to the end


def test_scrape_command(web, tmp_path):
    from click.testing import CliRunner
    from importer.cli import cli

    url = web.url("classic")
    result = CliRunner().invoke(cli, ["scrape", url, "--db", str(tmp_path / "a.db"), "--delay", "0"])
    assert result.exit_code == 0, result.output
    assert f"{url}: via rest," in result.output and "posts                 26         0          0" in result.output
    budget = CliRunner().invoke(cli, ["scrape", url, "--db", str(tmp_path / "b.db"), "--delay", "0",
                                      "--max-requests", "5"])
    assert budget.exit_code == 1 and "--max-requests 5 reached" in budget.output
