"""The page extractor on real saved WordPress pages (the corpus) and on the seed post: the post
and its comments, threaded, and nothing of the page's furniture."""
import html as htmllib
import re

import pytest

from conftest import CORPUS, corpus_dir, rows, run_import
from importer.sources.html import page_from_html

FURNITURE = re.compile(r"Leave a (Reply|Comment)|Share this:|Like this:|Related posts|Post navigation|"
                       r"Your email address will not be published|Kommentar verfassen|Schreibe einen Kommentar|"
                       r"Submit Comment|Notify me of|bloggers like this|Log Out|Fill in your details")


def expected_pages() -> dict[str, tuple[int, int]]:
    """(comments, pingbacks) per page, as the corpus's SOURCES.md counted them."""
    text = (CORPUS / "SOURCES.md").read_text() if CORPUS.is_dir() else ""
    found = {}
    for name, block in re.findall(r"\*\*html/([^*]+)\*\*(.*?)(?=\n- \*\*|\n### |\Z)", text, re.S):
        match = re.search(r"comment <li>: (\d+) \(pingback/trackback (\d+)\)", block)
        epoch = re.search(r"\((?:div\.epoch-single-comment, )?(\d+) comments\)", block)
        if match:
            count = int(match.group(1)) or (int(epoch.group(1)) if epoch else 0)
            found[name] = (count, int(match.group(2)))
    return found


PAGES = expected_pages() or {"(corpus missing)": (0, 0)}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_corpus_page(name):
    page = page_from_html((corpus_dir() / "html" / name).read_bytes())
    post = page.post
    comments, pingbacks = PAGES[name]
    assert post is not None and post.wp_id
    assert post.title and len(post.content_text or "") > 500
    assert len(post.comments) == comments
    assert sum(c.type in ("pingback", "trackback") for c in post.comments) == pingbacks
    ids = {c.wp_id for c in post.comments}
    assert all(c.parent_wp_id in ids or c.parent_wp_id == 0 for c in post.comments)
    assert all(c.author_name for c in post.comments)
    assert all(c.content_text for c in post.comments if c.type == "comment")  # pingbacks may show a label only
    assert not FURNITURE.search(post.content_text)
    texts = [c.content_text for c in post.comments if c.content_text]
    for text in texts:
        assert not FURNITURE.search(text), text
    for link in ("Reply", "Antworten", "Responder", "Like"):  # a leaked reply link would end every comment
        assert not all(text.endswith(link) for text in texts)


def test_threads_nest_as_the_page_shows(archive):
    page = page_from_html((corpus_dir() / "html" / "wpcom-blog-diverse.html").read_bytes())
    parents = {c.wp_id: c.parent_wp_id for c in page.post.comments}
    assert parents[411829] == 411811 and parents[411831] == 411829


def test_saved_pages_import_into_the_archive(archive):
    reports = run_import(archive, corpus_dir() / "html")
    assert all(r.status == "imported" for r in reports)
    assert rows(archive, "SELECT count(*), count(DISTINCT site_id) FROM posts") == [(len(reports), len(reports))]
    assert rows(archive, "SELECT count(*) FROM comments")[0][0] == sum(PAGES[n][0] for n in PAGES)
    assert rows(archive, "SELECT url_key FROM sites WHERE url_key LIKE '%muffinrezept%'") == [("muffinrezept.net",)]


SEED = CORPUS.parent / "seed" / "victory-for-baby-p.txt"


