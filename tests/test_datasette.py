"""A real Datasette (0.65, and 1.0 where its environment is installed) serving an archive built
from the corpus: canned queries, full-text search, foreign-key labels and sanitised HTML."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import WXR_HEAD, comment, corpus_dir, item, run_import, wxr
from local_servers import wait_until_serving
from importer import connect

ROOT = Path(__file__).resolve().parent.parent
DATASETTE1 = ROOT / ".venvs" / "datasette1" / "bin" / "python"
HOSTILE = ('<p>Hi</p><script>alert(1)</script><img src="https://tracker.example/x.gif" onerror="alert(2)">'
           '<a href="javascript:alert(3)" onclick="alert(4)">link</a><iframe src="https://evil.example"></iframe>')


def pythons():
    yield pytest.param(sys.executable, id="datasette-0.65")
    yield pytest.param(DATASETTE1, id="datasette-1.0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "archive.db"
    conn = connect(path)
    run_import(conn, corpus_dir() / "wxr" / "theme-unit-test-data.xml")
    run_import(conn, ROOT / "samples" / "sample-blog.xml")
    pinging = tmp_path_factory.mktemp("pinging") / "coastal.xml"
    pinging.write_text(wxr(item(7, title="Winter roundup").replace("http://fixture.example/?p=7",
                                                                    "https://coastal-birding.example/winter-roundup/"),
                           head=WXR_HEAD.replace("http://fixture.example", "https://coastal-birding.example")))
    run_import(conn, pinging)
    hostile = tmp_path_factory.mktemp("hostile") / "hostile.xml"
    hostile.write_text(wxr(item(1, title="Hostile", extra=comment(66, content=HOSTILE, author="Mallory"))))
    run_import(conn, hostile)
    conn.close()
    return path


@pytest.fixture(scope="module", params=list(pythons()))
def server(request, archive_path):
    python = Path(request.param)
    if not python.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{python} missing: scripts/test installs Datasette 1.0 there")
        pytest.skip(f"{python} not installed (scripts/test installs it)")
    port = free_port()
    process = subprocess.Popen([str(python), "-m", "importer", "serve", "--db", str(archive_path), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    base = f"http://127.0.0.1:{port}/archive"
    wait_until_serving(process, port)
    yield base
    process.terminate()
    process.wait(10)


def get(url, **params):
    response = requests.get(url, params={**params, "_shape": "array"}, timeout=10)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_thread_query_puts_replies_under_their_parent(server):
    [post] = get(f"{server}.json", sql="SELECT id, site_id, wp_id FROM posts WHERE title = 'Template: Comments'")
    thread = get(f"{server}/post_thread.json", site=post["site_id"], wp_id=post["wp_id"])
    assert {row["post_id"] for row in thread} == {post["id"]}
    assert len(thread) == 20  # 19 approved, 1 pending
    assert max(row["depth"] for row in thread) == 9
    ids = {}
    for position, row in enumerate(thread):
        parent = get(f"{server}.json", sql=f"SELECT parent_id FROM comments WHERE id = {row['id']}")[0]["parent_id"]
        if parent is not None:
            assert parent in ids and thread[ids[parent]]["depth"] == row["depth"] - 1
        ids[row["id"]] = position


def test_canned_queries_answer(server):
    top = get(f"{server}/most_discussed.json")
    assert (top[0]["title"], top[0]["comments"]) == ("Template: Comments", 19)
    jonas = get(f"{server}/comments_by_person.json", who="jonas@example.org")
    assert [row["post"] for row in jonas] == ["Curlews on the estuary"] * 2 + ["Over the Col de la Croix"]
    months = get(f"{server}/posts_per_month.json")
    assert {"site": "https://fieldnotes.example", "month": "2024-01", "posts": 1} in months
    [site] = get(f"{server}.json", sql="SELECT id FROM sites WHERE url = 'https://fieldnotes.example'")
    tree = get(f"{server}/category_tree.json", site_id=site["id"])
    assert [(row["path"], row["posts"]) for row in tree] == [("Birds", 0), ("Birds › Waders", 1), ("Cycling", 1)]
    [ping] = get(f"{server}/pingbacks_between_posts.json")
    assert (ping["from_site"], ping["from_post"], ping["to_site"], ping["to_post"]) == (
        "https://coastal-birding.example", "Winter roundup", "https://fieldnotes.example", "Curlews on the estuary")


def test_search_finds_a_phrase_from_a_comment(server):
    found = get(f"{server}/comments.json", _search="colour-ringed bird here")
    assert [row["wp_id"] for row in found] == [100]
    posts = get(f"{server}/posts.json", _search="marmot whistled")
    assert [row["title"] for row in posts] == ["Over the Col de la Croix"]


def test_foreign_keys_come_with_labels(server):
    [row] = get(f"{server}/comments.json", _labels="on", wp_id=101)
    assert row["post_id"]["label"] == "Curlews on the estuary"
    assert row["parent_id"]["label"] == "Jonas"
    assert row["site_id"]["label"] == "Field Notes"


def test_hostile_comment_renders_without_script_or_handlers(server):
    [row] = get(f"{server}/comments.json", wp_id=66)
    page = requests.get(f"{server}/comments/{row['id']}", timeout=10).text
    assert "Hi" in page and "link</a>" in page
    for forbidden in ("alert(1)", "onerror", "onclick", "javascript:", 'src="https://tracker.example', "<iframe"):
        assert forbidden not in page
    assert '<a href="https://tracker.example/x.gif"' in page  # the image not archived: shown as its link


def test_tables_show_descriptions_and_default_facets(server):
    page = requests.get(f"{server}/posts", timeout=10).text
    assert "Every post type: posts, pages, attachments" in page
    for column in ("type", "status", "site_id"):
        assert f'id="facet-{column}"' in page
    comments = requests.get(f"{server}/comments", timeout=10).text
    assert 'id="facet-type"' in comments and 'id="facet-status"' in comments
