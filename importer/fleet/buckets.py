"""What workers on many machines share through Redis: each host's turn (one request at a time,
the next `delay` seconds after the last ended, by Redis's own clock: a token bucket of one token,
taken for the request and put back `delay` after it), one lock per site, and the marks of steps
already done. Taking and returning a host's token are each one Lua script, so two workers can
never hold it at once."""
import os
import threading
import time
import uuid
from contextlib import contextmanager

PREFIX = "wparchive:fleet"
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local free = tonumber(redis.call('GET', KEYS[2]) or '0')
if free > now then return free - now end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""
GIVE_BACK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local gap = tonumber(ARGV[2])
redis.call('SET', KEYS[2], string.format('%.0f', now + gap), 'PX', math.floor(gap / 1000) + 60000)
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
POLL = 0.02  # seconds between looks at a host another worker is asking


class RedisBuckets:
    """The Fetcher's `pace` across machines. A host's token is held at most `hold` seconds: a
    worker killed mid-request blocks its host no longer than that."""

    def __init__(self, client, hold: float = 30.0, sleep=time.sleep):
        self.client, self.hold, self.sleep = client, hold, sleep
        self._take, self._give_back = client.register_script(TAKE), client.register_script(GIVE_BACK)

    def wait(self, origin: str, delay: float) -> None:
        while (wait := self._take(keys=_host_keys(origin), args=[self._holder(), int(self.hold * 1000)])) != 0:
            self.sleep(POLL if wait < 0 else wait / 1_000_000)

    def done(self, origin: str, delay: float) -> None:
        self._give_back(keys=_host_keys(origin), args=[self._holder(), int(delay * 1_000_000)])

    @staticmethod
    def _holder() -> str:
        """Who holds a host's token: a thread holds one request at a time."""
        return f"{os.getpid()}:{threading.get_ident()}"


def _host_keys(origin: str) -> list[str]:
    return [f"{PREFIX}:host:{origin}:busy", f"{PREFIX}:host:{origin}:free"]


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
