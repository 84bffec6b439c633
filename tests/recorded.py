"""Every Fetcher of a process on one transport: how the CLI, in-process or as a subprocess,
records or replays a test's exchanges (importer/web/transport.py) without a switch of its own.

    python tests/recorded.py record CASSETTE -- sync --db archive.db
    python tests/recorded.py replay CASSETTE PART -- sync --db archive.db
"""
import contextlib
import sys

from importer.web.fetcher import Fetcher
from importer.web.transport import Recorder, Replayer


@contextlib.contextmanager
def fetchers_use(transport):
    """Fetchers made inside this block without a transport of their own get `transport`."""
    made = Fetcher.__post_init__

    def post_init(self):
        if self.transport is None:
            self.transport = transport
        made(self)

    Fetcher.__post_init__ = post_init
    try:
        yield transport
    finally:
        Fetcher.__post_init__ = made


def main(argv: list[str]):
    split = argv.index("--")
    how, cassette, *part = argv[:split]
    transport = Recorder(cassette) if how == "record" else Replayer(cassette, int(part[0]))
    from importer.cli import main as wparchive

    sys.argv = ["wparchive", *argv[split + 1:]]
    with fetchers_use(transport):
        wparchive()


if __name__ == "__main__":
    main(sys.argv[1:])
