"""Search in every language: words inside Japanese and Chinese text (the corpus's CJK exports), word
search without stemming elsewhere, phrases; the index kept by the bulk load, the triggers and
migration 4; Datasette's own search box (0.65 and 1.0) and the reader's search page."""
import random
import re
import sqlite3
import unicodedata
from contextlib import closing
from pathlib import Path

import pytest
import requests

from conftest import WXR_HEAD, comment, corpus_dir, corpus_stats, item, run_import, wxr
from datasette_server import DATASETTES, served
from importer import connect
from importer.archive.bulk import FTS_BATCH
from importer.archive.search_text import CJK_RUN, indexed, match_query, readable
from importer.serve.search import marked_html, results

TITLE = "コントローラーの役割とは"
SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "sample-blog.xml"
VERSION_3_FTS = """
CREATE VIRTUAL TABLE posts_fts USING fts5(title, content_text, excerpt, content='posts', content_rowid='id');
CREATE VIRTUAL TABLE comments_fts USING fts5(author_name, content_text, content='comments', content_rowid='id');
CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, content_text, excerpt ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, content_text, excerpt)
    VALUES ('delete', old.id, old.title, old.content_text, old.excerpt);
    INSERT INTO posts_fts (rowid, title, content_text, excerpt) VALUES (new.id, new.title, new.content_text, new.excerpt);
END;
"""
FIRST_MIGRATION_4 = """
CREATE VIEW posts_search_text AS
    SELECT id, wparchive_search_text(title) AS title, wparchive_search_text(content_text) AS content_text,
           wparchive_search_text(excerpt) AS excerpt FROM posts;
CREATE VIEW comments_search_text AS
    SELECT id, wparchive_search_text(author_name) AS author_name,
           wparchive_search_text(content_text) AS content_text FROM comments;
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, content_text, excerpt)
    VALUES (new.id, wparchive_search_text(new.title), wparchive_search_text(new.content_text),
            wparchive_search_text(new.excerpt));
END;
"""  # the views of migration 4 as it was first written (12:22-today), and one trigger of its very first form
HOSTILE_TEXT = '<img src=x onerror="window.__pwned=1"> 役割 <script>document.title="pwned"</script>'


def cjk_exports() -> list[Path]:
    return [corpus_dir() / entry["file"] for entry in corpus_stats() if "CJK" in entry.get("scripts", [])
            and entry.get("wellformed", True)]


@pytest.fixture(scope="module")
def corpus_archive(tmp_path_factory):
    exports = cjk_exports()
    if not exports:
        pytest.skip("the shared corpus is not here")
    path = tmp_path_factory.mktemp("search") / "archive.db"
    conn = connect(path)
    for export in [*exports, corpus_dir() / "wxr" / "theme-unit-test-data.xml"]:
        run_import(conn, export)
    conn.close()
    return path


@pytest.fixture
def conn(corpus_archive):
    conn = connect(corpus_archive)
    yield conn
    conn.close()


