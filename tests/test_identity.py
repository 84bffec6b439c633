"""DESIGN.md's identity rule across sources: a row first known by URL or guid (a feed item) adopts
the WordPress id when a later source (REST) reveals it — one row per post, keeping its archive id."""
from conftest import rows, value
from importer import connect
from importer.jobs.scrape import scrape
from importer.web.fetcher import Fetcher


def test_feed_rows_adopt_the_ids_rest_reveals(web, tmp_path):
    url = web.url("classic")
    conn = connect(tmp_path / "archive.db")
    fed = scrape(conn, url, via="feed", fetcher=Fetcher(url, delay=0), pages=False)
    assert fed.error is None and fed.counts["posts"]["added"] > 10
    by_url = dict(rows(conn, "SELECT url, id FROM posts WHERE wp_id IS NULL"))
    assert len(by_url) == fed.counts["posts"]["added"]  # the feed shows no post ids

    revealed = scrape(conn, url, via="rest", fetcher=Fetcher(url, delay=0), pages=False)
    assert revealed.error is None
    after = {u.lower(): (row_id, wp_id) for u, row_id, wp_id in rows(conn, "SELECT url, id, wp_id FROM posts")}
    for link, row_id in by_url.items():
        kept_id, wp_id = after[link.lower()]
        assert kept_id == row_id and wp_id is not None, link  # same row, now with its WordPress id
    assert value(conn, "SELECT count(*) FROM posts WHERE wp_id IS NULL") == 0
    assert value(conn, "SELECT count(*) FROM (SELECT url FROM posts GROUP BY lower(url) HAVING count(*) > 1)") == 0


def test_pages_of_a_feed_scrape_adopt_their_ids_in_the_same_run(web, tmp_path):
    url = web.url("classic")
    conn = connect(tmp_path / "archive.db")
    report = scrape(conn, url, via="feed", fetcher=Fetcher(url, delay=0))
    assert report.error is None
    assert value(conn, "SELECT count(*) FROM posts WHERE wp_id IS NULL") == 0
    assert value(conn, "SELECT count(*) FROM posts") == report.counts["posts"]["added"]
