"""A real Datasette serving an archive, once for each Datasette the plugin supports (0.65, the
system one, and 1.0 in .venvs/datasette1), for the tests of the pages we serve (test_reader, test_search,
test_browser, test_media_serve); and a small real PNG for those tests to archive and load."""
import struct
import sys
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest

from browser import DATASETTE1, datasette
from local_servers import wait_until_serving

DATASETTES = [pytest.param(Path(sys.executable), id="datasette-0.65"), pytest.param(DATASETTE1, id="datasette-1.0")]


@contextmanager
def served(python: Path, db_path):
    """`wparchive serve --db db_path` run by that Datasette's Python for the block; its base URL.
    Skips where that Python is not installed (scripts/test installs both)."""
    if not Path(python).exists():
        pytest.skip(f"{python} not installed (scripts/test installs it)")
    with datasette(db_path, python, wait=wait_until_serving) as base:
        yield base


def png(width: int, height: int) -> bytes:
    """A valid PNG of red pixels, made here so the tests need no image files; a browser must decode
    it for naturalWidth to be its width."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
