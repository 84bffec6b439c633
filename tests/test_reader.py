"""The reader pages and the short table views, served by a real Datasette (0.65, and 1.0 where its
environment is installed) over an archive built from the theme unit test data (a comment thread
ten levels deep, pingbacks, trackbacks, a pending comment) and small exports made here."""
from urllib.parse import urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

from browser import chromium, headless
from conftest import WXR_HEAD, comment, corpus_dir, item, run_import, wxr
from datasette_server import DATASETTES, png, served
from importer import connect
from importer.archive.media_folder import MediaFolder
from importer.serve.thread import discussion

HOSTILE = ('<p>Hi</p><script>alert(1)</script><img src="https://tracker.example/x.gif" onerror="alert(2)">'
           '<a href="javascript:alert(3)" onclick="alert(4)">link</a>')
READER_HEAD = WXR_HEAD.replace("http://fixture.example", "https://reader.example")
UPLOADS = "https://reader.example/wp-content/uploads/2020/01"
PICTURES = (f'<figure><img src="{UPLOADS}/curlew.png" alt="A curlew"><figcaption>Curlew</figcaption></figure>'
            f'<p><img src="{UPLOADS}/heron.png" alt="A heron"></p>')


def archive_picture(conn, path, url: str, data: bytes) -> str:
    """Store data as the archived copy of url (what `wparchive media` leaves behind); its sha256."""
    with MediaFolder(path).receiving() as incoming:
        incoming.write(data)
        stored = incoming.keep()
    conn.execute("INSERT INTO media_files (sha256, bytes, mime_type, width, height, path, first_seen) "
                 "VALUES (?, ?, ?, ?, ?, ?, '2020-02-01 00:00:00')",
                 (stored.sha256, stored.bytes, stored.mime_type, stored.width, stored.height, stored.path))
    conn.execute("INSERT INTO media_urls (site_id, url, file_id, status, http_status, attempts) "
                 "SELECT site_id, ?, last_insert_rowid(), 'fetched', 200, 1 FROM posts WHERE wp_id = 60 "
                 "AND site_id = (SELECT id FROM sites WHERE url_key = 'reader.example')", (url,))
    conn.commit()
    return stored.sha256


def reader_item(post_id, content, extra="", title="Estuary notes"):
    return item(post_id, title=title, content=content, extra=extra).replace(
        f"http://fixture.example/?p={post_id}</link>", f"https://reader.example/2020/01/estuary-{post_id}/</link>")


def discussion_comments() -> str:
    """A thread whose middle comment is pending (its approved reply must still show), spam, a
    pingback and a hostile comment."""
    return "".join([comment(1, author="Ann", content="First!"),
                    comment(2, parent=1, author="Bob", content="Reply to Ann"),
                    comment(3, parent=2, approved="0", author="Cy", content="Pending reply"),
                    comment(4, parent=3, author="Dee", content="Reply to the pending one"),
                    comment(5, approved="spam", author="Spammer", content="Buy now"),
                    comment(6, comment_type="pingback", author="Other blog", content="[...] linked here [...]"),
                    comment(7, author="Mallory", content=HOSTILE)])


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reader")
    path = folder / "archive.db"
    conn = connect(path)
    run_import(conn, corpus_dir() / "wxr" / "theme-unit-test-data.xml")
    first = folder / "reader-1.xml"
    first.write_text(wxr(reader_item(10, "<p>The tide was high.</p>\n<p>Curlews called.</p>", discussion_comments()),
                         *(reader_item(n, f"<p>Post {n}</p>", title=f"Post {n}") for n in range(20, 44)),
                         reader_item(60, PICTURES, title="Pictures"),
                         reader_item(70, "<p>Кулик</p>", title="Кулик").replace(
                             "/2020/01/estuary-70/", "/2020/01/%d0%ba%d1%83%d0%bb%d0%b8%d0%ba/"),
                         head=READER_HEAD))
    run_import(conn, first)
    second = folder / "reader-2.xml"
    second.write_text(wxr(reader_item(10, "<p>The tide was low.</p>\n<p>Curlews called.</p>",
                                      discussion_comments().replace("First!", "First! (edited)")),
                          head=READER_HEAD.replace("Mon, 02 Mar 2020", "Mon, 01 Jun 2020")))  # a later export
    run_import(conn, second)
    archive_picture(conn, path, f"{UPLOADS}/curlew.png", png(3, 2))
    conn.execute("UPDATE posts SET deleted_at = '2020-07-01 00:00:00' WHERE title = 'Post 21'")  # as sync marks it
    conn.commit()
    below = folder / "below-a-path.xml"  # a blog at example.com/blog/ whose permalinks end in the post's id
    below.write_text(wxr(item(80, title="Under a path").replace("http://fixture.example/?p=80</link>",
                                                                "https://example.com/blog/archives/80</link>"),
                         head=WXR_HEAD.replace("fixture.example", "example.com/blog").replace("http:", "https:")))
    run_import(conn, below)
    conn.close()
    return path


