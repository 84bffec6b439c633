"""Politeness shared by every job of a fleet, as the Fetcher's `pace`: to each host one request at
a time, the next `delay` seconds after the last one ended, whichever site's fetcher asks — the
rule a single fetcher keeps for itself, kept across all of them. Spacing by when requests end,
not by when they were booked, holds at the server even when a thread wakes late. RedisBuckets
(buckets.py) is the same rule kept in Redis for workers on many machines."""
import threading
import time

from ..errors import BudgetExhausted


class HostSpacing:
    """In one process: each host's turn, shared by all threads."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._hosts: dict[str, list] = {}  # origin -> [busy, moment the next request may start]
        self._turn = threading.Condition()

    def wait(self, origin: str, delay: float) -> None:
        with self._turn:
            host = self._hosts.setdefault(origin, [False, 0.0])
            while host[0] or self.clock() < host[1]:
                self._turn.wait(None if host[0] else host[1] - self.clock())
            host[0] = True

    def done(self, origin: str, delay: float) -> None:
        with self._turn:
            self._hosts[origin][:] = [False, self.clock() + delay]  # in place: waiters hold this list
            self._turn.notify_all()


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

    def done(self, origin: str, delay: float) -> None:
        self.pace.done(origin, delay)
