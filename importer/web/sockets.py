"""The connections under the fetcher: each request held to a deadline, and to public addresses
when asked.

Read timeouts count the gap between two bytes, so a server that drips one byte a second holds a
request open for ever, in its headers as well as its body. A `Deadline` shuts the socket of the
request in flight when its time is up, which ends whatever read is blocked on it. The
connections also check the address they reached, which a lookup made beforehand cannot promise
(the name may resolve differently the second time).
"""
import socket
import threading

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .addresses import is_public


class NotPublic(Exception):
    """A connection reached a loopback, private, link-local or reserved address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(address)


class Guard:
    """What one fetcher's connections share: the one in use, and whether private addresses may be reached."""

    def __init__(self, allow_private: bool = True):
        self.allow_private = allow_private
        self.active = None

    def check(self, connection) -> None:
        if self.allow_private or connection.proxy or connection.sock is None:
            return  # through a proxy the peer is the proxy; the host was checked before the request
        address = connection.sock.getpeername()[0]
        if not is_public(address):
            connection.close()
            raise NotPublic(address)

    def shut(self) -> None:
        """Ends any read blocked on the active connection's socket (plain or TLS alike)."""
        sock = getattr(self.active, "opened", None)
        if sock is not None:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


class _Guarded:
    guard: Guard

    def connect(self):
        super().connect()
        self.opened = self.sock  # http.client lets go of `sock` once a response reads to the close
        self.guard.check(self)

    def request(self, *args, **kwargs):
        self.guard.active = self
        return super().request(*args, **kwargs)


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections report to one Guard."""

    def __init__(self, guard: Guard):
        self.guard = guard
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        plain = type("GuardedHTTPConnection", (_Guarded, HTTPConnection), {"guard": self.guard})
        secure = type("GuardedHTTPSConnection", (_Guarded, HTTPSConnection), {"guard": self.guard})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": secure}),
        }


class Deadline:
    """`with Deadline(seconds, guard) as d:` shuts the guard's socket if the block outlives `seconds`;
    afterwards `d.expired` says whether it did, so a body cut short by it is never taken as whole."""

    def __init__(self, seconds: float, guard: Guard):
        self.seconds, self.guard = seconds, guard
        self.expired = False
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        with self._lock:
            self._done = True
        self._timer.cancel()

    def _expire(self):
        with self._lock:
            if self._done:
                return
            self.expired = True
            self.guard.shut()
