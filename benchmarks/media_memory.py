"""Peak memory while one large media file downloads: a generated file (300 MB by default, written
a mebibyte at a time, never held) served from a local server and fetched by `download` into a
MediaFolder in a child process, whose peak RSS (ru_maxrss) is compared with a child that only
imports the same modules. The download must stay under 100 MB whatever the file's size.

    python3 benchmarks/media_memory.py [--megabytes 300] [--limit 100]
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHILD = """
import json, sys, time
from importer.archive.media_folder import MediaFolder
from importer.web.download import Fetchers, download
if sys.argv[1] == "download":
    url, db_path = sys.argv[2], sys.argv[3]
    started = time.perf_counter()
    folder = MediaFolder(db_path)
    with folder.receiving() as incoming:
        got = download(Fetchers((url.split("/")[2],), delay=0), url, incoming, max_bytes=1 << 40)
        stored = incoming.keep()
    print(json.dumps({"seconds": time.perf_counter() - started, "sha256": stored.sha256, "bytes": stored.bytes}))
"""


def generate(path: Path, megabytes: int) -> str:
    """A file of random mebibytes, written one at a time; its sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as file:
        for _ in range(megabytes):
            block = os.urandom(1 << 20)
            digest.update(block)
            file.write(block)
    return digest.hexdigest()


def server_for(path: Path) -> ThreadingHTTPServer:
    class Serve(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path != "/big.bin":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(path.stat().st_size))
            self.end_headers()
            with path.open("rb") as file:
                shutil.copyfileobj(file, self.wfile, 1 << 20)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def child_peak_kb(*args: str) -> tuple[int, str]:
    """Run the child script with `args` in its own process: its peak RSS in KiB and its output."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE, text=True)
    text = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # wait4: this child's own peak, not the maximum of all children
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"child {args[0]} failed")
    return usage.ru_maxrss, text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--limit", type=int, default=100, help="peak RSS allowed, in MB")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="media-memory-") as work:
        work = Path(work)
        started = time.perf_counter()
        sha256 = generate(work / "big.bin", options.megabytes)
        print(f"generated {options.megabytes} MiB in {time.perf_counter() - started:.1f} s")
        server = server_for(work / "big.bin")
        try:
            floor_kb, _ = child_peak_kb("imports")
            url = f"http://127.0.0.1:{server.server_address[1]}/big.bin"
            peak_kb, output = child_peak_kb("download", url, str(work / "bench.db"))
        finally:
            server.shutdown()
        result = json.loads(output)
    megabytes = result["bytes"] / 1e6
    print(f"downloaded {result['bytes']:,} bytes in {result['seconds']:.2f} s: {megabytes / result['seconds']:.0f} MB/s")
    print(f"peak RSS: {peak_kb / 1024:.1f} MiB downloading, {floor_kb / 1024:.1f} MiB for the imports alone "
          f"(limit {options.limit} MB)")
    if result["sha256"] != sha256:
        sys.exit("the stored file's sha256 is not the served file's")
    if peak_kb * 1024 > options.limit * 1e6:
        sys.exit(f"peak RSS over {options.limit} MB")
    print("stored whole (sha256 matches), memory flat")


if __name__ == "__main__":
    main()
