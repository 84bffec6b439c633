import json
import os
import subprocess
from pathlib import Path

import pytest

from importer import connect, expand, import_input

REPO = Path(__file__).resolve().parent.parent


def _shared() -> Path:
    """../shared beside this checkout; for a clone made elsewhere, beside the checkout it was
    cloned from; WPARCHIVE_SHARED overrides both."""
    if os.environ.get("WPARCHIVE_SHARED"):
        return Path(os.environ["WPARCHIVE_SHARED"])
    candidates = [REPO.parent / "shared"]
    origin = subprocess.run(["git", "-C", str(REPO), "config", "remote.origin.url"],
                            capture_output=True, text=True).stdout.strip()
    if origin and "://" not in origin and Path(origin).is_dir():
        candidates.append(Path(origin).resolve().parent / "shared")
    return next((c for c in candidates if (c / "corpus").is_dir()), candidates[0])


CORPUS = _shared() / "corpus"


def corpus_dir() -> Path:
    """The shared corpus; its absence skips on a user's machine and fails in CI."""
    if not CORPUS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the corpus is missing at {CORPUS}")
        pytest.skip(f"corpus not present at {CORPUS}")
    return CORPUS


def corpus_stats() -> list[dict]:
    path = CORPUS / "stats.json"
    return json.loads(path.read_text())["files"] if path.exists() else []


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "archive.db"


@pytest.fixture
def archive(db_path):
    conn = connect(db_path)
    yield conn
    conn.close()


def run_import(conn, path, **options):
    """Import every export a path names; returns the reports."""
    return [import_input(conn, item, **options) for item in expand([str(path)])]


def rows(conn, sql, *params):
    return conn.execute(sql, params).fetchall()


def value(conn, sql, *params):
    return conn.execute(sql, params).fetchone()[0]


WXR_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Fixture Blog</title>
<link>http://fixture.example</link>
<pubDate>Mon, 02 Mar 2020 10:00:00 +0000</pubDate>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>http://fixture.example</wp:base_site_url>
<wp:base_blog_url>http://fixture.example</wp:base_blog_url>
"""


def item(post_id, title="A post", content="<p>Body</p>", extra="", post_type="post", status="publish",
         parent=0, creator="admin"):
    return f"""<item><title>{title}</title><link>http://fixture.example/?p={post_id}</link>
<dc:creator><![CDATA[{creator}]]></dc:creator><guid isPermaLink="false">http://fixture.example/?p={post_id}</guid>
<content:encoded><![CDATA[{content}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id><wp:post_date>2020-01-0{post_id % 9 + 1} 10:00:00</wp:post_date>
<wp:post_date_gmt>2020-01-0{post_id % 9 + 1} 09:00:00</wp:post_date_gmt><wp:post_name>post-{post_id}</wp:post_name>
<wp:status>{status}</wp:status><wp:post_parent>{parent}</wp:post_parent><wp:menu_order>0</wp:menu_order>
<wp:post_type>{post_type}</wp:post_type><wp:post_password></wp:post_password><wp:is_sticky>0</wp:is_sticky>
{extra}</item>
"""


def comment(comment_id, parent=0, approved="1", content="Nice post", comment_type="", author="Reader"):
    return f"""<wp:comment><wp:comment_id>{comment_id}</wp:comment_id><wp:comment_author><![CDATA[{author}]]></wp:comment_author>
<wp:comment_author_email>r@example.org</wp:comment_author_email><wp:comment_author_url>http://r.example</wp:comment_author_url>
<wp:comment_author_IP>10.0.0.1</wp:comment_author_IP><wp:comment_date>2020-01-05 10:00:00</wp:comment_date>
<wp:comment_date_gmt>0000-00-00 00:00:00</wp:comment_date_gmt><wp:comment_content><![CDATA[{content}]]></wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{comment_type}</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>
"""


def wxr(*parts, head=WXR_HEAD) -> str:
    return head + "".join(parts) + "</channel>\n</rss>\n"


@pytest.fixture
def write_wxr(tmp_path):
    def write(text, name="export.xml"):
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return path
    return write


WORDPRESS = {"classic": 8765, "block": 8766, "norest": 8767, "sync": 8768}
HERE = Path(__file__).resolve().parent


def wordpress_url(name: str) -> str:
    """Base URL of a test WordPress instance (tests/wordpress/start-all.sh starts them)."""
    import requests

    url = f"http://127.0.0.1:{WORDPRESS[name]}/"
    try:
        requests.get(url, timeout=5).raise_for_status()
    except requests.RequestException as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the test WordPress {url} is not up ({error}); scripts/test starts it")
        pytest.skip(f"test WordPress {url} not running (sudo tests/wordpress/start-all.sh)")
    return url


def wordpress_export(name: str, path: Path) -> Path:
    """The instance's own WXR, written by WordPress's export_wp()."""
    import subprocess

    subprocess.run(["php", str(HERE / "wordpress" / "export.php"), str(path)], check=True, capture_output=True,
                   env={**os.environ, "WP_LOCAL_PORT": str(WORDPRESS[name])})
    return path


def wordpress_change(name: str, *args) -> str:
    """Change the test WordPress as an author or moderator would (tests/wordpress/mutate.php)."""
    import subprocess

    done = subprocess.run(["php", str(HERE / "wordpress" / "mutate.php"), *map(str, args)], check=True,
                          capture_output=True, text=True, env={**os.environ, "WP_LOCAL_PORT": str(WORDPRESS[name])})
    return done.stdout.strip()
