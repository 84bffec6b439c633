"""Hostile XML and HTML: guards libxml2 itself confirms, bounded work per record, parse-owned state.

Each hostile document is built here. Memory is checked in a child process only as an upper bound."""
import codecs
import subprocess
import sys
import weakref
from itertools import zip_longest

import pytest

from conftest import WXR_HEAD, comment, item, rows, run_import, snapshot, value, wxr
from importer.errors import HostileInputError, NotWXRError
from importer.model import Problem
from importer.sources import html as html_source
from importer.sources import safe_xml, wxr as wxr_source, wxr_limits, wxr_repair
from importer.sources.html import MAX_DEPTH, MAX_PAGE, page_from_html
from importer.sources.wxr import WXRReader
from importer.sources.wxr_limits import MAX_FIELD, MAX_RECORD


def tagged(post_id, slug="&e;"):
    return item(post_id, extra=f'<category domain="post_tag" nicename="{slug}"><![CDATA[t]]></category>\n')


ENTITY_IN_COMMENT = '<!DOCTYPE rss [<!-- ]><rss> --><!ENTITY e "EXPANDED">]>\n'


def with_prolog(prolog: str, body: str, declaration='<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return declaration + prolog + body.split("\n", 1)[1]


# -- 1. guards that cannot be stepped around ---------------------------------------------------------

@pytest.mark.parametrize("damage", ["", "Tom & Jerry"], ids=["fast-path", "repairing-path"])
def test_entity_declared_after_a_fake_subset_end_is_refused(filled, write_wxr, damage):
    """The first `]>` sits in a comment; libxml2 reads the real subset and reports the entity."""
    text = with_prolog(ENTITY_IN_COMMENT, wxr(tagged(2), item(3, title=damage or "plain")))
    before = snapshot(filled)
    [report] = run_import(filled, write_wxr(text, "hostile.xml"))
    assert report.status == "failed"
    assert "hostile.xml:2:" in report.error and "DTD declares entities" in report.error
    assert snapshot(filled) == before
    assert value(filled, "SELECT count(*) FROM terms WHERE slug LIKE '%EXPANDED%'") == 0


def test_a_dtd_after_a_long_leading_comment_is_refused(filled, write_wxr):
    text = with_prolog("<!--" + "x" * 300_000 + '-->\n<!DOCTYPE rss [<!ENTITY e "EXPANDED">]>\n',
                       wxr(tagged(2)))
    [report] = run_import(filled, write_wxr(text, "hostile.xml"))
    assert report.status == "failed" and "DTD" in report.error and "refused" in report.error


def test_an_external_dtd_is_refused(filled, write_wxr):
    text = with_prolog('<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/wxr.dtd">\n', wxr(item(2)))
    [report] = run_import(filled, write_wxr(text, "hostile.xml"))
    assert report.status == "failed" and "hostile.xml:2:" in report.error and "DTD" in report.error


def utf7_with_hidden_entity() -> bytes:
    body = with_prolog('<!DOCTYPE rss [<!ENTITY e "EXPANDED">]>\n', wxr(tagged(2)), declaration="")
    return b'<?xml version="1.0" encoding="UTF-7"?>\n' + body.encode("utf-7").replace(b"<!ENTITY", b"+ADwAIQ-ENTITY")


@pytest.mark.parametrize("content, message", [
    (utf7_with_hidden_entity(), "encoding 'UTF-7'"),
    (b'<?xml version="1.0" encoding="UTF-32"?>\n' + wxr(item(2)).split("\n", 1)[1].encode(), "encoding 'UTF-32'"),
    (wxr(item(2)).replace("UTF-8", "UTF-32BE").encode("utf-32-be"), "UTF-32"),
    (wxr(item(2)).replace("UTF-8", "cp037").encode("cp037"), "EBCDIC"),
], ids=["utf-7", "utf-32-declared", "utf-32", "ebcdic"])
def test_encodings_wordpress_never_writes_are_refused(filled, write_wxr, content, message):
    before = snapshot(filled)
    [report] = run_import(filled, write_wxr(content, "odd.xml"))
    assert report.status == "failed" and "odd.xml" in report.error and message in report.error
    assert "\n" not in report.error
    assert snapshot(filled) == before


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "windows-1252", "ISO-8859-15", "windows-1251"])
def test_encodings_real_exports_use_still_import(archive, write_wxr, encoding):
    title = "Grüße" if encoding != "windows-1251" else "Привет"
    content = wxr(item(1, title=title)).replace('encoding="UTF-8"', f'encoding="{encoding}"').encode(encoding)
    [report] = run_import(archive, write_wxr(content))
    assert report.status == "imported"
    assert value(archive, "SELECT title FROM posts") == title


