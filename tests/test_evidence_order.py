"""The newest content wins: a row's current values come from the evidence with the latest
modified_gmt (else the export's date); older evidence only fills unknowns and is kept as a dated
version; the order exports are imported in does not matter, and re-reading changes nothing."""
import pytest

from conftest import comment, corpus_dir, item, rows, run_import, value, wxr, WXR_HEAD

OLDER = ("theme-unit-test-data.xml", "2015")         # both claim wpthemetestdata.wordpress.com, and post 163
NEWER = ("theme-test-64-block-test-data.xml", "2024")  # is a different post in each


def current(conn):
    return {
        "posts": rows(conn, "SELECT wp_id, type, status, title, content, excerpt, modified_gmt, parent_wp_id "
                            "FROM posts ORDER BY wp_id, id"),
        "comments": rows(conn, "SELECT wp_id, content, status, author_name FROM comments ORDER BY wp_id, id"),
        "terms": rows(conn, "SELECT taxonomy, slug, name, description FROM terms ORDER BY taxonomy, slug"),
        "postmeta": rows(conn, "SELECT p.wp_id, m.key, m.seq, m.value FROM postmeta m JOIN posts p ON p.id = m.post_id "
                               "ORDER BY 1, 2, 3"),
    }


def everything(conn):
    return {**current(conn), "post_versions": rows(conn, "SELECT * FROM post_versions ORDER BY id"),
            "comment_versions": rows(conn, "SELECT * FROM comment_versions ORDER BY id")}


@pytest.fixture
def exports():
    wxr_dir = corpus_dir() / "wxr"
    return wxr_dir / OLDER[0], wxr_dir / NEWER[0]


def test_the_order_of_two_exports_does_not_matter(exports, tmp_path):
    from importer import connect

    older, newer = exports
    forward, backward = connect(tmp_path / "forward.db"), connect(tmp_path / "backward.db")
    run_import(forward, older)
    run_import(forward, newer)
    run_import(backward, newer)
    [report] = run_import(backward, older)
    assert current(forward) == current(backward)
    assert report.counts["posts"]["updated"] < 20  # the older export only fills what the newer left unknown
    title = "SELECT title FROM posts WHERE wp_id = 163"
    assert value(forward, title) == value(backward, title)


def test_forced_rereads_change_nothing(exports, tmp_path):
    from importer import connect

    conn = connect(tmp_path / "archive.db")
    older, newer = exports
    run_import(conn, older)
    run_import(conn, newer)
    before = everything(conn)
    for path in (older, newer, older, newer):
        [report] = run_import(conn, path, force=True)
        assert report.counts["posts"]["updated"] == 0 and report.counts["comments"]["updated"] == 0, path.name
        assert everything(conn) == before, path.name


def test_an_older_export_after_a_newer_one_keeps_the_newer_text_and_a_dated_version(archive, write_wxr):
    newer_head = WXR_HEAD.replace("Mon, 02 Mar 2020", "Mon, 01 Jun 2020")
    newer = write_wxr(wxr(item(1, title="Second draft", extra=comment(9, content="Edited words")), item(2),
                          head=newer_head), "newer.xml")
    older = write_wxr(wxr(item(1, title="First draft", extra=comment(9, content="First words")), item(2)), "older.xml")
    run_import(archive, newer)
    [report] = run_import(archive, older)
    assert report.counts["posts"] == {"added": 0, "updated": 0, "unchanged": 2}
    assert value(archive, "SELECT title FROM posts WHERE wp_id = 1") == "Second draft"
    assert value(archive, "SELECT content FROM comments WHERE wp_id = 9") == "Edited words"
    assert rows(archive, "SELECT title, captured_at FROM post_versions") == [("First draft", "2020-03-02 10:00:00")]
    assert rows(archive, "SELECT content FROM comment_versions") == [("First words",)]
    [again] = run_import(archive, older, force=True)
    assert again.counts["posts"]["updated"] == 0
    assert value(archive, "SELECT count(*) FROM post_versions") == 1


def test_an_upgraded_archive_dates_replaced_text_by_its_own_time(tmp_path):
    """Migration 2 recreates the version triggers of archives made by 0.1.0."""
    import sqlite3
    from pathlib import Path

    from importer import connect

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript((Path(__file__).parent / "fixtures" / "archive-0.1.0.sql").read_text())
    old.close()
    conn = connect(path)
    post_id, modified = conn.execute("SELECT id, modified_gmt FROM posts WHERE modified_gmt IS NOT NULL "
                                     "ORDER BY id LIMIT 1").fetchone()
    conn.execute("UPDATE posts SET title = 'Changed' WHERE id = ?", (post_id,))
    assert rows(conn, "SELECT captured_at FROM post_versions WHERE post_id = ?", post_id) == [(modified,)]
