"""The fleet at scale: stand-in blogs (tests/standin_blogs.py, a set latency per request), most on
hosts of their own and some on a few shared hosts, first-scraped through `wparchive fleet run
--jobs N` and through Celery (`fleet worker` processes, each running steps in threads, on a
redis-server of the benchmark's own). Prints sites per hour, requests per second per host (the
most in any one-second window, against the limit 1/--delay), the closest two requests to one host
came, and peak memory (the run's process, each worker); saves the table to --out.

    python3 benchmarks/fleet.py --sites 1000 --latency 0.05 --delay 0.25 --jobs 32 --workers 4
"""
import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from standin_blogs import StandIn  # noqa: E402

WPARCHIVE = [sys.executable, "-m", "importer"]


def make_blogs(standin, sites: int, shared_hosts: int, per_shared: int) -> tuple[list[str], set[int]]:
    urls, shared = [], set()
    for _ in range(shared_hosts):
        port = standin.host()
        shared.add(port)
        urls += [standin.shared_blog(port).base for _ in range(per_shared)]
    urls += [standin.blog().base for _ in range(sites - len(urls))]
    return urls, shared


def rates(standin, ports) -> tuple[int, float, int]:
    """(most requests to one host in any one-second window, closest gap in seconds, requests)."""
    most, closest, total = 0, float("inf"), 0
    for port in ports:
        times = standin.times(port)
        total += len(times)
        start = 0
        for end, moment in enumerate(times):
            while times[start] <= moment - 1.0:
                start += 1
            most = max(most, end - start + 1)
            if end:
                closest = min(closest, moment - times[end - 1])
    return most, closest, total


def forget_requests(standin):
    for log in standin.requests.values():
        log.clear()


def add_sites(folder: Path, urls: list[str]):
    listing = folder.parent / f"{folder.name}-sites.txt"
    listing.write_text("\n".join(urls) + "\n")
    subprocess.run([*WPARCHIVE, "fleet", "add", "--fleet", str(folder), "--from", str(listing)], check=True,
                   stdout=subprocess.DEVNULL)


def embedded(folder: Path, urls, args) -> dict:
    add_sites(folder, urls)
    started = time.monotonic()
    done = subprocess.run([*WPARCHIVE, "fleet", "run", "--fleet", str(folder), "--jobs", str(args.jobs), "--delay",
                           str(args.delay), "--allow-private", "--quiet"], capture_output=True, text=True)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "summary": done.stdout.strip().splitlines()[-1], "peak": f"{peak:.0f} MiB (run)"}


def celery(folder: Path, urls, args) -> dict:
    add_sites(folder, urls)
    port = args.redis_port
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)
    broker = f"redis://127.0.0.1:{port}/0"
    workers = []
    try:
        time.sleep(0.5)
        for n in range(args.workers):
            log = open(folder / f"worker{n}.log", "wb")
            workers.append(subprocess.Popen([*WPARCHIVE, "fleet", "worker", "--fleet", str(folder), "--broker", broker,
                                             "--concurrency", str(args.jobs // args.workers)],
                                            stdout=log, stderr=subprocess.STDOUT))
        for n in range(args.workers):
            while b" ready." not in (folder / f"worker{n}.log").read_bytes():
                time.sleep(0.1)
        started = time.monotonic()
        done = subprocess.run([*WPARCHIVE, "fleet", "run", "--fleet", str(folder), "--broker", broker, "--delay",
                               str(args.delay), "--allow-private", "--quiet"], capture_output=True, text=True)
        seconds = time.monotonic() - started
        peaks = [_peak_kib(w.pid) / 1024 for w in workers]
        redis_peak = _peak_kib(redis.pid) / 1024
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        redis.terminate()
        redis.wait(10)
    return {"seconds": seconds, "summary": done.stdout.strip().splitlines()[-1],
            "peak": f"{max(peaks):.0f} MiB per worker (x{len(peaks)}), redis {redis_peak:.0f} MiB"}


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def disk(folder: Path) -> float:
    return sum(p.stat().st_size for p in (folder / "sites").glob("*.db")) / len(list((folder / "sites").glob("*.db")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--shared-hosts", type=int, default=4)
    parser.add_argument("--per-shared", type=int, default=25, help="blogs on each shared host")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the stand-in takes per request")
    parser.add_argument("--delay", type=float, default=0.25, help="seconds between requests to one host")
    parser.add_argument("--jobs", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--redis-port", type=int, default=6399)
    parser.add_argument("--out", default="/work/notes/fleet-bench.txt")
    args = parser.parse_args()
    rows = []
    with StandIn(latency=args.latency) as standin, tempfile.TemporaryDirectory() as tmp:
        urls, shared = make_blogs(standin, args.sites, args.shared_hosts, args.per_shared)
        own = set(standin.requests) - shared
        for name, run in ((f"fleet run --jobs {args.jobs}", embedded),
                          (f"celery, {args.workers} workers x {args.jobs // args.workers} threads", celery)):
            forget_requests(standin)
            folder = Path(tmp) / run.__name__
            result = run(folder, urls, args)
            shared_most, shared_gap, shared_requests = rates(standin, shared)
            own_most, own_gap, own_requests = rates(standin, own)
            rows.append((name, result, shared_most, shared_gap, own_most, own_gap,
                         shared_requests + own_requests, disk(folder)))
    limit = 1 / args.delay
    lines = [f"fleet benchmark: {args.sites} stand-in sites ({args.shared_hosts} shared hosts x {args.per_shared} blogs, "
             f"the rest one host each; 3 posts, 3 comments each), {args.latency * 1000:.0f} ms per request, "
             f"--delay {args.delay} (limit {limit:g} requests/s per host), first scrape of every site; "
             f"{os.cpu_count()} CPUs",
             f"{'run':<34}{'seconds':>9}{'sites/hour':>12}{'requests':>10}{'req/s':>8}"
             f"{'shared host max/s':>19}{'min gap':>9}{'own host max/s':>16}{'min gap':>9}  peak memory / result"]
    for name, result, shared_most, shared_gap, own_most, own_gap, requests, size in rows:
        lines.append(f"{name:<34}{result['seconds']:>9.1f}{args.sites / result['seconds'] * 3600:>12,.0f}"
                     f"{requests:>10}{requests / result['seconds']:>8.1f}{shared_most:>19}{shared_gap:>9.3f}"
                     f"{own_most:>16}{own_gap:>9.3f}  {result['peak']}; {result['summary']}")
    lines.append(f"archive file per site: {rows[-1][-1] / 1024:.0f} KiB on average (3 posts, 3 comments)")
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
