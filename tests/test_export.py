"""`wparchive export` on fixtures and on the shared corpus: what WordPress's importer needs (its
parser's own reads: the SimpleXML parser is the one it uses), byte-exact meta, the parts, the
report and the command's errors. The round trips through the real importer are in
test_export_roundtrip.py."""
import subprocess
import sys

import pytest
from lxml import etree

from conftest import comment, corpus_dir, corpus_stats, item, run_import, value, wxr
from importer import connect
from importer.exports.wxr import Options
from importer.jobs.export import export_archive

WP = "{http://wordpress.org/export/1.2/}"
DC = "{http://purl.org/dc/elements/1.1/}creator"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
STATS_FILES = [s["file"] for s in corpus_stats()] or ["(corpus missing)"]


def wparchive(*args):
    return subprocess.run([sys.executable, "-m", "importer", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def archive_of(tmp_path, *parts, name="a.db"):
    db = tmp_path / name
    source = tmp_path / f"{name}.xml"
    source.write_text(wxr(*parts), encoding="utf-8")
    conn = connect(db)
    run_import(conn, source)
    conn.close()
    return db


def exported(db, path, **options):
    report = export_archive(db, output=path, options=Options(**options))
    return report, etree.parse(str(path)).getroot()


def stored(db, sql):
    """One value read from an archive file."""
    conn = connect(db)
    try:
        return value(conn, sql)
    finally:
        conn.close()


def meta(key, value_xml):
    return f"<wp:postmeta><wp:meta_key>{key}</wp:meta_key><wp:meta_value>{value_xml}</wp:meta_value></wp:postmeta>"


def test_meta_with_carriage_returns_survives_byte_for_byte(tmp_path):
    serialized = 'a:1:{s:4:"note";s:9:"one\r\ntwo\r";}'
    db = archive_of(tmp_path, item(1, extra=meta("_note", serialized.replace("\r", "&#13;"))))
    assert stored(db, "SELECT value FROM postmeta WHERE key = '_note'") == serialized
    out = tmp_path / "out.xml"
    _, root = exported(db, out)
    assert b"&#13;" in out.read_bytes()
    [node] = root.iter(WP + "meta_value")
    assert node.text == serialized  # what SimpleXML's (string) gives WordPress's maybe_unserialize
    again = tmp_path / "b.db"
    conn = connect(again)
    run_import(conn, out)
    conn.close()
    assert stored(again, "SELECT value FROM postmeta WHERE key = '_note'") == serialized


def test_cdata_end_in_content_is_split_across_sections(tmp_path):
    body = "<p>x]]>y</p><p>[1]</p>]]>"
    db = archive_of(tmp_path, item(1, content="<p>x]]]]><![CDATA[>y</p><p>[1]</p>]]]]><![CDATA[>"))
    assert stored(db, "SELECT content FROM posts") == body
    out = tmp_path / "out.xml"
    _, root = exported(db, out)
    assert b"]]]]><![CDATA[>" in out.read_bytes()
    assert root.find(f"channel/item/{CONTENT}").text == body


def test_characters_xml_forbids_are_removed_and_each_reported(tmp_path):
    db = archive_of(tmp_path, item(7, title="Fine"))
    conn = connect(db)
    conn.execute("UPDATE posts SET content = 'bell\x07 and \x01\x01 nul-free'")
    conn.commit()
    conn.close()
    out = tmp_path / "out.xml"
    report, root = exported(db, out)
    assert root.find(f"channel/item/{CONTENT}").text == "bell and  nul-free"
    assert sorted((r.where, r.field, r.char, r.count) for r in report.removed) == [
        ("post 7", "content", "U+0001", 2), ("post 7", "content", "U+0007", 1)]
    done = wparchive("export", "--db", db, "-o", tmp_path / "cli.xml")
    assert done.returncode == 1
    assert "removed 2 × U+0001 (not allowed in XML) from post 7 content" in done.stderr


def test_authors_come_first_with_logins_that_the_items_name(tmp_path):
    db = archive_of(tmp_path, item(1, creator="jane"), item(2, creator="admin"))
    conn = connect(db)
    # a scraped author known only by display name and nicename, and another whose nicename is taken
    site = value(conn, "SELECT id FROM sites")
    conn.execute("INSERT INTO authors (site_id, wp_id, display_name, nicename) VALUES (?, 9, 'Zoë Ørsted', NULL)",
                 (site,))
    conn.execute("INSERT INTO authors (site_id, wp_id, display_name, nicename) VALUES (?, 10, 'Jane', 'jane')",
                 (site,))
    zoe = value(conn, "SELECT id FROM authors WHERE wp_id = 9")
    conn.execute("UPDATE posts SET author_id = ?, author_login = NULL WHERE wp_id = 2", (zoe,))
    conn.commit()
    conn.close()
    _, root = exported(db, tmp_path / "out.xml")
    channel = root.find("channel")
    tags = [child.tag for child in channel if isinstance(child.tag, str)]
    assert tags.index(WP + "author") < tags.index("item")
    logins = [a.findtext(WP + "author_login") for a in channel.iter(WP + "author")]
    assert sorted(logins) == logins and len(set(l.lower() for l in logins)) == len(logins)
    assert {"jane", "jane-2", "zoe-orsted"} <= set(logins)
    creators = {i.findtext(f"{WP}post_id"): i.findtext(DC) for i in channel.iter("item")}
    assert creators == {"1": "jane", "2": "zoe-orsted"}
    assert set(creators.values()) <= set(logins)


def test_terms_parents_before_children_and_menu_items_with_their_menu(tmp_path):
    terms = ("<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>child</wp:category_nicename>"
             "<wp:category_parent>parent</wp:category_parent><wp:cat_name>Child</wp:cat_name></wp:category>"
             "<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename>parent</wp:category_nicename>"
             "<wp:category_parent>grand</wp:category_parent><wp:cat_name>Parent</wp:cat_name></wp:category>"
             "<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename>grand</wp:category_nicename>"
             "<wp:category_parent></wp:category_parent><wp:cat_name>Grand</wp:cat_name></wp:category>"
             "<wp:term><wp:term_id>5</wp:term_id><wp:term_taxonomy>nav_menu</wp:term_taxonomy>"
             "<wp:term_slug>main</wp:term_slug><wp:term_name>Main</wp:term_name>"
             "<wp:termmeta><wp:meta_key>k</wp:meta_key><wp:meta_value>v&#13;</wp:meta_value></wp:termmeta></wp:term>")
    menu_item = item(9, post_type="nav_menu_item", extra='<category domain="nav_menu" nicename="main">Main</category>'
                     + meta("_menu_item_type", "custom") + meta("_menu_item_url", "http://x.example/"))
    db = archive_of(tmp_path, terms, item(1), menu_item)
    _, root = exported(db, tmp_path / "out.xml")
    channel = root.find("channel")
    cats = [c.findtext(WP + "category_nicename") for c in channel.iter(WP + "category")]
    assert cats.index("grand") < cats.index("parent") < cats.index("child")
    parents = {c.findtext(WP + "category_nicename"): c.findtext(WP + "category_parent") or ""
               for c in channel.iter(WP + "category")}
    assert parents == {"grand": "", "parent": "grand", "child": "parent"}
    [menu] = channel.iter(WP + "term")
    assert (menu.findtext(WP + "term_taxonomy"), menu.findtext(WP + "term_slug")) == ("nav_menu", "main")
    assert menu.find(f"{WP}termmeta/{WP}meta_value").text == "v\r"
    [nav] = [i for i in channel.iter("item") if i.findtext(WP + "post_type") == "nav_menu_item"]
    assert [(c.get("domain"), c.get("nicename")) for c in nav.iter("category")] == [("nav_menu", "main")]


def test_comments_come_parents_first(tmp_path):
    db = archive_of(tmp_path, item(1, extra=comment(5, parent=8) + comment(8, parent=0) + comment(3, parent=5)))
    _, root = exported(db, tmp_path / "out.xml")
    found = [(c.findtext(WP + "comment_id"), c.findtext(WP + "comment_parent")) for c in root.iter(WP + "comment")]
    assert found == [("8", "0"), ("5", "8"), ("3", "5")]


def test_deleted_rows_only_with_the_flag_and_statuses_filtered(tmp_path):
    db = archive_of(tmp_path, item(1, extra=comment(1) + comment(2)), item(2, status="draft"), item(3))
    conn = connect(db)
    conn.execute("UPDATE posts SET deleted_at = '2024-01-01 00:00:00' WHERE wp_id = 3")
    conn.execute("UPDATE comments SET deleted_at = '2024-01-01 00:00:00' WHERE wp_id = 2")
    conn.commit()
    conn.close()

    def ids(root):
        return ([i.findtext(WP + "post_id") for i in root.iter("item")],
                [c.findtext(WP + "comment_id") for c in root.iter(WP + "comment")])
    assert ids(exported(db, tmp_path / "a.xml")[1]) == (["1", "2"], ["1"])
    assert ids(exported(db, tmp_path / "b.xml", include_deleted=True)[1]) == (["1", "2", "3"], ["1", "2"])
    assert ids(exported(db, tmp_path / "c.xml", statuses=("publish",))[1]) == (["1"], ["1"])


def test_a_large_site_is_split_into_numbered_parts_with_terms_and_authors_in_the_first(tmp_path):
    terms = "<wp:category><wp:category_nicename>news</wp:category_nicename><wp:cat_name>News</wp:cat_name></wp:category>"
    author = "<wp:author><wp:author_login>admin</wp:author_login></wp:author>"
    db = archive_of(tmp_path, author, terms, *(item(n, content="<p>" + "words " * 400 + "</p>") for n in range(1, 31)))
    done = wparchive("export", "--db", db, "--out", tmp_path / "out", "--max-file-size", "10KB", "-q")
    assert done.returncode == 0, done.stderr
    parts = sorted((tmp_path / "out").iterdir())
    assert len(parts) > 2 and [p.name.rsplit(".", 2)[1] for p in parts] == [f"{n:03d}" for n in range(1, len(parts) + 1)]
    seen = []
    for n, part in enumerate(parts):
        root = etree.parse(str(part)).getroot()
        channel = root.find("channel")
        assert channel.findtext(WP + "wxr_version") == "1.2"
        assert (len(channel.findall(WP + "author")), len(channel.findall(WP + "category"))) == ((1, 1) if n == 0 else (0, 0))
        items = channel.findall("item")
        assert items
        if len(items) > 1:
            assert part.stat().st_size - len(etree.tostring(items[-1])) < 10_000 + 2_000
        seen += [i.findtext(WP + "post_id") for i in items]
    assert seen == [str(n) for n in range(1, 31)]


def test_command_errors_are_one_line(tmp_path):
    missing = wparchive("export", "--db", tmp_path / "none.db", "-o", tmp_path / "x.xml")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "none.db" in missing.stderr
    both = wparchive("export", "--db", tmp_path / "none.db")
    assert both.returncode == 2 and "-o FILE.xml or --out DIR" in both.stderr
    db = archive_of(tmp_path, item(1))
    unknown = wparchive("export", "--db", db, "--site", "http://elsewhere.example", "-o", tmp_path / "x.xml")
    assert unknown.returncode == 2 and "no site http://elsewhere.example" in unknown.stderr
    folder = wparchive("export", "--db", db, "-o", tmp_path / "no" / "such" / "x.xml")
    assert folder.returncode == 2 and "no such folder" in folder.stderr and "Traceback" not in folder.stderr
    size = wparchive("export", "--db", db, "-o", tmp_path / "x.xml", "--max-file-size", "big")
    assert size.returncode == 2 and "is not a size" in size.stderr


def test_several_sites_need_a_folder_or_a_site(tmp_path):
    db = archive_of(tmp_path, item(1))
    other = tmp_path / "other.xml"
    other.write_text(wxr(item(1)).replace("fixture.example", "other.example"), encoding="utf-8")
    conn = connect(db)
    run_import(conn, other)
    conn.close()
    one = wparchive("export", "--db", db, "-o", tmp_path / "x.xml")
    assert one.returncode == 2 and "2 sites" in one.stderr
    done = wparchive("export", "--db", db, "--out", tmp_path / "all", "-q")
    assert done.returncode == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["fixture.example.xml", "other.example.xml"]
    site = wparchive("export", "--db", db, "--site", "http://other.example/", "-o", tmp_path / "o.xml", "-q")
    assert site.returncode == 0
    assert etree.parse(str(tmp_path / "o.xml")).getroot().findtext("channel/link") == "http://other.example"


@pytest.mark.parametrize("name", STATS_FILES)
def test_every_corpus_export_exports_again_as_wxr_that_reads_back(name, tmp_path):
    path = corpus_dir() / name
    db = tmp_path / "a.db"
    conn = connect(db)
    [imported] = run_import(conn, path)
    sites = value(conn, "SELECT count(*) FROM sites")
    conn.close()
    if imported.status == "failed" or not sites:
        pytest.skip(f"{name} does not import ({imported.error})")
    report = export_archive(db, out_dir=tmp_path / "out")
    for site in report.sites:
        for part in site.paths:
            etree.parse(str(part), etree.XMLParser(resolve_entities=False))  # strict: no recovery
    again = tmp_path / "b.db"
    conn = connect(again)
    for site in report.sites:
        for part in site.paths:
            [back] = run_import(conn, part)
            assert back.status == "imported", back.error
            # nothing wrong that the original did not have (a parent the export never held, say)
            assert back.problems <= imported.problems, conn.execute("SELECT problem FROM import_problems").fetchall()
    assert value(conn, "SELECT count(*) FROM posts") == sum(s.counts["posts"] for s in report.sites)
    assert value(conn, "SELECT count(*) FROM comments") == sum(s.counts["comments"] for s in report.sites)
    conn.close()


def test_the_command_as_a_new_user_meets_it(tmp_path):
    db = archive_of(tmp_path, item(1))
    unknown = wparchive("export", "--db", db, "--site", "http://elsewhere.example", "-o", tmp_path / "x.xml")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "its sites: http://fixture.example" in unknown.stderr
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    refused = wparchive("export", "--db", empty, "-o", tmp_path / "x.xml")
    assert refused.returncode == 2 and "not an archive" in refused.stderr and "Traceback" not in refused.stderr
    typo = wparchive("export", "--db", db, "-o", tmp_path / "x.xml", "--status", "publish,publsh")
    assert typo.returncode == 2 and "no such status publsh" in typo.stderr and not (tmp_path / "x.xml").exists()
    conn = connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    newer = wparchive("export", "--db", db, "-o", tmp_path / "x.xml")
    assert newer.returncode == 2 and "newer than this wparchive" in newer.stderr


def test_an_interrupted_export_leaves_no_file_under_its_name(tmp_path):
    db = archive_of(tmp_path, *(item(n) for n in range(1, 6)))
    out = tmp_path / "out.xml"
    out.write_text("the previous export", encoding="utf-8")

    def progress(label, total):
        def advance(n):
            raise KeyboardInterrupt
        return advance
    with pytest.raises(KeyboardInterrupt):
        export_archive(db, output=out, options=Options(), progress=progress)
    assert out.read_text(encoding="utf-8") == "the previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_a_re_export_in_fewer_parts_leaves_no_stale_parts(tmp_path):
    db = archive_of(tmp_path, *(item(n, content="x" * 3000) for n in range(1, 31)))
    export_archive(db, output=tmp_path / "s.xml", options=Options(max_bytes=20_000))
    assert (tmp_path / "s.003.xml").exists() and not (tmp_path / "s.xml").exists()
    export_archive(db, output=tmp_path / "s.xml", options=Options(max_bytes=0))
    assert sorted(p.name for p in tmp_path.glob("s*.xml")) == ["s.xml"]


def test_wparchives_own_meta_stays_in_the_archive(tmp_path):
    db = archive_of(tmp_path, item(1, extra=meta("_thumbnail_id", "7")))
    conn = connect(db)
    conn.execute("INSERT INTO postmeta (post_id, key, value, seq) SELECT id, '_wparchive_og_image', "
                 "'http://fixture.example/og.jpg', 0 FROM posts")
    conn.commit()
    conn.close()
    _, root = exported(db, tmp_path / "out.xml")
    assert [k.text for k in root.iter(WP + "meta_key")] == ["_thumbnail_id"]


def test_a_comment_by_an_author_without_a_wordpress_id_keeps_its_user(tmp_path):
    """WordPress's importer maps comment_user_id through wp:author_id: an author a scrape found
    without a user id gets one, and the comments they wrote name it."""
    db = archive_of(tmp_path, item(1, extra=comment(5)))
    conn = connect(db)
    site = value(conn, "SELECT id FROM sites")
    highest = value(conn, "SELECT ifnull(max(wp_id), 0) FROM authors")
    conn.execute("INSERT INTO authors (site_id, wp_id, display_name, nicename) VALUES (?, NULL, 'Ann Author', 'ann')",
                 (site,))
    conn.execute("UPDATE comments SET user_id = (SELECT id FROM authors WHERE nicename = 'ann'), user_wp_id = NULL")
    conn.commit()
    conn.close()
    _, root = exported(db, tmp_path / "out.xml")
    ids = {a.findtext(WP + "author_login"): a.findtext(WP + "author_id") for a in root.iter(WP + "author")}
    assert int(ids["ann"]) > highest and len(set(ids.values())) == len(ids)
    assert root.find(f"channel/item/{WP}comment").findtext(WP + "comment_user_id") == ids["ann"]


def test_a_row_dated_one_way_gets_the_other_date_by_the_sites_offset(tmp_path):
    """A scrape dates pingbacks in GMT only and some pages in local time only; WordPress would show
    a zero local date, or date the post by the new site's timezone. Drafts keep a zero GMT date."""
    db = archive_of(tmp_path, item(1, extra=comment(5, comment_type="pingback")), item(2), item(3, status="draft"),
                    item(4))  # the fixture's posts are dated an hour ahead of GMT
    conn = connect(db)
    conn.execute("UPDATE comments SET date = NULL, date_gmt = '2020-01-05 09:00:00'")
    conn.execute("UPDATE posts SET date_gmt = NULL, modified_gmt = NULL WHERE wp_id IN (2, 3)")
    conn.commit()
    conn.close()
    _, root = exported(db, tmp_path / "out.xml")
    items = {i.findtext(WP + "post_id"): i for i in root.iter("item")}
    ping = items["1"].find(WP + "comment")
    assert (ping.findtext(WP + "comment_date"), ping.findtext(WP + "comment_date_gmt")) == \
        ("2020-01-05 10:00:00", "2020-01-05 09:00:00")
    assert items["2"].findtext(WP + "post_date_gmt") == "2020-01-03 09:00:00"
    assert items["2"].findtext("pubDate") == "Fri, 03 Jan 2020 09:00:00 +0000"
    assert items["3"].findtext(WP + "post_date_gmt") == "0000-00-00 00:00:00"


def test_the_progress_bar_is_as_long_as_what_is_exported(tmp_path):
    db = archive_of(tmp_path, item(1), item(2, status="draft"), item(3))
    seen = {}

    def progress(label, total):
        seen["total"], seen["done"] = total, 0

        def advance(n):
            seen["done"] += n
        return advance
    export_archive(db, output=tmp_path / "out.xml", options=Options(statuses=("publish",)), progress=progress)
    assert seen == {"total": 2, "done": 2}


def test_an_exports_text_kept_in_a_row_a_scrape_made_newer_is_not_boxed_as_rendered(tmp_path):
    """A scrape that reads a post the same as an export keeps the export's raw text (the merge),
    while the row's source becomes the scrape's: that text must still go out for wpautop, and
    only rendered HTML in a Custom HTML block."""
    db = archive_of(tmp_path, item(1, content="One paragraph.\n\nAnother, [gallery]."),
                    item(2, content="<p>Rendered.</p>\n<p>Twice.</p>\n"))
    conn = connect(db)
    conn.execute("UPDATE posts SET source = 'rest'")
    conn.commit()
    conn.close()
    _, root = exported(db, tmp_path / "out.xml")
    written = {i.findtext(WP + "post_id"): i.findtext(CONTENT) for i in root.iter("item")}
    assert written["1"] == "One paragraph.\n\nAnother, [gallery]."
    assert written["2"] == "<!-- wp:html -->\n<p>Rendered.</p>\n<p>Twice.</p>\n\n<!-- /wp:html -->"


def test_out_says_how_many_files_it_placed_and_how_to_have_them_fetched(tmp_path):
    db = archive_of(tmp_path, item(1))
    from importer.archive.media_folder import MediaFolder
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not much of a jpeg")
    held = MediaFolder(db).take(photo)
    conn = connect(db)
    conn.execute("INSERT INTO media_files (sha256, bytes, path, first_seen) VALUES (?, ?, ?, '2020-01-01')",
                 (held.sha256, held.bytes, held.path))
    conn.execute("INSERT INTO media_urls (site_id, url, file_id, status) SELECT s.id, "
                 "'http://fixture.example/wp-content/uploads/2020/01/photo.jpg', f.id, 'fetched' "
                 "FROM sites s, media_files f")
    conn.commit()
    conn.close()
    for _ in range(2):  # the second time the file is in the tree already: still counted
        done = wparchive("export", "--db", db, "--out", tmp_path / "out")
        assert done.returncode == 0, done.stderr
        assert "+ 1 file in" in done.stdout and "--media-base URL" in done.stderr
    assert (tmp_path / "out" / "uploads" / "2020" / "01" / "photo.jpg").read_bytes() == photo.read_bytes()
    based = wparchive("export", "--db", db, "--out", tmp_path / "out", "--media-base", "http://new.example/up")
    assert based.returncode == 0 and "--media-base" not in based.stderr