@pytest.fixture(scope="module")
def db(archive_path):
    conn = connect(archive_path)
    yield conn
    conn.close()


@pytest.fixture(scope="module", params=DATASETTES)
def server(request, archive_path):
    with served(request.param, archive_path) as base:
        yield base


def page(url, status=200) -> BeautifulSoup:
    response = requests.get(url, timeout=10, allow_redirects=False)
    assert response.status_code == status, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def post_id(db, title, site="wpthemetestdata.wordpress.com") -> int:
    return db.execute("SELECT p.id FROM posts p JOIN sites s ON s.id = p.site_id WHERE p.title = ? AND s.url_key = ?",
                      (title, site)).fetchone()[0]


def comment_parent(element) -> str | None:
    parent = element.find_parent("li", class_="comment")
    return parent["id"] if parent else None


def test_thread_nests_as_the_archive_links_replies(server, db):
    post = post_id(db, "Template: Comments")
    soup = page(f"{server}/-/wparchive/posts/{post}")
    expected = {f"comment-{wp_id}": parent and f"comment-{parent}" for wp_id, parent in db.execute(
        "SELECT c.wp_id, p.wp_id FROM comments c LEFT JOIN comments p ON p.id = c.parent_id "
        "WHERE c.post_id = ? AND c.status = 'approved' AND c.type NOT IN ('pingback', 'trackback')", (post,))}
    shown = {li["id"]: comment_parent(li) for li in soup.select("ol.comments li.comment")}
    assert shown == expected
    depth = max(len(li.find_parents("li", class_="comment")) for li in soup.select("li.comment"))
    assert depth == 9  # ten levels
    assert soup.select_one("article.post h1.post-title").get_text() == "Template: Comments"


def test_pending_spam_and_trash_hidden_unless_asked(server, db):
    post = post_id(db, "Estuary notes", "reader.example")
    default = page(f"{server}/-/wparchive/posts/{post}")
    shown = [li.select_one(".comment-author").get_text() for li in default.select("li.comment")]
    assert shown == ["Ann", "Bob", "Dee", "Mallory"]
    assert "orphan" in default.select_one("#comment-4")["class"]  # its parent is pending: not lost
    assert "2 pending, spam or trashed comments hidden" in default.select_one(".hidden-comments").get_text()
    everything = page(f"{server}/-/wparchive/posts/{post}?all=1")
    assert [li["id"] for li in everything.select("li.comment")] == [f"comment-{n}" for n in (1, 2, 3, 4, 5, 7)]
    assert comment_parent(everything.select_one("#comment-4")) == "comment-3"
    assert "status-pending" in everything.select_one("#comment-3")["class"]


