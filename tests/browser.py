"""A real Datasette serving an archive, and Debian's Chromium driven headless through Playwright, for
the tests that look at pages as a reader's browser renders them (test_browser.py, test_reader.py)
and for scripts/screenshot."""
import os
import shutil
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETTE1 = ROOT / ".venvs" / "datasette1" / "bin" / "python"
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str | None:
    """The system Chromium (scripts/test installs Debian's); Playwright downloads none."""
    return os.environ.get("WPARCHIVE_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


@contextmanager
def datasette(db_path, python=sys.executable, wait=None):
    """`wparchive serve` on a free port for the block; the server's base URL, no slash. `wait` is
    local_servers.wait_until_serving in tests (it fails the test with Datasette's stderr)."""
    port = free_port()
    process = subprocess.Popen([str(python), "-m", "importer", "serve", "--db", str(db_path), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        (wait or _wait)(process, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def _wait(process, port: int):
    import time
    import urllib.request
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=1).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode().strip() or "Datasette stopped") from None
            time.sleep(0.1)
    raise RuntimeError(f"Datasette did not answer on port {port}")


@contextmanager
def headless(executable: str):
    """A Playwright browser on the given Chromium, for the block. Only 127.0.0.1 is reachable: every
    request elsewhere is aborted, so a page can neither leak nor load anything remote."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


def local_only(page, blocked: list):
    """Abort requests that leave 127.0.0.1, noting them in `blocked`."""
    def route(route):
        url = route.request.url
        if url.startswith("http://127.0.0.1:") or url.startswith("data:") or url == "about:blank":
            route.continue_()
        else:
            blocked.append(url)
            route.abort()
    page.route("**/*", route)