def post_hits(conn, query: str) -> set[int]:
    return {row[0] for row in conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?", (match_query(query),))}


def comment_hits(conn, query: str) -> set[int]:
    return {row[0] for row in conn.execute("SELECT rowid FROM comments_fts WHERE comments_fts MATCH ?",
                                           (match_query(query),))}


def post_texts(conn) -> dict[int, str]:
    return {row[0]: "\n".join(filter(None, row[1:])) for row in
            conn.execute("SELECT id, title, content_text, excerpt FROM posts")}


def test_the_title_in_the_issue_is_found_by_a_word_inside_it(conn):
    [post_id] = [row[0] for row in conn.execute("SELECT id FROM posts WHERE title = ?", (TITLE,))]
    for word in ("コントローラー", "役割", "とは"):
        assert post_id in post_hits(conn, word)
    assert post_id not in post_hits(conn, "ーラコ")  # the same letters, not as they stand


def test_every_cjk_word_of_two_letters_or_more_finds_exactly_the_posts_holding_it(conn):
    """Drawn from the CJK exports' own text: every hit holds the word, every post holding it is hit."""
    texts = post_texts(conn)
    runs = sorted({run for text in texts.values() for run in CJK_RUN.findall(text) if len(run) >= 2})
    assert len(runs) > 50
    rng = random.Random(15)
    words = set()
    for run in rng.sample(runs, 60):
        size = rng.randint(2, min(len(run), 6))
        start = rng.randint(0, len(run) - size)
        words.add(run[start:start + size])
    for word in sorted(words):
        assert post_hits(conn, word) == {post_id for post_id, text in texts.items() if word in text}, word


def test_chinese_text_is_searchable(conn):
    """The Hexo migrator's export carries Chinese; two-letter words inside its runs are found."""
    texts = post_texts(conn)
    chinese = [(post_id, run) for post_id, text in texts.items() for run in re.findall(r"[\u4e00-\u9fff]{3,}", text)
               if not re.search(r"[\u3040-\u30ff]", text)]
    assert chinese
    for post_id, run in chinese[:20]:
        assert post_id in post_hits(conn, run[1:3])


def tokens(text: str) -> list[str]:
    """Words as unicode61 sees them: letters and digits, case-folded, diacritics removed."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [word.casefold() for word in re.findall(r"[^\W_]+", plain)]


def test_words_elsewhere_match_whole_words_without_stemming(conn):
    texts = {post_id: tokens(text) for post_id, text in post_texts(conn).items()}
    english = sorted({w for words in texts.values() for w in words if w.isascii() and w.isalpha() and len(w) > 3})
    rng = random.Random(4)
    for word in rng.sample(english, 40):
        assert post_hits(conn, word) == {post_id for post_id, words in texts.items() if word in words}, word
    assert post_hits(conn, "comment") != post_hits(conn, "comments")  # no stemming
    assert post_hits(conn, "templat") == set()  # no prefix or substring matching


def test_a_phrase_matches_its_words_in_order(conn):
    texts = {post_id: " ".join(tokens(text)) for post_id, text in post_texts(conn).items()}
    for phrase in ("template comments", "comments template", "block quotes", "quotes block"):
        expected = {post_id for post_id, text in texts.items() if f" {phrase} " in f" {text} "}
        assert post_hits(conn, f'"{phrase}"') == expected, phrase
    japanese = post_hits(conn, '"MVCパターンのコントローラー"')
    assert japanese and japanese == post_hits(conn, "MVCパターンのコントローラー")


def test_comments_are_searched_too(conn):
    for comment_id, text in conn.execute("SELECT id, content_text FROM comments WHERE content_text IS NOT NULL"):
        for run in CJK_RUN.findall(text)[:3]:
            if len(run) >= 2:
                assert comment_id in comment_hits(conn, run[-2:])


@pytest.mark.parametrize("query", ['curlew', 'Curlew heron', '"estuary at dawn" tide', 'unbalanced "quote',
                                   'a-b c*d NEAR(x)', "naïve café"])
def test_the_search_box_is_unchanged_where_there_is_no_cjk(query):
    """Datasette's escape_fts, which the plugin replaces on an archive's connections, for the same input."""
    from datasette.utils import escape_fts
    assert match_query(query) == escape_fts(query)


def test_snippets_show_the_original_words_marked():
    derived = indexed("今回は、MVCパターンのコントローラーの役割（責務）")
    assert "".join(text for text, _ in readable(derived)) == "今回は、MVCパターンのコントローラーの役割（責務）"
    memory = sqlite3.connect(":memory:")
    memory.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    memory.execute("INSERT INTO t (x) VALUES (?)", (derived,))
    [snippet] = memory.execute("SELECT highlight(t, 0, char(2), char(3)) FROM t WHERE t MATCH ?",
                               (match_query("コントローラー"),)).fetchone()
    assert readable(snippet) == [("今回は、MVCパターンの", False), ("コントローラー", True), ("の役割（責務）", False)]


def test_a_snippet_of_hostile_text_is_escaped():
    html = marked_html(indexed(HOSTILE_TEXT).replace("役割", "\x02役割\x03"))
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=" in html and "<mark>役割</mark>" in html


def test_the_bulk_load_and_later_upserts_keep_the_index(tmp_path, write_wxr):
    """More posts than one index batch: the fresh load's batched indexing; then a changed title
    through the triggers, the old words gone from the index with it."""
    count = FTS_BATCH + 40
    conn = connect(tmp_path / "bulk.db")
    run_import(conn, write_wxr(wxr(*(item(n, title=f"記事{n}号 役割の話") for n in range(1, count + 1)))))
    assert len(post_hits(conn, "役割")) == count
    assert len(post_hits(conn, f"記事{count}号")) == 1
    later = WXR_HEAD.replace("Mon, 02 Mar 2020", "Mon, 09 Mar 2020")  # newer evidence replaces the title
    run_import(conn, write_wxr(wxr(item(count, title="コントローラーの話", extra=comment(9, content="コメントです")),
                                   head=later), name="changed.xml"))
    assert len(post_hits(conn, "役割")) == count - 1
    assert post_hits(conn, "コントローラー") == {conn.execute("SELECT id FROM posts WHERE wp_id = ?",
                                                             (count,)).fetchone()[0]}
    assert len(comment_hits(conn, "メン")) == 1
    conn.close()


def test_another_sqlite_client_can_write_and_the_index_catches_up(tmp_path, write_wxr):
    """The triggers are plain SQL: a client without wparchive's function writes; the next write
    through wparchive indexes what it changed, its old words taken out."""
    path = tmp_path / "archive.db"
    conn = connect(path)
    run_import(conn, write_wxr(wxr(item(1, title="Curlew at dawn"))))
    raw = sqlite3.connect(path)
    raw.execute("UPDATE posts SET title = ? WHERE wp_id = 1", (TITLE,))
    raw.commit()
    assert raw.execute("SELECT title FROM posts_fts").fetchall() == [(TITLE,)]  # read anywhere, in between too
    raw.close()
    assert post_hits(conn, "役割") == set()
    run_import(conn, write_wxr(wxr(item(2, title="Heron")), name="more.xml"))
    assert len(post_hits(conn, "役割")) == len(post_hits(conn, "heron")) == 1
    assert post_hits(conn, "curlew") == set()
    assert conn.execute("SELECT count(*) FROM posts_search_queue").fetchone()[0] == 0
    conn.close()
    with closing(plain(path)) as other:
        other.execute("INSERT INTO posts_fts (posts_fts, rank) VALUES ('integrity-check', 1)")


def older_archive(path: Path) -> Path:
    """An archive of the sample at schema version 3: the index of the words as unicode61 splits them."""
    conn = connect(path)
    run_import(conn, SAMPLE)
    for table in ("posts", "comments"):
        for event in ("insert", "delete", "update"):
            conn.execute(f"DROP TRIGGER {table}_fts_{event}")
        conn.execute(f"DROP TABLE {table}_fts")
        conn.execute(f"DROP VIEW {table}_search_text")
    conn.execute("DELETE FROM schema_migrations WHERE id >= 4")
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    old = sqlite3.connect(path)
    old.executescript(VERSION_3_FTS)
    old.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')")
    old.execute("UPDATE posts SET title = ? WHERE id = (SELECT min(id) FROM posts)", (TITLE,))  # old triggers
    old.commit()
    old.close()
    return path


def test_migration_4_rebuilds_the_index_of_an_older_archive(tmp_path):
    path = older_archive(tmp_path / "old.db")
    old = sqlite3.connect(path)
    assert old.execute("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?",
                       (match_query("役割"),)).fetchone()[0] == 0  # one token for the whole run
    old.close()
    conn = connect(path)
    assert len(post_hits(conn, "役割")) == 1
    assert post_hits(conn, "curlew")  # the English words kept
    assert conn.execute("SELECT name FROM schema_migrations WHERE id = 4").fetchone() == ("search_every_language",)
    conn.close()


def plain(path: Path) -> sqlite3.Connection:
    """Another SQLite client: nothing of wparchive's registered."""
    return sqlite3.connect(path)


def pairs(word: str) -> str:
    """A CJK word as a user of another client types it: the phrase of its pairs (README, Search)."""
    return '"' + " ".join(word[i:i + 2] for i in range(len(word) - 1)) + '"'


def test_any_sqlite_client_reads_counts_and_matches_the_index(corpus_archive, conn):
    with closing(plain(corpus_archive)) as other:
        for table, source in (("posts_fts", "posts"), ("comments_fts", "comments")):
            assert other.execute(f"SELECT count(*) FROM {table}").fetchone() == \
                other.execute(f"SELECT count(*) FROM {source}").fetchone()
            other.execute(f"SELECT * FROM {table} LIMIT 5").fetchall()
            other.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")  # index = text
        hits = {row[0] for row in other.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?",
                                                (pairs("コントローラー"),))}
        assert hits == post_hits(conn, "コントローラー") and hits
        [marked] = other.execute("SELECT highlight(posts_fts, 0, char(2), char(3)) FROM posts p JOIN posts_fts "
                                 "ON posts_fts.rowid = p.id WHERE posts_fts MATCH ? AND p.title = ?",
                                 (pairs("役割"), TITLE)).fetchone()
        assert marked_html(marked) == "コントローラーの<mark>役割</mark>とは"