@pytest.mark.parametrize("where", ["feed", "sitemap"])
def test_feeds_and_sitemaps_refuse_a_dtd_however_it_is_hidden(where):
    body = (b"<rss><channel><item><link>http://a.example/&e;</link></item></channel></rss>" if where == "feed"
            else b'<urlset><url><loc>http://a.example/&e;</loc></url></urlset>')
    plain = b'<?xml version="1.0"?>\n' + body.replace(b"&e;", b"x")
    assert safe_xml.parse(plain) is not None
    for prolog in (b"<!--" + b"c" * 20_000 + b'-->\n<!DOCTYPE x [<!ENTITY e "EXPANDED">]>',
                   b'<!DOCTYPE x [<!-- ]><x/> --><!ENTITY e "EXPANDED">]>',
                   b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">'):
        with pytest.raises(HostileInputError):  # refused, and the feed or sitemap reader says so
            safe_xml.parse(b'<?xml version="1.0"?>\n' + prolog + b"\n" + body)
    with pytest.raises(HostileInputError, match="DTD declares entities"):
        safe_xml.PrologGuard(safe_xml._Bytes(b'<!DOCTYPE x [<!ENTITY e "E">]>' + body), where).read()
    with pytest.raises(NotWXRError, match="(?i)utf-7"):
        safe_xml.PrologGuard(safe_xml._Bytes(b'<?xml version="1.0" encoding="utf-7"?>' + body), where).read()


def test_a_saved_page_never_expands_a_dtd_entity():
    page = page_from_html(b'<!DOCTYPE html [<!ENTITY e "EXPANDED">]><html><body class="postid-5">'
                          b'<article id="post-5"><h1 class="entry-title">T &e;</h1><div class="entry-content">'
                          b'<p title="&e;">Body &e;</p></div></article></body></html>')
    assert "EXPANDED" not in page.post.title + page.post.content
    assert "&amp;e;" in page.post.content and page.problems == []


# -- 2. bounded work per record --------------------------------------------------------------------

def test_a_field_over_the_limit_is_cut_and_recorded(archive, write_wxr):
    """Split into many CDATA sections, the field is still one field."""
    part = "<p>" + "lorem ipsum " * 5000 + "</p>"
    big = "]]><![CDATA[".join([part] * (MAX_FIELD // len(part) + 20))
    text = wxr(item(1), item(2, content=big), item(3))
    [report] = run_import(archive, write_wxr(text, "big.xml"))
    assert report.status == "imported"
    assert value(archive, "SELECT count(*) FROM posts") == 3
    assert MAX_FIELD - 2000 <= value(archive, "SELECT length(content) FROM posts WHERE wp_id = 2") <= MAX_FIELD
    assert value(archive, "SELECT content FROM posts WHERE wp_id = 3") == "<p>Body</p>"
    [(problem, action, line)] = rows(archive, "SELECT problem, action, line FROM import_problems")
    assert problem == f"a field longer than {MAX_FIELD >> 20} MB" and "cut" in action
    assert line > text[:text.index("<wp:post_id>2")].count("\n") - 5


def test_plain_text_over_the_limit_is_cut_at_a_character(archive, write_wxr):
    title = "ü" * (MAX_FIELD // 2 + 1000) + "&amp;"
    [report] = run_import(archive, write_wxr(wxr(item(1, title=title), item(2))))
    assert report.status == "imported"
    kept = value(archive, "SELECT title FROM posts WHERE wp_id = 1")
    assert set(kept) == {"ü"} and MAX_FIELD // 2 - 4 <= len(kept) < MAX_FIELD // 2
    assert value(archive, "SELECT count(*) FROM import_problems WHERE problem LIKE 'a field longer%'") == 1


def test_a_record_over_the_limit_stops_the_import_keeping_what_came_before(archive, write_wxr):
    chunk = "<p>" + "x" * (MAX_FIELD // 2) + "</p>"
    many = "".join(comment(n, content=chunk) for n in range(1, MAX_RECORD // len(chunk) + 3))
    [report] = run_import(archive, write_wxr(wxr(item(1), item(2, extra=many), item(3)), "fat.xml"))
    assert report.status == "damaged" and f"record longer than {MAX_RECORD >> 20} MB" in report.error
    assert rows(archive, "SELECT wp_id FROM posts") == [(1,)]


def peak_rss_mb(code: str) -> float:
    """Peak RSS of a child process running `code`, from its own VmHWM: getrusage's ru_maxrss of a
    child also counts the forking parent's peak (folded in at exec), which a long test run makes large."""
    report = "\nprint(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))\n"
    done = subprocess.run([sys.executable, "-c", code + report], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1]) / 1024


def test_a_huge_text_node_is_read_in_bounded_memory(tmp_path):
    path = tmp_path / "huge.xml"
    with open(path, "w") as out:
        out.write(WXR_HEAD + item(1).split("<content:encoded>")[0] + "<content:encoded><![CDATA[")
        block = "<p>" + "lorem ipsum dolor sit amet " * 37 + "</p>\n"
        for _ in range((120 << 20) // len(block)):
            out.write(block)
        out.write("]]></content:encoded>" + item(1).split("</content:encoded>")[1] + item(2) + "</channel></rss>\n")
    code = (f"from importer.sources.wxr import WXRReader\nfrom importer.model import Post, Problem\n"
            f"records = [r for r in WXRReader(open({str(path)!r}, 'rb'), 'huge.xml') if isinstance(r, (Post, Problem))]\n"
            f"assert [len(r.content) <= {MAX_FIELD} for r in records if isinstance(r, Post)] == [True, True], records\n"
            f"assert any(isinstance(r, Problem) for r in records)\n")
    assert peak_rss_mb(code) < 200


def test_a_saved_page_over_the_limit_is_cut_and_recorded():
    body = ("<p>" + "word " * 40 + "</p>\n") * (MAX_PAGE // 200 + 100)
    markup = ('<html><body class="postid-5"><article id="post-5"><div class="entry-content">' + body +
              "</div></article></body></html>").encode()
    page = page_from_html(markup)
    [problem] = page.problems
    assert "more than the 4 MB" in problem.problem and problem.line > 1
    assert MAX_PAGE - 1000 < len(page.post.content) < MAX_PAGE


def nested_thread(count: int) -> str:
    thread = ""
    for n in range(count, 0, -1):
        replies = f'<ol class="children">{thread}</ol>' if thread else ""
        thread = (f'<li id="comment-{n}" class="comment"><div class="comment-author vcard"><cite class="fn">R{n}'
                  f'</cite></div><div class="comment-content"><p>c{n}</p></div>{replies}</li>')
    return ('<html><body class="single postid-7"><article id="post-7"><h1 class="entry-title">T</h1>'
            '<div class="entry-content"><p>b</p></div></article><div id="comments"><ol class="commentlist">'
            f"{thread}</ol></div></body></html>")


def test_a_thread_nested_past_the_depth_limit_says_where_it_stopped():
    page = page_from_html(nested_thread(20_000))
    [problem] = page.problems
    assert problem.problem == f"elements nest deeper than {MAX_DEPTH} levels" and problem.line
    kept = len(page.post.comments)
    assert 0 < kept < 20_000 and f"{kept} comment(s) read before it" in problem.action
    assert [c.wp_id for c in page.post.comments] == list(range(1, kept + 1))


def test_a_thread_within_the_depth_limit_is_read_whole():
    page = page_from_html(nested_thread(MAX_DEPTH // 3 - 10))
    assert page.problems == [] and len(page.post.comments) == MAX_DEPTH // 3 - 10


# -- 3. parse state belongs to the parse ------------------------------------------------------------

def mutable_globals():
    """Every mutable container held at module level by the parsers, as a comparable copy."""
    found = {}
    for module in (wxr_source, wxr_repair, wxr_limits, safe_xml, html_source):
        for name, held in vars(module).items():
            if isinstance(held, weakref.WeakKeyDictionary):
                found[module.__name__, name] = len(held)
            elif isinstance(held, (dict, list, set)):
                found[module.__name__, name] = repr(held)
            elif hasattr(held, "cache_info"):
                found[module.__name__, name] = held.cache_info().currsize
    return found


def test_parsing_leaves_no_state_in_the_parser_modules(write_wxr):
    before = mutable_globals()
    damaged = wxr(item(1, title="bad \udcff byte & more"), item(2, extra=comment(5))).encode("utf-8", "surrogateescape")
    records = list(WXRReader(open(write_wxr(damaged), "rb"), "damaged.xml"))
    assert [r.problem for r in records if isinstance(r, Problem)] == [
        "invalid UTF-8 byte sequence", "unescaped '&'"]
    page_from_html(nested_thread(3))
    assert mutable_globals() == before
    with pytest.raises(LookupError):
        codecs.lookup_error("wparchive-note")


def test_two_interleaved_parses_keep_their_own_repairs(write_wxr):
    first = wxr(item(1, title="one \udcff"), item(2)).encode("utf-8", "surrogateescape")
    second = wxr(item(1), item(2, title="two \udcfe x \udcfd")).encode("utf-8", "surrogateescape")
    pairs = list(zip_longest(WXRReader(open(write_wxr(first, "a.xml"), "rb"), "a.xml"),
                             WXRReader(open(write_wxr(second, "b.xml"), "rb"), "b.xml")))
    lines = [[r.line for r in side if isinstance(r, Problem)] for side in zip(*pairs)]
    assert lines == [[first.count(b"\n", 0, first.index(b"one"))+ 1],
                     [second.count(b"\n", 0, second.index(b"two")) + 1] * 2]


def test_the_field_cutter_follows_sections_alike_however_the_input_is_chunked():
    """The quick follow of a chunk and the full walk end in the same state wherever the reader cuts."""
    import random
    document = wxr(item(1, title="<!--:fr-->Titre<!--:-->", extra=comment(4, content="a ]] b -- c <!-- d")),
                   item(2, content="x]]><![CDATA[y"), item(3)).encode()
    states = set()
    for seed in range(40):
        chooser = random.Random(seed)
        tags = [i for i in range(1, len(document)) if document[i:i + 1] == b"<"]  # where the reader cuts
        cuts = sorted(chooser.sample(tags, 12))
        quick, walked = wxr_limits.FieldCutter("x", None), wxr_limits.FieldCutter("x", None)
        out = []
        for start, stop in zip([0] + cuts, cuts + [len(document)]):
            out.append(quick.cut(document[start:stop], lambda offset: 1))
            walked._walk(document[start:stop], lambda offset: 1)
        assert b"".join(out) == document
        assert vars(quick) == vars(walked)
        states.add((quick.field_start, quick.inside))
    assert len(states) == 1
