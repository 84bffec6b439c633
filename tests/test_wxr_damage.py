"""Broken, foreign and hostile input: repaired and recorded, or refused without touching the archive."""
import time

import pytest

from conftest import item, rows, run_import, snapshot, value, wxr


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"{\"posts\": []}", "not XML"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not XML"),
    (b"<?xml version='1.0'?><html><body>hi</body></html>", "root element is <html>"),
    (b"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed</title><item><title>x</title></item>"
     b"</channel></rss>", "an RSS feed, not a WXR export"),
])
def test_foreign_input_is_refused_and_archive_untouched(filled, write_wxr, content, message):
    before = snapshot(filled)
    [report] = run_import(filled, write_wxr(content, "bad.xml"))
    assert report.status == "failed"
    assert "bad.xml" in report.error and message in report.error
    assert "\n" not in report.error
    assert snapshot(filled) == before


@pytest.mark.parametrize("damage, problem", [
    ("Tom &amp; Jerry & friends", "unescaped '&'"),
    ("bell\x07 and \x1b escape", "control character"),
    ("bad byte \udcff here", "invalid UTF-8 byte sequence"),
])
def test_common_damage_is_repaired_and_recorded(archive, write_wxr, damage, problem):
    text = wxr(item(1), item(2, title=damage), item(3))
    data = text.encode("utf-8", "surrogateescape")
    [report] = run_import(archive, write_wxr(data))
    assert report.status == "imported"
    assert value(archive, "SELECT count(*) FROM posts") == 3
    line = data[:data.index(damage[:4].encode())].count(b"\n") + 1
    assert rows(archive, "SELECT DISTINCT problem, line FROM import_problems") == [(problem, line)]


def test_truncated_file_keeps_complete_items_and_names_the_line(archive, write_wxr):
    text = wxr(item(1), item(2), item(3))
    cut = text[: text.index("<wp:post_id>3")]
    [report] = run_import(archive, write_wxr(cut, "cut.xml"))
    assert report.status == "damaged"
    assert report.error.startswith(f"{archive_path(write_wxr, 'cut.xml')}:{cut.count(chr(10)) + 1}:")
    assert rows(archive, "SELECT wp_id FROM posts ORDER BY wp_id") == [(1,), (2,)]
    assert rows(archive, "SELECT status FROM import_runs") == [("damaged",)]


def archive_path(write_wxr, name):
    return str(write_wxr.__closure__[0].cell_contents / name)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&f;&f;&f;&f;&f;&f;</title></channel></rss>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY remote SYSTEM "http://127.0.0.1:9/x">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&secret;&remote;</title></channel></rss>"""


@pytest.mark.parametrize("content", [BOMB, EXTERNAL], ids=["entity-bomb", "external-entity"])
def test_hostile_xml_fails_fast_without_reading_anything(filled, write_wxr, content):
    before = snapshot(filled)
    started = time.monotonic()
    [report] = run_import(filled, write_wxr(content, "hostile.xml"))
    assert time.monotonic() - started < 2
    assert report.status == "failed" and "DTD" in report.error
    assert snapshot(filled) == before
    assert "root:" not in str(rows(filled, "SELECT * FROM sites"))


def test_raw_cdata_terminator_inside_cdata_is_kept_as_text(archive, write_wxr):
    text = wxr(item(1)).replace("<![CDATA[<p>Body</p>]]>", "<![CDATA[a <![CDATA[ b ]]> c]]>")
    [report] = run_import(archive, write_wxr(text))
    assert report.status == "imported"
    assert value(archive, "SELECT content FROM posts") == "a <![CDATA[ b ]]> c"
