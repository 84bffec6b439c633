"""The WXR import on small fixtures written here, one behaviour per test."""
import gzip
import zipfile

from conftest import comment, item, rows, run_import, value, wxr, WXR_HEAD

LATER_HEAD = WXR_HEAD.replace("Mon, 02 Mar 2020", "Tue, 03 Mar 2020")  # an export made a day later


def test_posts_comments_terms_and_authors_land_normalized(archive, write_wxr):
    text = wxr(
        "<wp:author><wp:author_id>7</wp:author_id><wp:author_login>admin</wp:author_login>"
        "<wp:author_email>a@example.org</wp:author_email><wp:author_display_name><![CDATA[Ann Admin]]>"
        "</wp:author_display_name></wp:author>",
        "<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>child</wp:category_nicename>"
        "<wp:category_parent>parent</wp:category_parent><wp:cat_name><![CDATA[Child]]></wp:cat_name></wp:category>",
        "<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename>parent</wp:category_nicename>"
        "<wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[Parent]]></wp:cat_name></wp:category>",
        item(11, extra='<category domain="category" nicename="child"><![CDATA[Child]]></category>'
             '<category domain="post_tag" nicename="new-tag"><![CDATA[New tag]]></category>'
             + comment(100) + comment(101, parent=100) + comment(102, approved="spam", comment_type="pingback")),
        item(12, post_type="page", parent=13),
        item(13, post_type="page"),
    )
    [report] = run_import(archive, write_wxr(text))
    assert report.status == "imported"
    assert rows(archive, "SELECT url, title FROM sites") == [("http://fixture.example", "Fixture Blog")]
    assert rows(archive, "SELECT wp_id, login, display_name FROM authors") == [(7, "admin", "Ann Admin")]
    post = rows(archive, "SELECT p.title, a.login, p.parent_id, p.date, p.date_gmt FROM posts p "
                         "JOIN authors a ON a.id = p.author_id WHERE p.wp_id = 11")
    assert post == [("A post", "admin", None, "2020-01-03 10:00:00", "2020-01-03 09:00:00")]
    assert rows(archive, "SELECT c.wp_id, p.wp_id FROM posts c JOIN posts p ON p.id = c.parent_id") == [(12, 13)]
    terms = rows(archive, "SELECT t.slug, p.slug FROM terms t LEFT JOIN terms p ON p.id = t.parent_id ORDER BY t.slug")
    assert terms == [("child", "parent"), ("new-tag", None), ("parent", None)]
    assert rows(archive, "SELECT t.slug FROM post_terms pt JOIN terms t ON t.id = pt.term_id ORDER BY 1") == [
        ("child",), ("new-tag",)]
    threads = rows(archive, "SELECT c.wp_id, p.wp_id, c.status, c.type, c.date_gmt FROM comments c "
                            "LEFT JOIN comments p ON p.id = c.parent_id ORDER BY c.wp_id")
    assert threads == [(100, None, "approved", "comment", None), (101, 100, "approved", "comment", None),
                       (102, None, "spam", "pingback", None)]


def test_every_foreign_key_points_at_a_row(archive, write_wxr):
    run_import(archive, write_wxr(wxr(item(1, extra=comment(5)), item(2, parent=1))))
    assert rows(archive, "PRAGMA foreign_key_check") == []


def test_reimport_is_unchanged_and_newer_export_updates_in_place(archive, write_wxr):
    first = write_wxr(wxr(item(1, title="Old title", extra=comment(9, content="First words")), item(2)), "a.xml")
    run_import(archive, first)
    ids = rows(archive, "SELECT id, wp_id FROM posts ORDER BY id")
    [again] = run_import(archive, first)
    assert again.status == "unchanged"
    newer = write_wxr(wxr(item(1, title="New title", extra=comment(9, content="Edited words")), item(2), item(3),
                          head=LATER_HEAD), "b.xml")
    [report] = run_import(archive, newer)
    assert report.counts["posts"] == {"added": 1, "updated": 1, "unchanged": 1}
    assert rows(archive, "SELECT id, wp_id FROM posts WHERE wp_id < 3 ORDER BY id") == ids
    assert value(archive, "SELECT title FROM posts WHERE wp_id = 1") == "New title"
    assert rows(archive, "SELECT title FROM post_versions") == [("Old title",)]
    assert rows(archive, "SELECT content FROM comment_versions") == [("First words",)]


def test_full_text_search_finds_posts_and_comments(archive, write_wxr):
    run_import(archive, write_wxr(wxr(item(1, content="<p>The <b>quokka</b> smiles</p>",
                                           extra=comment(4, content="Wombats are better")))))
    assert value(archive, "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'quokka'") == 1
    assert value(archive, "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'b'") == 0
    assert value(archive, "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'wombats'") == 1
    run_import(archive, write_wxr(wxr(item(1, content="<p>Now about a numbat</p>"), head=LATER_HEAD), "b.xml"))
    assert value(archive, "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'quokka'") == 0
    assert value(archive, "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'numbat'") == 1


