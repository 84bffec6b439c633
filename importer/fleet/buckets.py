"""What workers on many machines share through Redis: each host's request slots (a token bucket
holding one token, refilled every `delay` seconds, kept as the host's next free moment by Redis's
own clock), one lock per site, and the marks of steps already done.

The reservation runs as one Lua script, so two workers can never take the same slot."""
import os
import threading
import time
import uuid
from contextlib import contextmanager

PREFIX = "wparchive:fleet"
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local gap = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', slot + gap), 'PX', math.floor(gap / 1000) + 60000)
return slot - now
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RedisBuckets:
    """The Fetcher's `pace` across machines: one request per `delay` seconds per host."""

    def __init__(self, client, sleep=time.sleep):
        self.client, self.sleep = client, sleep
        self._reserve = client.register_script(RESERVE)

    def wait(self, origin: str, delay: float) -> None:
        waited = self._reserve(keys=[f"{PREFIX}:host:{origin}"], args=[int(delay * 1_000_000)])
        if waited > 0:
            self.sleep(waited / 1_000_000)


class SiteLock:
    """One step of a site at a time, on any machine. While held, the lock is renewed every third
    of `ttl`; a worker killed while holding it holds it no longer than `ttl` seconds. Its value
    names the holder's pid."""

    def __init__(self, client, url_key: str, ttl: float):
        self.client, self.key, self.ttl = client, lock_key(url_key), ttl
        self.token = f"pid {os.getpid()} {uuid.uuid4().hex}"
        self._release = client.register_script(RELEASE)
        self._extend = client.register_script(EXTEND)

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=int(self.ttl * 1000)))

    @contextmanager
    def held(self):
        """The acquired lock kept alive for the block, then released."""
        stop = threading.Event()
        renewing = threading.Thread(target=self._renew, args=(stop,), daemon=True)
        renewing.start()
        try:
            yield self
        finally:
            stop.set()
            renewing.join()
            self._release(keys=[self.key], args=[self.token])

    def _renew(self, stop: threading.Event):
        while not stop.wait(self.ttl / 3):
            self._extend(keys=[self.key], args=[self.token, int(self.ttl * 1000)])


def done_key(step_id: str) -> str:
    return f"{PREFIX}:done:{step_id}"


def outcomes_key(fleet_id: str) -> str:
    """The list a fleet's finished sites are reported on, read by `fleet run`."""
    return f"{PREFIX}:{fleet_id}:outcomes"


def lock_key(url_key: str) -> str:
    return f"{PREFIX}:lock:{url_key}"
