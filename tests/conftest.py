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


SHARED = _shared()
CORPUS = SHARED / "corpus"


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


def snapshot(conn):
    """Every row of the tables an import writes first: to show a refused input changed nothing."""
    return {t: rows(conn, f"SELECT * FROM {t}") for t in ("sites", "posts", "comments", "terms", "import_runs")}


@pytest.fixture
def filled(archive, write_wxr):
    """An archive holding one small export, for inputs that must leave it as it was."""
    run_import(archive, write_wxr(wxr(item(1)), "good.xml"))
    return archive


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


WORDPRESS = {"classic": 8765, "block": 8766, "norest": 8767, "sync": 8768,
             "media": 8769,  # uploads made with PHP GD (a -scaled original, sizes, srcset, a PDF, a 404)
             "revive": 8771, "revive_html": 8772,  # empty targets of the WXR export round trips
             "wayback": 8773,  # edited between wget --warc-file captures (the local CDX server replays them)
             # another instance for one of them (to record from a fresh one): WPARCHIVE_WORDPRESS_PORTS=sync=8778
             **{name: int(port) for name, _, port in (pair.partition("=") for pair in
                                                      os.environ.get("WPARCHIVE_WORDPRESS_PORTS", "").split(",") if pair)}}
HERE = Path(__file__).resolve().parent
RECORDINGS = HERE / "recordings"
RECORDING = os.environ.get("WPARCHIVE_RECORD") == "1"  # scripts/record-exchanges sets it


def wordpress_url(name: str) -> str:
    """Base URL of a test WordPress instance (tests/wordpress/start-all.sh starts them);
    WPARCHIVE_WORDPRESS=off treats them as absent."""
    import requests

    url = f"http://127.0.0.1:{WORDPRESS[name]}/"
    try:
        if os.environ.get("WPARCHIVE_WORDPRESS") == "off":
            raise requests.ConnectionError("WPARCHIVE_WORDPRESS=off")
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


def pytest_configure(config):
    config.addinivalue_line("markers", "recorded: runs live and from tests/recordings/ (the `mode` fixture)")


def pytest_collection_modifyitems(items):
    """Mark the tests of the live web, so scripts/record-exchanges finds every one of them."""
    for item in items:
        if "mode" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.recorded)


@pytest.fixture(scope="module", params=["live", "replay"])
def mode(request):
    """Each test of the live web runs twice: against the test WordPress ("live"; recording when
    WPARCHIVE_RECORD=1) and from its recording in tests/recordings/ ("replay", no network)."""
    if request.param == "replay" and RECORDING:
        pytest.skip("recording: scripts/record-exchanges replays once the recordings are written")
    return request.param


def exported(mode: str, name: str, path: Path) -> Path:
    """The instance's own WXR export, live (kept beside the recordings when recording) or as recorded."""
    import lzma

    kept = RECORDINGS / "exports" / f"{name}.xml.xz"
    if mode == "replay":
        path.write_bytes(lzma.decompress(kept.read_bytes()))
        return path
    wordpress_url(name)
    wordpress_export(name, path)
    if RECORDING:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(lzma.compress(path.read_bytes(), preset=9))
    return path


class Web:
    """The test WordPress as one scenario sees it: live, live and recorded into its cassette, or
    replayed from that cassette. Every Fetcher made while it is open (by the test, the CLI or a
    subprocess run through `argv`) goes through it; what the scenario changes on the WordPress and
    the values it picks are kept in the cassette as notes, so replay gets the same answers back."""

    def __init__(self, mode: str, cassette: Path):
        from importer.web.transport import Recorder, Replayer

        self.mode, self.cassette, self.plain = mode, cassette, cassette.with_suffix("")
        self.recording = mode == "live" and RECORDING
        if self.recording:  # a fresh cassette, kept even when the scenario sends nothing
            self.cassette.unlink(missing_ok=True)
            self.plain.parent.mkdir(parents=True, exist_ok=True)
            self.plain.write_bytes(b"")
        self.transport = (Replayer(cassette) if mode == "replay" else Recorder(self.plain) if self.recording
                          else None)

    def __enter__(self):
        from recorded import fetchers_use

        self._using = fetchers_use(self.transport)
        self._using.__enter__()
        return self

    def __exit__(self, *exc):
        from importer.web.transport import pack

        self._using.__exit__(*exc)
        if self.recording and self.plain.exists():
            pack(self.plain, self.cassette)

    def url(self, name: str) -> str:
        """The instance's base URL (on replay, the one recorded)."""
        return self.value(f"url of {name}", lambda: wordpress_url(name))

    def value(self, name: str, make):
        """A value the scenario picks live (a stamp, a port), the recorded one on replay."""
        if self.mode == "replay":
            return self._note("value", name)["output"]
        chosen = make()
        if self.recording:
            self.transport.note(value=name, output=chosen)
        return chosen

    def change(self, name: str, *args) -> str:
        """wordpress_change live; on replay, what it printed when recorded (and nothing is changed)."""
        args = [str(a) for a in args]
        if self.mode == "replay":
            return self._note("change", [name, *args])["output"]
        output = wordpress_change(name, *args)
        if self.recording:
            self.transport.note(change=[name, *args], output=output)
        return output

    def argv(self, *args, record: bool = True) -> list[str]:
        """The command line of `wparchive ARGS` in a subprocess that records or replays like this
        scenario (record=False: live, it sends without recording; it replays what others recorded)."""
        import sys

        runner = [sys.executable, str(HERE / "recorded.py")]
        if self.mode == "replay":
            return [*runner, "replay", str(self.cassette), str(self.transport.part), "--", *args]
        if self.recording and record:
            return [*runner, "record", str(self.plain), "--", *args]
        return [sys.executable, "-m", "importer", *args]

    def wparchive(self, *args, timeout: float = 300):
        """`wparchive ARGS`: live, a real process (recording like this scenario); on replay, the CLI
        in this process, replaying from where the scenario is, as a process of its own would."""
        import subprocess

        if self.mode != "replay":
            return subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=timeout)
        from click.testing import CliRunner
        from importer.cli import cli
        from importer.web.transport import Replayer
        from recorded import fetchers_use

        with fetchers_use(Replayer(self.cassette, self.transport.part)):
            done = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        return subprocess.CompletedProcess(args, done.exit_code, done.stdout, done.stderr)

    def _note(self, kind: str, what) -> dict:
        from importer.web.transport import NotRecorded

        note = self.transport.next_note()
        if note.get(kind) != what:
            raise NotRecorded(f"{self.cassette}: the scenario did {kind} {what}, the recording {note}; "
                              "re-record with scripts/record-exchanges")
        return note


def cassette_for(request) -> Path:
    """tests/recordings/<module>/<test>[-<params>].jsonl.xz; for a fixture wider than a test, <fixture>."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    name = request.node.originalname if request.scope == "function" else request.fixturename
    scenario = "-".join([name, *(str(v) for k, v in params.items() if k != "mode")])
    return RECORDINGS / request.module.__name__.removeprefix("test_") / f"{scenario}.jsonl.xz"


@pytest.fixture
def web(mode, request):
    with Web(mode, cassette_for(request)) as scenario:
        yield scenario
