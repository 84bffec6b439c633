"""The test WordPress's uploads (8769, tests/wordpress/media.php) fetched by `wparchive media
--delay 0` and by `wget --mirror` of the same URLs, side by side in the same run: files, MB, seconds
and MB/s (each a whole process, start-up included), then what a second, unchanged run of each
takes and asks the server (its time is mostly the tool's own start-up). Requests are counted from the server's own uploads log (router.php), not from
the tools' reports. Each round imports the instance's WXR into a fresh archive first (not timed).

    python3 benchmarks/media.py [--port 8769] [--rounds 3]
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log_of(port: int) -> Path:
    return Path(os.environ.get("WP_LOCAL_STATE", "/var/lib/wp-local")) / str(port) / "log" / "uploads.log"


def asked_since(log: Path, start: int) -> list[str]:
    with log.open("rb") as file:
        file.seek(start)
        return file.read().decode().splitlines()


def timed(log: Path, command: list[str]) -> tuple[float, list[str]]:
    """Seconds the command took, and the uploads requests the server logged meanwhile."""
    start = log.stat().st_size if log.exists() else 0
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began, asked_since(log, start) if log.exists() else []


def wparchive(*args) -> list[str]:
    return [sys.executable, "-m", "importer", *map(str, args)]


def held(db: Path) -> tuple[list[str], int, int]:
    """(URLs fetched, files, bytes) the archive holds."""
    with sqlite3.connect(db) as conn:
        fetched = [url for (url,) in conn.execute("SELECT url FROM media_urls WHERE status = 'fetched' ORDER BY url")]
        files, size = conn.execute("SELECT count(*), coalesce(sum(bytes), 0) FROM media_files").fetchone()
    return fetched, files, size


def tree(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


def one_round(port: int, log: Path, work: Path) -> dict:
    db = work / "archive.db"
    export = work / "export.xml"
    subprocess.run(["php", str(ROOT / "tests" / "wordpress" / "export.php"), str(export)], check=True,
                   capture_output=True, env={**os.environ, "WP_LOCAL_PORT": str(port)})
    subprocess.run(wparchive("import", "--db", db, export), check=True, capture_output=True, cwd=ROOT)
    media = wparchive("media", "--db", db, "--delay", "0", "--allow-private", "--quiet")
    seconds, first = timed(log, media)
    urls, files, size = held(db)
    again, second = timed(log, media)
    (work / "urls.txt").write_text("\n".join(urls) + "\n")
    mirror = ["wget", "--mirror", "--no-host-directories", "--quiet", "-P", str(work / "mirror"),
              "-i", str(work / "urls.txt")]
    wget_seconds, wget_first = timed(log, mirror)
    wget_files, wget_size = tree(work / "mirror")
    wget_again, wget_second = timed(log, mirror)
    return {"wparchive": (files, size, seconds, len(first), again, len(second)),
            "wget --mirror": (wget_files, wget_size, wget_seconds, len(wget_first), wget_again, len(wget_second))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8769)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    log = log_of(options.port)
    if shutil.which("wget") is None:
        print("wget not installed (scripts/test installs it)", file=sys.stderr)
        return 2
    rounds = []
    for _ in range(options.rounds):
        with tempfile.TemporaryDirectory(prefix="wparchive-media-bench-") as work:
            rounds.append(one_round(options.port, log, Path(work)))
    print(f"uploads of http://127.0.0.1:{options.port}/ ({options.rounds} rounds, medians; requests from the server's log)")
    print(f"{'tool':<14} {'files':>5} {'MB':>6} {'seconds':>8} {'MB/s':>6} {'requests':>8} "
          f"{'2nd run s':>9} {'2nd run requests':>16}")
    for tool in ("wparchive", "wget --mirror"):
        files, size = rounds[0][tool][:2]
        seconds, first, again, second = (statistics.median(r[tool][column] for r in rounds) for column in (2, 3, 4, 5))
        print(f"{tool:<14} {files:>5} {size / 1e6:>6.2f} {seconds:>8.3f} {size / 1e6 / seconds:>6.1f} {first:>8.0f} "
              f"{again:>9.3f} {second:>16.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
