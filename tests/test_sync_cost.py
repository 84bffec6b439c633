"""What a re-sync costs and what a scrape keeps, against the real test WordPress: an unchanged
blog is known unchanged from one conditional GET of its comments feed (WordPress dates it by the
last modified post and the last comment), and a scrape of pages keeps what themes hide."""
import html

import pytest

from conftest import exported, rows, run_import
from importer import connect
from importer.jobs.scrape import scrape
from importer.jobs.sync import sync_site
from importer.web.fetcher import Fetcher


def last_sync(conn):
    return conn.execute("SELECT requests, added, updated, error FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()


@pytest.mark.parametrize("name, most", [("classic", 3), ("norest", 2)])
def test_an_unchanged_blog_costs_at_most_three_requests(web, tmp_path, name, most):
    url = web.url(name)
    conn = connect(tmp_path / "archive.db")
    first = scrape(conn, url, fetcher=Fetcher(url, delay=0))
    assert first.error is None
    for _ in range(2):  # the first sync may learn validators; the second must be cheap
        report = sync_site(conn, 1, url, Fetcher(url, delay=0))
        assert report.error is None
    requests, added, updated, error = last_sync(conn)
    assert error is None and (added, updated) == (0, 0)
    assert requests <= most < first.requests
    posts = report.counts.get("posts", {})
    assert posts.get("updated", 0) == 0


@pytest.mark.parametrize("name", ["classic", "block"])
def test_pages_keep_pingback_dates_categories_and_decoded_names(web, tmp_path, name):
    url = web.url(name)
    wxr = connect(tmp_path / "wxr.db")
    run_import(wxr, exported(web.mode, name, tmp_path / f"{name}.xml"))
    scraped = connect(tmp_path / "scraped.db")
    assert scrape(scraped, url, via="html", fetcher=Fetcher(url, delay=0)).error is None
    pings = "SELECT wp_id, author_name, date_gmt FROM comments WHERE type IN ('pingback', 'trackback') ORDER BY wp_id"
    want = [(i, html.unescape(author), date) for i, author, date in rows(wxr, pings)]
    assert want and rows(scraped, pings) == want
    open_posts = {r[0] for r in rows(wxr, "SELECT wp_id FROM posts WHERE type = 'post' AND status = 'publish' "
                                         "AND coalesce(password, '') = ''")}  # the export knows passwords
    categories = ("SELECT p.wp_id, t.slug FROM post_terms pt JOIN posts p ON p.id = pt.post_id "
                  "JOIN terms t ON t.id = pt.term_id WHERE t.taxonomy = 'category' ORDER BY 1, 2")
    want = [row for row in rows(wxr, categories) if row[0] in open_posts]
    assert len(want) > 10 and [row for row in rows(scraped, categories) if row[0] in open_posts] == want