def test_pingbacks_listed_apart(server, db):
    post = post_id(db, "Template: Pingbacks And Trackbacks")
    soup = page(f"{server}/-/wparchive/posts/{post}")
    pings = db.execute("SELECT count(*) FROM comments WHERE post_id = ? AND type IN ('pingback', 'trackback') "
                       "AND status = 'approved'", (post,)).fetchone()[0]
    assert pings > 0 and len(soup.select("ul.pings li.ping")) == pings
    assert not soup.select("ol.comments li.ping") and not soup.select("ul.pings li.comment")
    assert "Ping 1 « What’s a tellyworth?" in soup.select_one("ul.pings").get_text()  # entities read once


def test_hostile_comment_is_inert(server, db):
    post = post_id(db, "Estuary notes", "reader.example")
    text = requests.get(f"{server}/-/wparchive/posts/{post}", timeout=10).text
    soup = BeautifulSoup(text, "html.parser")
    assert "link" in soup.select_one("#comment-7 .comment-content").get_text()
    for forbidden in ("alert(1)", "onerror", "onclick", "javascript:", 'src="https://tracker.example'):
        assert forbidden not in text


def test_images_come_from_the_archive_or_show_their_alt_text_and_link(server, db):
    post = post_id(db, "Pictures", "reader.example")
    soup = page(f"{server}/-/wparchive/posts/{post}")
    [img] = soup.select("div.post-content img")
    assert img["alt"] == "A curlew"
    picture = requests.get(server + img["src"], timeout=10)
    assert picture.status_code == 200 and picture.content == png(3, 2)
    assert urlsplit(img["src"]).path.startswith("/-/wparchive/media/")
    missing = soup.select_one(f'div.post-content a[href="{UPLOADS}/heron.png"]')
    assert missing is not None and "A heron" in soup.select_one("div.post-content").get_text()


def test_old_links_redirect_to_the_post(server, db):
    post = post_id(db, "Estuary notes", "reader.example")
    site = db.execute("SELECT site_id FROM posts WHERE id = ?", (post,)).fetchone()[0]
    for old in ("/p/10", "/path/2020/01/estuary-10/", "/path/2020/01/estuary-10", "/path/?p=10",
                "/path/estuary-notes-x/post-10"):
        response = requests.get(f"{server}/-/wparchive/sites/{site}{old}", timeout=10, allow_redirects=False)
        assert response.status_code == 302, old
        assert urlsplit(response.headers["location"]).path == f"/-/wparchive/posts/{post}", old
    cyrillic = post_id(db, "Кулик", "reader.example")
    for typed in ("/path/2020/01/кулик/", "/path/2020/01/%D0%BA%D1%83%D0%BB%D0%B8%D0%BA"):
        response = requests.get(f"{server}/-/wparchive/sites/{site}{typed}", timeout=10, allow_redirects=False)
        assert urlsplit(response.headers["location"]).path == f"/-/wparchive/posts/{cyrillic}", typed
    under = post_id(db, "Under a path", "example.com/blog")
    site_below = db.execute("SELECT site_id FROM posts WHERE id = ?", (under,)).fetchone()[0]
    for old in ("/path/archives/80", "/path/blog/archives/80/", "/path/blog/?p=80", "/path/?p=80"):
        response = requests.get(f"{server}/-/wparchive/sites/{site_below}{old}", timeout=10, allow_redirects=False)
        assert urlsplit(response.headers["location"]).path == f"/-/wparchive/posts/{under}", old
    for missing in ("/p/999999", "/path/no/such/post/"):
        assert requests.get(f"{server}/-/wparchive/sites/{site}{missing}", timeout=10).status_code == 404


