"""Reader speed: a generated ~1 GB archive (66,000 posts, 660,000 comments) served by a real Datasette,
and the time and bytes of the pages a reader opens: the site page, a post page with 50 comments,
the posts and comments table pages and a search.

    python3 benchmarks/reader.py [--posts 66000] [--python .venvs/datasette1/bin/python] [--out FILE]

The archive is built once under benchmarks/out/reader/ (generate_wxr.py, then `wparchive import`)
and reused while its size matches; each page is fetched once to warm up, then --repeat times, and
the median is reported (client-side on 127.0.0.1, so server time plus a loopback round trip).
"""
import argparse
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))  # the free-port helper the served tests use
from browser import free_port  # noqa: E402
from generate_wxr import generate  # noqa: E402

OUT = HERE / "out" / "reader"
TARGETS = {"site page": (200, None), "post page, 50 comments": (100, None), "/archive/posts": (200, 150),
           "/archive/comments": (200, 150), "search": (300, None)}


def run(command: list[str]) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-800:]}")


def build(posts: int) -> Path:
    """The archive: the generated blog, plus a second small blog whose one post has 50 comments."""
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"archive-{posts}.db"
    if db.exists():
        return db
    big, fifty = OUT / f"blog-{posts}.xml", OUT / "fifty.xml"
    generate(big, posts, 10)
    generate(fifty, 1, 50, seed=7)
    fifty.write_text(fifty.read_text().replace("generated.example", "fifty.example"))
    partial = db.with_suffix(".partial.db")
    run([sys.executable, "-m", "importer", "import", "--db", str(partial), str(big), str(fifty)])
    partial.rename(db)
    big.unlink()
    return db


def pages(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    site_id = conn.execute("SELECT id FROM sites WHERE url_key = 'generated.example'").fetchone()[0]
    [post_id] = conn.execute("SELECT p.id FROM posts p JOIN sites s ON s.id = p.site_id "
                             "WHERE s.url_key = 'fifty.example'").fetchone()
    conn.close()
    search = "/-/wparchive/search?q=curlew+estuary"
    return {"site page": f"/-/wparchive/sites/{site_id}", "post page, 50 comments": f"/-/wparchive/posts/{post_id}",
            "/archive/posts": f"/{db.stem}/posts", "/archive/comments": f"/{db.stem}/comments",
            "search": search, "search (posts table)": f"/{db.stem}/posts?_search=curlew+estuary"}


def timed(url: str, repeat: int) -> tuple[float, int, int]:
    """(median milliseconds, bytes, status)."""
    requests.get(url, timeout=60)
    times, response = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        response = requests.get(url, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(response.content), response.status_code


def serve(python: str, db: Path):
    port = free_port()
    process = subprocess.Popen([python, "-m", "importer", "serve", "--db", str(db), "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=2)
            return process, port
        except requests.ConnectionError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("Datasette did not start")


def table(db: Path, python: str, repeat: int) -> list[str]:
    version = subprocess.run([python, "-c", "import datasette; print(datasette.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    posts, comments = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("posts", "comments"))
    conn.close()
    lines = [f"machine: {platform.machine()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
             f"Datasette {version}",
             f"archive: {db.stat().st_size / 1e9:.2f} GB, {posts:,} posts, {comments:,} comments; median of {repeat}",
             f"{'page':28} {'ms':>8} {'KB':>8} {'status':>6}  target"]
    process, port = serve(python, db)
    try:
        for name, path in pages(db).items():
            ms, size, status = timed(f"http://127.0.0.1:{port}{path}", repeat)
            ms_target, kb_target = TARGETS.get(name, (None, None))
            target = " ".join(filter(None, [ms_target and f"< {ms_target} ms", kb_target and f"< {kb_target} KB"]))
            met = "" if not target else ("ok" if (status == 200 and ms < ms_target
                                                 and (not kb_target or size / 1024 < kb_target)) else "MISSED")
            lines.append(f"{name:28} {ms:8.1f} {size / 1024:8.1f} {status:>6}  {target} {met}".rstrip())
    finally:
        process.terminate()
        process.wait(10)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=66000)
    parser.add_argument("--python", action="append", help="Python with Datasette (repeatable); default this one")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args()
    db = build(args.posts)
    lines = []
    for python in args.python or [sys.executable]:
        lines += table(db, python, args.repeat) + [""]
    print("\n".join(lines))
    if args.out:
        Path(args.out).write_text("\n".join(lines))


if __name__ == "__main__":
    main()
