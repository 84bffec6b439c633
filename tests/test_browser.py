"""The reader's pages as a browser renders them: Debian's Chromium, headless, driven by Playwright,
loading pages a real Datasette (0.65 and 1.0) serves from an archive. The DOM is asserted on: the
comment thread's nesting against the archive's parent links (10 levels in the theme unit test data's
"Template: Comments"), images served from the archive's media store and decoded, a hostile comment's
payloads never running, CJK search finding a word inside a Japanese title."""
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from browser import chromium, headless, local_only
from conftest import WXR_HEAD, comment, corpus_dir, item, run_import, wxr
from datasette_server import DATASETTES, png, served
from importer import connect

TITLE = "コントローラーの役割とは"
HIDDEN_STATUSES = ("pending", "spam", "trash")
PINGS = ("pingback", "trackback")
PAYLOAD = ('<p>Hostile</p><script>window.__pwned = "script"; document.title = "pwned"</script>'
           '<img src="x" onerror="window.__pwned = \'onerror\'; document.title = \'pwned\'">'
           '<a class="js" href="javascript:window.__pwned=\'javascript\';document.title=\'pwned\'">a link</a>'
           '<a href="#" onclick="window.__pwned = \'onclick\'">another</a>'
           '<svg><script>window.__pwned = "svg"</script></svg><svg onload="window.__pwned = \'svgload\'"></svg>'
           '<iframe srcdoc="&lt;script&gt;parent.__pwned = \'iframe\'&lt;/script&gt;"></iframe>'
           '<form action="javascript:window.__pwned=\'form\'"><button>go</button></form>'
           '<style>body { background: url(javascript:window.__pwned=1) }</style>')
LITERAL = ("<p>Quoted markup &lt;img src=x onerror=&quot;window.__pwned='snippet'&quot;&gt; and "
           "&lt;script&gt;window.__pwned='snippet'&lt;/script&gt; as text</p>")  # its plain text is markup
IMAGE_WIDTH, IMAGE_HEIGHT = 7, 5
BLOG = "http://fixture.example"


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "archive.db"
    uploads = folder / "uploads"
    (uploads / "2020" / "01").mkdir(parents=True)
    (uploads / "2020" / "01" / "curlew.png").write_bytes(png(IMAGE_WIDTH, IMAGE_HEIGHT))
    export = folder / "fixture.xml"
    image = f'<figure><img src="{BLOG}/wp-content/uploads/2020/01/curlew.png" alt="A curlew"></figure>'
    export.write_text(wxr(item(1, title="Hostile", extra=comment(66, content=PAYLOAD, author="Mallory")
                               + comment(67, content=LITERAL, author="Mallory")),
                          item(2, title="A curlew", content=f"<p>Seen at dawn.</p>{image}"), head=WXR_HEAD))
    conn = connect(path)
    for source in (corpus_dir() / "wxr" / "theme-unit-test-data.xml", corpus_dir() / "wxr" / "setucocms-ja-wxr11.xml",
                   export):
        run_import(conn, source)
    conn.close()
    media = subprocess.run([sys.executable, "-m", "importer", "media", "--db", str(path), "--site", BLOG,
                            "--uploads", str(uploads), "--quiet"], capture_output=True, text=True)
    assert media.returncode == 0, media.stderr
    return path


@pytest.fixture(scope="module")
def browser():
    executable = chromium()
    if executable is None:
        pytest.skip("Chromium not installed (scripts/test installs Debian's)")
    with headless(executable) as running:
        yield running


@pytest.fixture(scope="module", params=DATASETTES)
def server(request, archive_path):
    with served(request.param, archive_path) as base:
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.blocked, page.dialogs = [], []
    local_only(page, page.blocked)
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def post_id(archive_path, title: str) -> int:
    conn = connect(archive_path)
    try:
        return conn.execute("SELECT id FROM posts WHERE title = ?", (title,)).fetchone()[0]
    finally:
        conn.close()


def expected_thread(archive_path, post: int) -> dict[str, str | None]:
    """comment-<wp_id> -> the comment-<wp_id> it replies to, as the parent links give it (None at
    the top, and for a reply whose parent is hidden), for the comments a reader is shown."""
    conn = connect(archive_path)
    try:
        shown = {row[0]: row for row in conn.execute(
            f"SELECT id, wp_id, parent_id FROM comments WHERE post_id = ? AND status NOT IN {HIDDEN_STATUSES} "
            f"AND coalesce(type, '') NOT IN {PINGS}", (post,))}
    finally:
        conn.close()
    return {f"comment-{wp_id}": f"comment-{shown[parent][1]}" if parent in shown else None
            for _, wp_id, parent in shown.values()}


