"""Export benchmark: `wparchive export` of a large archive beside `wparchive import` of the same
generated WXR, in one run on one machine: wall time, throughput and peak resident memory (the
process tree, sampled every 10 ms).

    python benchmarks/export.py [--posts 66000] [--comments-per-post 10] [--max-file-size 15MB]

66,000 posts with 10 comments each make about 1 GB of WXR (benchmarks/generate_wxr.py). The
generated file is kept in benchmarks/out/ and reused; the archive and the export are made fresh.
"""
import argparse
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from bench import OUT, measure, remove

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=66000)
    parser.add_argument("--comments-per-post", type=int, default=10)
    parser.add_argument("--max-file-size", default="15MB")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    source = OUT / f"export-{args.posts}.xml"
    if not source.exists():
        subprocess.run([sys.executable, str(HERE / "generate_wxr.py"), str(source), "--posts", str(args.posts),
                        "--comments-per-post", str(args.comments_per_post)], check=True)
    db, folder = OUT / "export-bench.db", OUT / "export-bench"
    remove(db)
    shutil.rmtree(folder, ignore_errors=True)
    size = source.stat().st_size
    wparchive = [sys.executable, "-m", "importer"]
    import_s, import_mb = measure([*wparchive, "import", str(source), "--db", str(db), "-q"])
    export_s, export_mb = measure([*wparchive, "export", "--db", str(db), "--out", str(folder), "-q",
                                   "--max-file-size", args.max_file_size])
    written = sorted(folder.iterdir())
    out_bytes = sum(p.stat().st_size for p in written)
    single = OUT / "export-bench-one.xml"
    one_s, one_mb = measure([*wparchive, "export", "--db", str(db), "-o", str(single), "-q", "--max-file-size", "0"])
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{Path('/proc/cpuinfo').read_text().count('processor')} CPUs")
    print(f"input: {source.name}, {size / 1e6:,.0f} MB, {args.posts:,} posts, {args.comments_per_post} comments each; "
          f"archive {db.stat().st_size / 1e6:,.0f} MB")
    print(f"{'step':<38}{'seconds':>9}{'MB/s':>8}{'peak RSS MB':>13}")
    print(f"{'import (the WXR)':<38}{import_s:>9.1f}{size / 1e6 / import_s:>8.1f}{import_mb:>13.0f}")
    print(f"{f'export --out, {len(written)} parts of {args.max_file_size}':<38}{export_s:>9.1f}"
          f"{out_bytes / 1e6 / export_s:>8.1f}{export_mb:>13.0f}")
    print(f"{'export -o, one file':<38}{one_s:>9.1f}{single.stat().st_size / 1e6 / one_s:>8.1f}{one_mb:>13.0f}")
    print(f"export wrote {out_bytes / 1e6:,.0f} MB; export / import time: {export_s / import_s:.2f}")
    remove(db)
    single.unlink()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