def seed_page() -> tuple[str, str, list[tuple[str, str]]]:
    """The seed post as a WordPress.com page: its text, with the furniture such pages carry."""
    text = SEED.read_text()
    head, rest = text.split("\n\n", 1)
    body, thread = re.split(r"\n\d+ Responses to [^\n]+\n", rest, maxsplit=1)
    thread = thread.split("Leave a Reply", 1)[0]
    comments = re.findall(r"^\s+\d+\. (.+?) says:\n(.*?)(?=^\s+\d+\. .+? says:|\Z)", thread, re.S | re.M)
    paragraphs = "".join(f"<p>{htmllib.escape(p.strip())}</p>\n" for p in body.strip().split("\n\n"))
    items = "".join(
        f'<li class="comment even thread-even depth-1" id="li-comment-{10 + i}"><div id="comment-{10 + i}">'
        f'<div class="comment-author vcard"><img class="avatar" src="https://0.gravatar.com/a.png">'
        f'<cite class="fn">{htmllib.escape(name)}</cite> <span class="says">says:</span></div>'
        f'<div class="comment-meta commentmetadata"><a href="#comment-{10 + i}">December 2, 2008 at 9:00 am</a></div>'
        + "".join(f"<p>{htmllib.escape(p.strip())}</p>" for p in words.strip().split("\n\n"))
        + f'<div class="reply"><a class="comment-reply-link" href="?replytocom={10 + i}#respond">Reply</a></div>'
        f'<p class="comment-likes"><a href="#">Like</a></p></div></li>'
        for i, (name, words) in enumerate(comments))
    page = f"""<!DOCTYPE html><html lang="en"><head><title>{head} | Liberal Burblings</title>
<link rel="canonical" href="https://example-blog.wordpress.com/2008/12/01/victory-for-baby-p/">
<link rel="alternate" type="application/rss+xml" href="https://example-blog.wordpress.com/feed/">
</head><body class="single single-post postid-321 wpcom">
<div id="header"><h1><a href="/">Liberal Burblings</a></h1><ul class="menu"><li>Home</li><li>About</li></ul></div>
<div id="content"><div class="post-321 post hentry" id="post-321"><h2 class="entry-title">{head}</h2>
<div class="entry">{paragraphs}
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul><li>Twitter</li><li>Facebook</li></ul></div>
<div id="jp-post-flair"><div class="sharedaddy sd-block sd-like"><h3>Like this:</h3><span>Like</span> Loading...</div></div>
</div></div>
<div id="comments"><h3>4 Responses to {head}</h3><ol class="commentlist">{items}</ol>
<div id="respond"><h3>Leave a Reply</h3><form id="commentform"><p>Fill in your details below or click an icon to log in:</p>
<input name="comment_post_ID" value="321"><textarea></textarea><p>Connecting to %s</p></form></div></div></div>
<div id="sidebar" class="widget-area"><div class="widget"><h2>Recent Comments</h2><ul><li><a href="#comment-12">Dan on Victory</a></li></ul></div></div>
<div id="footer"><p>%d bloggers like this:</p></div></body></html>"""
    return page, body, comments


def test_seed_post_archives_exactly_the_post_and_its_comments():
    if not SEED.exists():
        corpus_dir()
        pytest.skip(f"seed not present at {SEED}")
    page_html, body, comments = seed_page()
    page = page_from_html(page_html.encode())
    post = page.post
    assert (post.wp_id, post.title) == (321, "Victory for Baby P?")
    assert post.content_text == " ".join(body.split())
    assert [(c.author_name, c.content_text) for c in post.comments] == [
        (name, " ".join(words.split())) for name, words in comments]
    assert [c.wp_id for c in post.comments] == [10, 11, 12, 13]
    assert page.site.url == "https://example-blog.wordpress.com"


@pytest.mark.parametrize("shown, stored", [
    ("July 11, 2011 at 12:25 pm", "2011-07-11 12:25:00"), ("8. April 2019 @ 11:38", "2019-04-08 11:38:00"),
    ("26 abril 2022 a las 14:02", "2022-04-26 14:02:00"), ("Juli 30, 2013 um 2:33 pm", "2013-07-30 14:33:00"),
    ("Ben 19. Juni 2018 um 15:28 Uhr - Antworten", "2018-06-19 15:28:00"), ("11.12.2012 um 11:07", "2012-12-11 11:07:00"),
    ("March 10, 2017 at 12:20 AM", "2017-03-10 00:20:00"), ("Jun 20th at 2:41 am", None), ("Reply", None)])
def test_dates_as_themes_print_them(shown, stored):
    from importer.sources.html import shown_date
    assert shown_date(shown) == stored


@pytest.mark.parametrize("name, first", [
    ("thenervousbreakdown-loneliest.html", "2011-07-11 12:25:00"), ("scilogs-engelbart.html", "2019-04-08 11:38:00"),
    ("cubadebate-sesiona-es.html", "2022-04-26 14:02:00"), ("wayback-muffinrezept.html", "2013-07-30 14:33:00"),
    ("netzpolitik-abmahnungen.html", "2016-06-23 17:21:09")])
def test_comment_dates_come_from_what_the_page_shows(name, first):
    comments = page_from_html((corpus_dir() / "html" / name).read_bytes()).post.comments
    assert comments[0].date == first


@pytest.mark.parametrize("markup", ["", b"", "   \n", b"\xef\xbb\xbf"])
def test_an_empty_page_is_a_page_without_a_post(markup):
    """lxml refuses an empty document; a saved or scraped page that is empty is simply not a post."""
    page = page_from_html(markup, "http://blog.example/empty/")
    assert page.post is None
