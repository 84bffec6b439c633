"""What a re-sync costs, side by side in one run: this checkout against an earlier commit, on
the same blogs at the same moments. For each blog: a scrape, then an unchanged sync, a sync
after one new comment, and a sync after one edited post (the changes made with
tests/wordpress/mutate.php), each with its requests and seconds.

    python benchmarks/sync_report.py --old 10291d4 PORT [PORT ...]

The blogs must be test WordPress instances on 127.0.0.1 (tests/wordpress/up.sh PORT); they are
changed: one comment added and one post edited per run.
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTATE = ROOT / "tests" / "wordpress" / "mutate.php"


def wparchive(code: Path, *args) -> float:
    """Run `wparchive ARGS` from a checkout (from a neutral folder, so that checkout's code runs)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "importer", *args], cwd=tempfile.gettempdir(),
                          env={**os.environ, "PYTHONPATH": str(code)}, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{code}: wparchive {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.monotonic() - started


def last_requests(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        if table == "sync_runs":
            return conn.execute("SELECT requests FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        counts = conn.execute("SELECT counts FROM import_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        return __import__("json").loads(counts).get("requests", 0)


def change(port: int, *args) -> str:
    return subprocess.run(["php", str(MUTATE), *map(str, args)], check=True, capture_output=True, text=True,
                          env={**os.environ, "WP_LOCAL_PORT": str(port)}).stdout.strip()


def a_post(port: int) -> int:
    """A published post with comments open, through the REST API or the feed's guid."""
    import json
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/?rest_route=/wp/v2/posts&per_page=1&_fields=id") as r:
        return json.loads(r.read())[0]["id"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ports", nargs="+", type=int)
    parser.add_argument("--old", default="10291d4", help="the commit to compare with")
    options = parser.parse_args()
    old = Path(tempfile.mkdtemp(prefix="wparchive-old-"))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-f", str(old), options.old], check=True,
                   capture_output=True)
    codes = {f"before ({options.old})": old, "after": ROOT}
    try:
        print(f"{'blog':<24}{'step':<26}" + "".join(f"{name:>28}" for name in codes))
        for port in options.ports:
            url = f"http://127.0.0.1:{port}/"
            folder = Path(tempfile.mkdtemp(prefix="wparchive-sync-"))
            dbs = {name: folder / f"{i}.db" for i, name in enumerate(codes)}
            steps = [("scrape", None)] + [("sync, unchanged", None), ("sync after 1 new comment", "comment"),
                                          ("sync after 1 edited post", "edit")]
            for step, mutation in steps:
                if mutation == "comment":
                    change(port, "add-comment", a_post(port), "Benchmark Reader", f"Written at {time.time()}.")
                elif mutation == "edit":
                    change(port, "edit-post", a_post(port), f"<p>Edited at {time.time()}.</p>")
                if mutation:
                    time.sleep(1.5)  # past the second the change was stamped with
                cells = []
                for name, code in codes.items():
                    db = dbs[name]
                    if step == "scrape":
                        seconds = wparchive(code, "scrape", url, "--db", str(db), "--delay", "0", "--quiet")
                        requests = last_requests(db, "import_runs")
                    else:
                        extra = ["--allow-private"] if code == ROOT else []
                        seconds = wparchive(code, "sync", "--db", str(db), "--delay", "0", "--quiet", *extra)
                        requests = last_requests(db, "sync_runs")
                    cells.append(f"{requests:>6} requests {seconds:>6.2f} s")
                print(f"{url:<24}{step:<26}" + "".join(f"{cell:>28}" for cell in cells), flush=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], capture_output=True)


if __name__ == "__main__":
    main()