def test_site_page_lists_posts_newest_first_with_pages(server, db):
    site = db.execute("SELECT id FROM sites WHERE url_key = 'reader.example'").fetchone()[0]
    first = page(f"{server}/-/wparchive/sites/{site}")
    listed = [int(li["data-post-id"]) for li in first.select("ol.posts li.post-summary")]
    second = page(f"{server}/-/wparchive/sites/{site}{first.select_one('nav.pages a[rel=next]')['href']}")
    listed += [int(li["data-post-id"]) for li in second.select("ol.posts li.post-summary")]
    expected = [row[0] for row in db.execute("SELECT id FROM posts WHERE site_id = ? AND type = 'post' AND "
                                             "status = 'publish' ORDER BY date_gmt DESC, id DESC", (site,))]
    assert listed == expected and len(expected) == 27
    assert second.select_one("nav.pages a[rel=prev]") and not second.select_one("nav.pages a[rel=next]")
    month = first.select_one("nav.months a.month")
    in_month = page(f"{server}/-/wparchive/sites/{site}{month['href']}")
    dates = [li.select_one("time")["datetime"][:7] for li in in_month.select("li.post-summary")]
    assert set(dates) == {month["href"].split("=")[1]} and len(dates) == 20 and in_month.select_one("a[rel=next]")
    assert month.get_text().endswith(f"({len(expected)})")


def test_versions_viewable_with_what_changed(server, db):
    post = post_id(db, "Estuary notes", "reader.example")
    soup = page(f"{server}/-/wparchive/posts/{post}")
    assert "The tide was low." in soup.select_one("div.post-content").get_text()
    assert "wxr" in soup.select_one("footer.provenance").get_text()
    [version] = soup.select("ol.versions li.version")
    earlier = page(server + version.select_one("a")["href"])
    assert "The tide was high." in earlier.select_one("div.post-content").get_text()
    diff = page(server + version.select_one("a.diff-link")["href"])
    assert [s.get_text() for s in diff.select("pre.diff .removed")] == ["- The tide was high."]
    assert [s.get_text() for s in diff.select("pre.diff .added")] == ["+ The tide was low."]


def test_table_pages_show_excerpts_and_link_to_the_reader(server, db):
    post = post_id(db, "Template: Comments")
    soup = page(f"{server}/archive/posts?id={post}")
    headers = [th.get("data-column") for th in soup.select("table.rows-and-columns th")]
    assert "content" in headers and "content_text" not in headers
    assert soup.select_one("td.col-title a")["href"] == f"/-/wparchive/posts/{post}"
    excerpt = soup.select_one("td.col-content").get_text()
    assert 0 < len(excerpt) <= 141 and "<" not in excerpt
    full = page(f"{server}/archive/posts/{post}")  # the row page keeps the rendered HTML
    assert full.select_one("td.col-content .wparchive-html") is not None
    chosen = page(f"{server}/archive/posts?id={post}&_col=content_text")
    assert "content_text" in [th.get("data-column") for th in chosen.select("table.rows-and-columns th")]
    [row] = requests.get(f"{server}/archive/posts.json?id={post}&_shape=array", timeout=10).json()
    assert row["content_text"] and "<ul>" in row["content"]  # the JSON API is untouched
    site = db.execute("SELECT site_id FROM posts WHERE id = ?", (post,)).fetchone()[0]
    sites = page(f"{server}/archive/sites?id={site}")
    assert sites.select_one("td.col-title a")["href"] == f"/-/wparchive/sites/{site}"
    comments = page(f"{server}/archive/comments?post_id={post}&wp_id=881")
    assert comments.select_one("td.col-content a")["href"] == f"/-/wparchive/posts/{post}#comment-881"


def test_post_thread_takes_the_wordpress_id_and_links(server, db):
    post = post_id(db, "Template: Comments")
    site, wp_id = db.execute("SELECT site_id, wp_id FROM posts WHERE id = ?", (post,)).fetchone()
    soup = page(f"{server}/archive/post_thread?site={site}&wp_id={wp_id}")
    assert {a["href"] for a in soup.select("td.col-post_id a")} == {f"/-/wparchive/posts/{post}"}
    assert soup.select_one("td.col-comment_wp_id a")["href"].startswith(f"/-/wparchive/posts/{post}#comment-")
    by_url = requests.get(f"{server}/archive/post_thread.json?site=https://wpthemetestdata.wordpress.com"
                          f"&wp_id={wp_id}&_shape=array", timeout=10).json()
    assert len(by_url) == 20