def test_the_thread_nests_as_the_parent_links_do(server, page, archive_path):
    post = post_id(archive_path, "Template: Comments")
    page.goto(f"{server}/-/wparchive/posts/{post}")
    rendered = page.eval_on_selector_all("#comments li.comment", """items => items.map(li => {
        let depth = 0;
        for (let up = li.parentElement.closest('li.comment'); up; up = up.parentElement.closest('li.comment')) depth++;
        const parent = li.parentElement.closest('li.comment');
        return [li.id, parent ? parent.id : null, depth, li.parentElement.tagName];
    })""")
    expected = expected_thread(archive_path, post)
    assert {li_id: parent for li_id, parent, _, _ in rendered} == expected
    assert len(rendered) == len(expected)  # no comment twice
    assert max(depth for _, _, depth, _ in rendered) + 1 == 10
    assert {tag for *_, tag in rendered} == {"OL"}
    deepest = max(rendered, key=lambda entry: entry[2])[0]
    assert page.is_visible(f"#{deepest} >> .comment-content")


def test_archived_images_come_from_the_archive_and_load(server, page, archive_path):
    page.goto(f"{server}/-/wparchive/posts/{post_id(archive_path, 'A curlew')}")
    page.wait_for_load_state("load")
    images = page.eval_on_selector_all(".post-content img", """imgs => imgs.map(img => ({
        src: img.getAttribute('src'), alt: img.alt, complete: img.complete, width: img.naturalWidth,
        height: img.naturalHeight}))""")
    assert len(images) == 1
    [image] = images
    assert image["src"].startswith("/-/wparchive/media/")
    assert image["alt"] == "A curlew"
    assert image["complete"] and (image["width"], image["height"]) == (IMAGE_WIDTH, IMAGE_HEIGHT)
    assert page.blocked == []  # nothing asked of another host


@pytest.mark.parametrize("where", ["reader", "row"])
def test_a_hostile_comment_never_runs(server, page, archive_path, where):
    post = post_id(archive_path, "Hostile")
    url = f"{server}/-/wparchive/posts/{post}" if where == "reader" else None
    if url is None:
        conn = connect(archive_path)
        comment_id = conn.execute("SELECT id FROM comments WHERE post_id = ? AND wp_id = 66", (post,)).fetchone()[0]
        conn.close()
        url = f"{server}/archive/comments/{comment_id}"
    page.goto(url)
    page.wait_for_load_state("load")
    title = page.title()
    assert "Hostile" in page.content()
    for link in page.query_selector_all("a:text('a link'), a:text('another'), button:text('go')"):
        link.click(no_wait_after=True)
    page.wait_for_timeout(200)  # give a handler that slipped through the time to run; not a timing assertion
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title() == title != "pwned"
    assert page.dialogs == []
    assert page.evaluate("""() => Array.from(document.querySelectorAll('.wparchive-html *')).flatMap(el =>
        Array.from(el.attributes).filter(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value))
        .map(a => el.tagName + ' ' + a.name))""") == []
    assert page.evaluate("document.querySelectorAll('.wparchive-html script, .wparchive-html iframe').length") == 0


def test_cjk_search_finds_the_title_and_leads_to_the_post(server, page, archive_path):
    page.goto(f"{server}/-/wparchive/search")
    page.fill("input[name=q]", "コントローラー")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("ol.search-results.posts")
    links = page.eval_on_selector_all("ol.search-results.posts a.result-link",
                                      "links => links.map(a => [a.textContent, a.querySelector('mark')?.textContent])")
    assert [TITLE, "コントローラー"] in links
    page.click(f"ol.search-results.posts a.result-link:has-text('{TITLE}')")
    page.wait_for_selector("h1.post-title")
    assert page.text_content("h1.post-title") == TITLE
    assert page.url.endswith(f"/-/wparchive/posts/{post_id(archive_path, TITLE)}")


def test_a_snippet_of_archived_markup_shows_it_as_text(server, page):
    page.goto(f"{server}/-/wparchive/search?q=quoted+markup")
    page.wait_for_selector("ol.search-results.comments li.search-result")
    snippet = page.text_content("ol.search-results.comments .snippet")
    assert "<img src=x onerror=" in snippet and "<script>" in snippet
    assert page.eval_on_selector_all(".snippet", "s => s.map(e => e.querySelectorAll('*:not(mark)').length)") == [0]
    assert page.eval_on_selector_all("ol.search-results.comments mark", "m => m.map(e => e.textContent)") == [
        "Quoted", "markup"]
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_datasettes_own_search_box_finds_a_two_letter_word(server, page):
    page.goto(f"{server}/archive/posts")
    page.fill("input[name=_search]", "役割")
    page.press("input[name=_search]", "Enter")
    page.wait_for_load_state("load")
    assert TITLE in page.text_content("table.rows-and-columns")
    assert parse_qs(urlsplit(page.url).query)["_search"] == ["役割"]  # the query as typed, rewritten only in SQL
