"""Signal handlers installed for the length of a block, then the previous ones restored."""
import signal
from contextlib import contextmanager


@contextmanager
def handled(signum: int, handler):
    """`handler` for `signum` inside the block. Outside the main thread (a test runner's worker)
    signals are not ours to handle: the block runs without it."""
    try:
        previous = signal.signal(signum, handler)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signum, previous)