def entry(id_, parent=None, status="approved", type_="comment"):
    return {"id": id_, "parent_id": parent, "status": status, "type": type_}


def test_thread_survives_cycles_and_closes_every_level():
    comments = [entry(1), entry(2, 1), entry(3, 2), entry(4, 1), entry(5, 6), entry(6, 5), entry(7, None, "spam"),
                entry(8, None, type_="trackback")]
    talk = discussion(comments)
    assert [(e.comment["id"], e.depth) for e in talk.thread] == [(1, 0), (2, 1), (3, 2), (4, 1), (5, 0), (6, 1)]
    opened = sum(e.has_replies for e in talk.thread)
    assert opened == sum(e.closes for e in talk.thread) == 3
    assert [c["id"] for c in talk.pings] == [8] and talk.hidden == 1


def test_what_a_user_mistypes_is_a_page_not_an_error(server, db):
    post = post_id(db, "Estuary notes", "reader.example")
    for path in ("/-/wparchive/posts/99999999999999999999", f"/-/wparchive/posts/{post}/diff?from=%C2%B2",
                 f"/-/wparchive/posts/{post}/versions/999999", "/-/wparchive/sites/999999"):
        assert requests.get(server + path, timeout=10).status_code == 404, path
    assert page(f"{server}/-/wparchive/sites/1?page=%C2%B2&month=nonsense").select("li.post-summary")


def test_post_page_fits_a_narrow_window(server, db):
    """Long <pre> lines, URLs and the provenance list stay inside a phone-wide window: nothing
    makes the page scroll sideways (Template: Comments was 1,355 px wide)."""
    executable = chromium()
    if executable is None:
        pytest.skip("Chromium not installed (scripts/test installs Debian's)")
    with headless(executable) as browser:
        tab = browser.new_page(viewport={"width": 480, "height": 800})
        for title in ("Template: Comments", "Template: Paginated", "Markup: HTML Tags and Formatting"):
            tab.goto(f"{server}/-/wparchive/posts/{post_id(db, title)}")
            assert tab.evaluate("document.documentElement.scrollWidth") == 480, title


def test_password_protected_post_shows_a_notice_not_its_text(server, db):
    """WordPress shows a protected post's content and comments only to readers with the password."""
    post = post_id(db, "Template: Password Protected (the password is \"enter\")")
    content, comments = db.execute("SELECT content_text, (SELECT count(*) FROM comments WHERE post_id = posts.id) "
                                   "FROM posts WHERE id = ?", (post,)).fetchone()
    soup = page(f"{server}/-/wparchive/posts/{post}")
    assert "password-protected" in soup.select_one("p.protected").get_text()
    assert not soup.select_one("div.post-content").get_text().strip()
    assert " ".join(content.split()[1:6]) not in soup.get_text() and comments > 0
    assert not soup.select("li.comment") and not soup.select("#comments")


def test_site_page_lists_unpublished_posts_only_when_asked_and_its_pages(server, db):
    site = db.execute("SELECT id FROM sites WHERE url_key = 'wpthemetestdata.wordpress.com'").fetchone()[0]
    unpublished = {row[0] for row in db.execute("SELECT id FROM posts WHERE site_id = ? AND type = 'post' AND status "
                                                "IN ('draft', 'private', 'pending', 'future')", (site,))}
    published = db.execute("SELECT count(*) FROM posts WHERE site_id = ? AND type = 'post' AND status = 'publish'",
                           (site,)).fetchone()[0]

    def listed(query):
        ids, soup = [], page(f"{server}/-/wparchive/sites/{site}{query}")
        first = soup
        while soup is not None:
            ids += [int(li["data-post-id"]) for li in soup.select("li.post-summary")]
            following = soup.select_one("nav.pages a[rel=next]")
            soup = following and page(f"{server}/-/wparchive/sites/{site}{following['href']}")
        return ids, first

    default, soup = listed("")
    assert len(default) == published and not unpublished & set(default) and unpublished
    assert f"{len(unpublished)} draft, private" in soup.select_one("p.unlisted").get_text()
    assert f"of {-(-published // 20)} ({published} posts)" in soup.select_one("nav.pages").get_text()
    everything, soup = listed(soup.select_one("p.unlisted a")["href"])
    assert set(everything) == set(default) | unpublished and len(everything) == len(set(everything))
    pages = {a.get_text() for a in soup.select("nav.site-pages a.page-link")}
    assert {"About The Tests", "Page with comments"} <= pages