def test_meta_values_are_byte_exact_and_repeated_keys_kept(archive, write_wxr):
    serialized = 'a:1:{s:4:"path";s:12:"C:\\\\x\\\\y\\r\\nz";}'
    meta = "".join(f"<wp:postmeta><wp:meta_key>{k}</wp:meta_key><wp:meta_value><![CDATA[{v}]]></wp:meta_value></wp:postmeta>"
                   for k, v in (("_data", serialized), ("_price", "1"), ("_price", "2")))
    run_import(archive, write_wxr(wxr(item(1, extra=meta))))
    assert rows(archive, "SELECT key, seq, value FROM postmeta ORDER BY key, seq") == [
        ("_data", 0, serialized), ("_price", 0, "1"), ("_price", 1, "2")]


def test_namespace_versions_and_https(archive, write_wxr):
    head = WXR_HEAD.replace("http://wordpress.org/export/1.2/", "https://wordpress.org/export/1.1/")
    run_import(archive, write_wxr(wxr(item(1), head=head)))
    assert value(archive, "SELECT count(*) FROM posts") == 1


def test_wxr_1_0_tags_and_plain_categories(archive, write_wxr):
    head = WXR_HEAD.replace("export/1.2/", "export/1.0/")
    categories = ('<category><![CDATA[News]]></category><category domain="category" nicename="news"><![CDATA[News]]>'
                  '</category><category domain="tag" nicename="cats"><![CDATA[Cats]]></category>'
                  '<category><![CDATA[Cats]]></category><category><![CDATA[Only Plain]]></category>')
    run_import(archive, write_wxr(wxr(item(1, extra=categories), head=head)))
    assert rows(archive, "SELECT taxonomy, slug FROM terms ORDER BY slug") == [
        ("post_tag", "cats"), ("category", "news"), ("category", "only-plain")]


def test_wordpress_com_quirks(archive, write_wxr):
    head = WXR_HEAD.replace("<channel>", '<channel><atom:link rel="search" href="http://x/osd.xml"/>')
    author = ("<wp:wp_author><wp:author_login>wpcom</wp:author_login><wp:author_display_name>WP Com"
              "</wp:author_display_name></wp:wp_author>")
    [report] = run_import(archive, write_wxr(wxr(author, item(1, creator="wpcom"), head=head)))
    assert report.status == "imported"
    assert rows(archive, "SELECT a.display_name FROM posts p JOIN authors a ON a.id = p.author_id") == [("WP Com",)]
    assert rows(archive, "SELECT problem FROM import_problems") == [
        ("namespace prefix atom: used but not declared",)]


def test_split_cdata_and_html_entities(archive, write_wxr):
    split = "<content:encoded><![CDATA[a ]]]]><![CDATA[> b]]></content:encoded>"
    text = wxr(item(1, title="Caf&eacute; &amp; bar&nbsp;&hellip;").replace(
        "<content:encoded><![CDATA[<p>Body</p>]]></content:encoded>", split))
    [report] = run_import(archive, write_wxr(text))
    assert rows(archive, "SELECT title, content FROM posts") == [("Café & bar\xa0…", "a ]]> b")]
    assert report.problems == 3


def test_authors_created_from_dc_creator(archive, write_wxr):
    run_import(archive, write_wxr(wxr(item(1, creator="ghost"), item(2, creator="ghost"))))
    assert rows(archive, "SELECT login FROM authors") == [("ghost",)]
    assert value(archive, "SELECT count(DISTINCT author_id) FROM posts") == 1


def test_gzip_zip_parts_and_directories_resolve_across_parts(archive, tmp_path):
    part1 = wxr(item(1, post_type="page", parent=2))
    part2 = wxr(item(2, post_type="page", extra=comment(8)))
    with zipfile.ZipFile(tmp_path / "site.zip", "w") as archive_zip:
        archive_zip.writestr("site.wordpress.2024-01-01.001.xml", part2)
        archive_zip.writestr("site.wordpress.2024-01-01.000.xml", part1)
    [report] = run_import(archive, tmp_path / "site.zip")
    assert [p.split("!")[1] for p in report.parts] == ["site.wordpress.2024-01-01.000.xml",
                                                       "site.wordpress.2024-01-01.001.xml"]
    assert rows(archive, "SELECT c.wp_id, p.wp_id FROM posts c JOIN posts p ON p.id = c.parent_id") == [(1, 2)]
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "more.xml.gz").write_bytes(gzip.compress(wxr(item(3)).encode()))
    [report] = run_import(archive, folder)
    assert report.status == "imported" and value(archive, "SELECT count(*) FROM posts") == 3
