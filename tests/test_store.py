"""The store's promises that do not depend on a source: readers are never blocked by a writer,
and an unfinished write leaves nothing behind."""
import sqlite3

from conftest import comment, item, rows, run_import, value, wxr
from importer import connect
from importer.model import Post, Site
from importer.archive import Writer


def test_readers_see_the_last_commit_while_a_sync_writes(db_path, write_wxr):
    conn = connect(db_path)
    run_import(conn, write_wxr(wxr(item(1), item(2))))
    writer = Writer(conn, "http://fixture.example", None, source="rest")
    writer.write(Site(url="http://fixture.example"))
    for wp_id in range(10, 20):
        writer.write(Post(wp_id=wp_id, type="post", status="publish", title=f"new {wp_id}"))
    writer.flush()
    reader = sqlite3.connect(db_path, timeout=0.1)  # as Datasette would: no waiting for the writer
    assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert reader.execute("SELECT count(*) FROM posts").fetchone() == (2,)
    writer.finish()
    assert reader.execute("SELECT count(*) FROM posts").fetchone() == (12,)


def test_an_abandoned_write_leaves_nothing(db_path, write_wxr):
    conn = connect(db_path)
    run_import(conn, write_wxr(wxr(item(1))))
    writer = Writer(conn, "http://fixture.example", None, source="rest")
    writer.write(Site(url="http://fixture.example"))
    writer.write(Post(wp_id=5, type="post", title="half-written"))
    writer.flush()
    writer.abandon()
    assert value(conn, "SELECT count(*) FROM posts") == 1
    assert value(conn, "SELECT count(*) FROM import_runs") == 1


def test_a_row_given_twice_in_a_fresh_load_is_merged_and_the_rest_of_its_batch_kept(db_path, write_wxr):
    """A fresh archive takes rows with plain INSERTs; the duplicate hands the batch to the upsert."""
    conn = connect(db_path)
    [report] = run_import(conn, write_wxr(wxr(
        item(1, extra=comment(10) + comment(11) + comment(11, content="Edited") + comment(12, parent=11)),
        item(2, extra=comment(20)))))
    assert report.status == "imported"
    assert rows(conn, "SELECT c.wp_id, c.content, p.wp_id FROM comments c LEFT JOIN comments p "
                      "ON p.id = c.parent_id ORDER BY c.wp_id") == [
        (10, "Nice post", None), (11, "Edited", None), (12, "Nice post", 11), (20, "Nice post", None)]
    assert report.counts["comments"] == {"added": 4, "updated": 1, "unchanged": 0}
    assert value(conn, "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'edited'") == 1


def test_meta_of_a_fresh_load_hangs_off_its_own_post_and_comment(db_path, write_wxr):
    """Rows new to a fresh archive take consecutive ids; meta must follow the right ones."""
    def meta(kind, key, value):
        return (f"<wp:{kind}><wp:meta_key>{key}</wp:meta_key>"
                f"<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:{kind}>")

    def noted_comment(comment_id):
        return comment(comment_id).replace("</wp:comment>", meta("commentmeta", "note", f"c{comment_id}") + "</wp:comment>")

    items = [item(n, extra=meta("postmeta", "note", f"p{n}") + noted_comment(n * 10) + noted_comment(n * 10 + 1))
             for n in (3, 1, 2)]
    conn = connect(db_path)
    run_import(conn, write_wxr(wxr(*items)))
    assert rows(conn, "SELECT p.wp_id, m.value FROM postmeta m JOIN posts p ON p.id = m.post_id ORDER BY 1") == [
        (1, "p1"), (2, "p2"), (3, "p3")]
    assert rows(conn, "SELECT c.wp_id, m.value FROM commentmeta m JOIN comments c ON c.id = m.comment_id "
                      "ORDER BY 1") == [(n, f"c{n}") for n in (10, 11, 20, 21, 30, 31)]


def test_a_comment_before_its_parent_is_resolved_and_a_missing_parent_noted(db_path, write_wxr):
    conn = connect(db_path)
    [report] = run_import(conn, write_wxr(wxr(
        item(1, extra=comment(31, parent=32) + comment(32) + comment(33, parent=99)))))
    assert rows(conn, "SELECT c.wp_id, p.wp_id FROM comments c LEFT JOIN comments p ON p.id = c.parent_id "
                      "ORDER BY c.wp_id") == [(31, 32), (32, None), (33, None)]
    assert report.problems == 1
    assert value(conn, "SELECT problem FROM import_problems") == "1 comment parent id(s) point at rows not in the archive"


def test_search_index_of_a_large_fresh_load_matches_its_rows(db_path, write_wxr):
    """Search rows are written in bulk, a statement per FTS_BATCH posts and the rest at the end."""
    items = [item(n, title=f"Post number{n}", extra=comment(10_000 + n, content=f"Reply word{n}"))
             for n in range(1, 701)]
    conn = connect(db_path)
    run_import(conn, write_wxr(wxr(*items)))
    for table in ("posts_fts", "comments_fts"):
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")  # raises if it differs
    assert value(conn, "SELECT count(*) FROM posts_fts") == 700
    assert rows(conn, "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'number700'") == \
        rows(conn, "SELECT id FROM posts WHERE wp_id = 700")
    assert value(conn, "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'word513'") == 1