def test_an_edited_comment_links_its_earlier_text(server, db):
    post = post_id(db, "Estuary notes", "reader.example")
    soup = page(f"{server}/-/wparchive/posts/{post}")
    [link] = soup.select("li.comment a.comment-versions")  # only Ann's comment changed between the exports
    assert link.find_parent("li", class_="comment")["id"] == "comment-1" and link.get_text() == "edited"
    versions = page(server + link["href"])
    texts = [li.select_one(".comment-content").get_text() for li in versions.select("ol.comment-versions li")]
    assert texts == ["First! (edited)", "First!"]
    assert versions.select_one(f'a[href="/-/wparchive/posts/{post}#comment-1"]')
    other = db.execute("SELECT id FROM posts WHERE id != ? LIMIT 1", (post,)).fetchone()[0]
    comment_id = versions.select_one("li.current")["data-comment-id"]
    page(f"{server}/-/wparchive/posts/{other}/comments/{comment_id}/versions", status=404)


def test_table_search_box_keeps_the_query(server):
    """Datasette 1.0's table template got no `search` value and showed an empty box after a search."""
    for query, typed in (("_search=tide", "tide"), ("_search_title=Estuary", "Estuary"),
                         ("_search=%22curlews+called%22", '"curlews called"')):
        soup = page(f"{server}/archive/posts?{query}")
        assert soup.select_one("input#_search")["value"] == typed, query
    assert page(f"{server}/archive/posts").select_one("input#_search")["value"] == ""


def test_a_deleted_post_is_shown_with_its_mark_and_one_without_comments_says_so(server, db):
    gone = post_id(db, "Post 21", "reader.example")
    soup = page(f"{server}/-/wparchive/posts/{gone}")
    assert "deleted" in soup.select_one("article.post")["class"]
    assert "2020-07-01" in soup.select_one("footer.provenance dd.deleted").get_text()
    assert soup.select_one("p.comments-none").get_text() == "No comments."
    assert not soup.select("li.comment") and soup.select_one("ol.comments") is not None
    site = db.execute("SELECT site_id FROM posts WHERE id = ?", (gone,)).fetchone()[0]
    [listed] = [li for n in (1, 2) for li in page(f"{server}/-/wparchive/sites/{site}?page={n}").select(
        f'li.post-summary[data-post-id="{gone}"]')]
    assert "deleted from the blog" in listed.get_text() and "deleted" in listed["class"]


def test_row_pages_link_to_the_reader(server, db):
    post = post_id(db, "Template: Comments")
    soup = page(f"{server}/archive/posts/{post}")
    assert soup.select_one("td.col-title a")["href"] == f"/-/wparchive/posts/{post}"
    comment, wp_id = db.execute("SELECT id, wp_id FROM comments WHERE post_id = ? LIMIT 1", (post,)).fetchone()
    soup = page(f"{server}/archive/comments/{comment}")
    assert soup.select_one("td.col-wp_id a")["href"] == f"/-/wparchive/posts/{post}#comment-{wp_id}"
    site = db.execute("SELECT site_id FROM posts WHERE id = ?", (post,)).fetchone()[0]
    assert page(f"{server}/archive/sites/{site}").select_one("td.col-title a")["href"] == f"/-/wparchive/sites/{site}"
