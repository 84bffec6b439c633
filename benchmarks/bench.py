"""Import benchmarks: the floor, wparchive (fresh, unchanged re-import, forced re-read) and Pelican's
WXR reader, on generated exports, measured in one run on one machine. With --scrape URL, also
`wparchive scrape` of that blog at the default politeness and with --delay 0, and a re-sync.

    benchmarks/run [--large] [--repeat N] [--scrape http://127.0.0.1:8765/] [--compare REV]

With --compare REV the wparchive rows are also measured for that commit (checked out beside, run
from a neutral folder), interleaved with this checkout's, so the two are compared in one run.
"""
import argparse
import compileall
import contextlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SIZES = {"30 MB": 2000, "300 MB": 20000}
LARGE = {"1 GB": 66000}
PELICAN_VENV = OUT / "venv-pelican"
PELICAN_READ = ("import sys; from pelican.tools.pelican_import import wp2fields; "
                "n = sum(1 for _ in wp2fields(sys.argv[1])); print(n, 'posts')")


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def measure(command: list[str], code: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MB (the process tree, sampled every 10 ms); `code` runs
    another checkout's package."""
    started = time.perf_counter()
    where = {"cwd": "/", "env": {**os.environ, "PYTHONPATH": str(code)}} if code else {}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **where)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_kb(process.pid))
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    if process.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-500:]}")
    return seconds, peak / 1024


def best(command, repeat, before=None, code=None):
    results = []
    for _ in range(repeat):
        if before:
            before()
        results.append(measure(command, code))
    return min(r[0] for r in results), max(r[1] for r in results)


def remove(*paths):
    for path in paths:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def pelican_python() -> str | None:
    python = PELICAN_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PELICAN_VENV)], check=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "pelican", "beautifulsoup4", "lxml"])
        if done.returncode != 0:
            return None
    return str(python)


def run(sizes: dict, repeat: int, compare: Path | None = None):
    OUT.mkdir(exist_ok=True)
    # An installed package carries its bytecode; a checkout under PYTHONDONTWRITEBYTECODE would
    # compile every module on every run, a cost users do not pay.
    compileall.compile_dir(HERE.parent / "importer", quiet=1)
    if compare:
        compileall.compile_dir(compare / "importer", quiet=1)
    wparchive = [sys.executable, "-m", "importer", "import", "-q"]
    rows = []
    for label, posts in sizes.items():
        export = OUT / f"export-{posts}.xml"
        if not export.exists():
            subprocess.run([sys.executable, str(HERE / "generate_wxr.py"), str(export), "--posts", str(posts),
                            "--comments-per-post", "10"], check=True)
        mb = export.stat().st_size / 1e6
        floor_db, db = OUT / "floor.db", OUT / "bench.db"
        floor = best([sys.executable, str(HERE / "floor.py"), str(export), str(floor_db)], repeat,
                     lambda: remove(floor_db))
        rows.append((label, "floor (iterparse + executemany)", *floor, mb, floor[0]))
        if compare:
            fresh = best(wparchive + [str(export), "--db", str(db)], repeat, lambda: remove(db), compare)
            rows.append((label, f"{compare.name} import, fresh archive", *fresh, mb, floor[0]))
            forced = best(wparchive + [str(export), "--db", str(db), "--force"], repeat, code=compare)
            rows.append((label, f"{compare.name} import --force, unchanged", *forced, mb, floor[0]))
            remove(db)
        fresh = best(wparchive + [str(export), "--db", str(db)], repeat, lambda: remove(db))
        rows.append((label, "wparchive import, fresh archive", *fresh, mb, floor[0]))
        again = best(wparchive + [str(export), "--db", str(db)], repeat)
        rows.append((label, "wparchive import, same file again", *again, mb, floor[0]))
        forced = best(wparchive + [str(export), "--db", str(db), "--force"], repeat)
        rows.append((label, "wparchive import --force, unchanged", *forced, mb, floor[0]))
        if posts == min(sizes.values()):
            python = pelican_python()
            if python:
                pelican = best([python, "-c", PELICAN_READ, str(export)], 1)
                rows.append((label, "pelican-import WXR reader (no DB)", *pelican, mb, floor[0]))
        remove(floor_db, db)
    print_table(rows)


def print_table(rows):
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {__import__('sqlite3').sqlite_version}, {platform.platform()}")
    print(f"{'size':<8}{'what':<44}{'seconds':>9}{'MB/s':>8}{'peak RSS MB':>13}{'x floor':>9}")
    for label, what, seconds, rss, mb, floor in rows:
        print(f"{label:<8}{what:<44}{seconds:>9.2f}{mb / seconds:>8.1f}{rss:>13.0f}{floor / seconds:>9.2f}")
    print("x floor = throughput relative to the floor on the same file (above 1 is faster than the floor)")


def scrape_table(url: str):
    """Requests per second of a scrape at the default delay and with none, and a re-sync after."""
    import sqlite3

    db = OUT / "scrape.db"
    print(f"\nscrape of {url}")
    print(f"{'what':<36}{'requests':>9}{'seconds':>9}{'req/s':>8}")
    for label, options in (("scrape, default politeness", []), ("scrape --delay 0", ["--delay", "0"])):
        remove(db)
        seconds, _ = measure([sys.executable, "-m", "importer", "scrape", url, "--db", str(db), "-q", *options])
        with sqlite3.connect(db) as conn:
            requests = conn.execute("SELECT json_extract(counts, '$.requests') FROM import_runs "
                                    "ORDER BY id DESC LIMIT 1").fetchone()[0]
        print(f"{label:<36}{requests:>9}{seconds:>9.2f}{requests / seconds:>8.1f}")
    seconds, _ = measure([sys.executable, "-m", "importer", "sync", "--db", str(db), "-q", "--delay", "0",
                          "--allow-private"])
    with sqlite3.connect(db) as conn:
        requests = conn.execute("SELECT requests FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    print(f"{'re-sync, blog unchanged, --delay 0':<36}{requests:>9}{seconds:>9.2f}{requests / seconds:>8.1f}")
    remove(db)


@contextlib.contextmanager
def checkout(rev: str | None):
    """A worktree of `rev` for the run (None: no comparison)."""
    if not rev:
        yield None
        return
    folder = OUT / f"wparchive@{rev}"
    subprocess.run(["git", "-C", str(HERE.parent), "worktree", "add", "-f", str(folder), rev], check=True,
                   capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(HERE.parent), "worktree", "remove", "--force", str(folder)],
                       capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also the 1 GB export")
    parser.add_argument("--repeat", type=int, default=3,
                        help="best of N runs per measurement (default 3: this kind of VM's timings wander)")
    parser.add_argument("--scrape", metavar="URL", help="also time scraping this blog (the test WordPress)")
    parser.add_argument("--no-import", action="store_true", help="skip the import benchmarks")
    parser.add_argument("--compare", metavar="REV", help="also measure the import of this commit, in the same run")
    parser.add_argument("--sizes", help="only these sizes, e.g. '300 MB'")
    args = parser.parse_args()
    sizes = {**SIZES, **(LARGE if args.large else {})}
    if args.sizes:
        sizes = {k: v for k, v in sizes.items() if k in args.sizes.split(",")}
    if not args.no_import:
        with checkout(args.compare) as compare:
            run(sizes, args.repeat, compare)
    if args.scrape:
        scrape_table(args.scrape)


if __name__ == "__main__":
    main()
