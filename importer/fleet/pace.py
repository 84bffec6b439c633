"""Politeness shared by every job of a fleet: one request per `delay` seconds per host, whichever
site's fetcher asks (the Fetcher's `pace`), and a step's time budget on top of it.

Both limiters reserve a slot under a lock and sleep outside it, so waiters are served in the
order they asked and none spins. RedisBuckets (buckets.py) is the same reservation kept in Redis
for workers on many machines."""
import threading
import time

from ..errors import BudgetExhausted


class HostSpacing:
    """In one process: each host's next free moment, shared by all threads."""

    def __init__(self, clock=time.monotonic, sleep=time.sleep):
        self.clock, self.sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, origin: str, delay: float) -> None:
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(origin, now))
            self._next[origin] = slot + delay
        if slot > now:
            self.sleep(slot - now)


class StepBudget:
    """A step's pace: the shared limiter's, refused once the step's seconds are spent, so the
    run ends the way --max-requests ends it (what was read is kept, the run is 'partial')."""

    def __init__(self, pace, seconds: float, clock=time.monotonic):
        self.pace, self.seconds, self.clock = pace, seconds, clock
        self.deadline = clock() + seconds
        self.exhausted = False

    def wait(self, origin: str, delay: float) -> None:
        if self.clock() >= self.deadline:
            self.exhausted = True
            raise BudgetExhausted(origin, f"the step's {self.seconds:g} s budget is spent; the next step goes on")
        self.pace.wait(origin, delay)