def test_only_the_rows_holding_cjk_store_their_derived_text(conn):
    for table, columns in (("posts", ("title", "content_text", "excerpt")), ("comments", ("author_name", "content_text"))):
        rows = conn.execute(f"SELECT id, {', '.join(columns)} FROM {table}").fetchall()
        with_cjk = {row[0] for row in rows if any(text and CJK_RUN.search(text) for text in row[1:])}
        stored = dict((row[0], row[1:]) for row in conn.execute(f"SELECT * FROM {table}_search_text_cjk"))
        assert set(stored) == with_cjk and with_cjk
        for row in rows:
            if row[0] in stored:  # NULL where the derived text is the row's own
                assert [text or own for own, text in zip(row[1:], stored[row[0]])] == [indexed(own) for own in row[1:]]


def archive_of_the_first_migration_4(path: Path, write_wxr) -> Path:
    conn = connect(path)
    run_import(conn, write_wxr(wxr(item(1, title=TITLE), item(2, title="Curlew", extra=comment(3, content="役割です")))))
    for table in ("posts", "comments"):
        conn.execute(f"DROP VIEW {table}_search_text")
        conn.execute(f"DROP TABLE {table}_search_text_cjk")
    conn.execute("DROP TRIGGER posts_fts_insert")
    conn.executescript(FIRST_MIGRATION_4)
    conn.execute("DELETE FROM schema_migrations WHERE id >= 7")
    conn.execute("PRAGMA user_version = 6")
    conn.close()
    return path


def test_migration_7_makes_an_archive_of_the_first_migration_4_readable_anywhere(tmp_path, write_wxr):
    path = archive_of_the_first_migration_4(tmp_path / "first.db", write_wxr)
    with closing(plain(path)) as other, pytest.raises(sqlite3.OperationalError, match="no such function"):
        other.execute("SELECT count(*) FROM posts_fts").fetchone()
    conn = connect(path)
    assert conn.execute("SELECT name FROM schema_migrations WHERE id = 7").fetchone() == ("search_text_stored",)
    assert len(post_hits(conn, "役割")) == len(comment_hits(conn, "役割")) == len(post_hits(conn, "curlew")) == 1
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE sql LIKE '%wparchive_search_text(%'").fetchall()
    conn.close()
    with closing(plain(path)) as other:
        assert other.execute("SELECT count(*) FROM posts_fts").fetchone() == (2,)
        other.execute("INSERT INTO comments_fts (comments_fts, rank) VALUES ('integrity-check', 1)")
        assert other.execute("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?", (pairs("役割"),)).fetchone() == (1,)


def test_the_search_page_results_link_to_the_reader(conn):
    found = results(conn, "役割", 1)
    [post] = [hit for hit in found["posts"] if hit["title"] == TITLE]
    assert "<mark>役割</mark>" in marked_html(post["title_marked"])
    assert found["comments"] and all("役割" in "".join(t for t, _ in readable(hit["snippet"])) for hit in found["comments"])


@pytest.fixture(scope="module", params=DATASETTES)
def server(request, corpus_archive):
    with served(request.param, corpus_archive) as base:
        yield base


def box(base: str, table: str, **params) -> list[dict]:
    response = requests.get(f"{base}/archive/{table}.json", params={**params, "_shape": "array"}, timeout=10)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_datasettes_search_box_finds_words_inside_cjk_text(server):
    assert TITLE in [row["title"] for row in box(server, "posts", _search="コントローラー")]
    assert TITLE in [row["title"] for row in box(server, "posts", _search_title="役割")]
    assert box(server, "posts", _search="ーラコ") == []
    assert box(server, "comments", _search="役割")
    assert {row["title"] for row in box(server, "posts", _search='"Template: Comments"')} >= {"Template: Comments"}


def test_the_search_page_lists_marked_hits(server):
    page = requests.get(f"{server}/-/wparchive/search", params={"q": "コントローラー"}, timeout=10)
    assert page.status_code == 200
    assert re.search(r'<a class="result-link" href="/-/wparchive/posts/\d+">'
                     r"<mark>コントローラー</mark>の役割とは</a>", page.text)


def test_a_protected_or_unpublished_post_and_its_comments_stay_out_of_the_search_page(tmp_path, write_wxr):
    """WordPress's search shows a visitor neither a password-protected post nor a draft; the
    archive's search page does the same, and keeps their comments out too."""
    protected = item(1, title="Locked heron", content="<p>secret heron</p>",
                     extra=comment(1, content="secret heron comment")).replace(
        "<wp:post_password></wp:post_password>", "<wp:post_password>pw</wp:post_password>")
    draft = item(2, title="Draft heron", status="draft", extra=comment(2, content="draft heron comment"))
    public = item(3, title="Public heron", extra=comment(3, content="public heron comment"))
    conn = connect(tmp_path / "protected.db")
    run_import(conn, write_wxr(wxr(protected, draft, public)))
    found = results(conn, "heron", 1)
    assert [row["title"] for row in found["posts"]] == ["Public heron"]
    assert [row["post_title"] for row in found["comments"]] == ["Public heron"]
    assert len(post_hits(conn, "heron")) == 3  # the index holds them all: only the page leaves them out
    conn.close()
