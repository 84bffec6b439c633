"""Downloading one media file into a sink, with the polite fetcher's rules.

A media run reads from several hosts (the site, its www twin, i0.wp.com, <blog>.files.wordpress.com,
hosts named with --hosts), so `Fetchers` keeps one Fetcher per origin: each reads its own
robots.txt and keeps its own delay. `download` streams one GET into the sink (never holding the
body), following a redirect only to another allowed host, through that host's fetcher.
"""
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from ..errors import BudgetExhausted, FetchError
from .fetcher import MAX_REDIRECTS, REDIRECTS, Fetcher, host_of
from .hostnames import host_name, on_named

MAX_BYTES = 512_000_000  # 512MB as --max-bytes reads it (powers of 1,000)
DEADLINE = 600.0  # seconds for one attempt at one file: 512 MB at under 1 MB/s is cut off


@dataclass(frozen=True)
class Downloaded:
    url: str  # where the bytes came from, after redirects
    status: int  # 200, or 304 when the validators sent still hold
    not_modified: bool
    etag: str | None
    last_modified: str | None
    content_type: str | None  # what the server declared; the sniffed type is MediaFolder's


@dataclass
class Fetchers:
    """One Fetcher per origin of the allowed hosts, made when first needed.

    `hosts` are names as hostnames.py reads them: `example.com` is that host on any port (http
    or https), `localhost:8769` exactly that port, and `www.` is the same host."""
    hosts: tuple[str, ...]
    delay: float = 1.0
    max_requests: int | None = None  # for the whole pool
    allow_private: bool = True
    transport: object = None
    sleep: object = time.sleep
    by_origin: dict = field(default_factory=dict)

    def __post_init__(self):
        self.hosts = tuple(filter(None, (host_name(host) for host in self.hosts)))

    def allows(self, url: str) -> bool:
        return on_named(url, self.hosts)

    def for_url(self, url: str) -> Fetcher:
        """The fetcher of the URL's origin, its request budget what the pool has left."""
        if not self.allows(url):
            raise FetchError(url, "not on an allowed host (--hosts adds others)")
        origin = host_of(url)
        if origin not in self.by_origin:
            parts = urlsplit(url)
            site = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/"  # no user:password@ sent along
            self.by_origin[origin] = Fetcher(site, delay=self.delay,
                                             allow_private=self.allow_private, transport=self.transport,
                                             sleep=self.sleep)
        fetcher = self.by_origin[origin]
        if self.max_requests is not None:
            left = self.max_requests - self.requests
            if left <= 0:
                raise BudgetExhausted(url, f"--max-requests {self.max_requests} reached")
            fetcher.max_requests = fetcher.requests + left
        return fetcher

    @property
    def requests(self) -> int:
        """Requests sent by every fetcher of the pool, robots.txt included."""
        return sum(fetcher.requests for fetcher in self.by_origin.values())


def download(fetchers: Fetchers, url: str, sink, *, max_bytes: int = MAX_BYTES, deadline: float = DEADLINE,
             etag: str | None = None, modified: str | None = None) -> Downloaded:
    """GET `url` into `sink` (write, seek, truncate), or learn from a 304 that the copy held is current.

    Raises FetchError(url, reason, status): status 404 or 410 for a file that is gone."""
    seen = {url}
    for _ in range(MAX_REDIRECTS + 1):
        response = fetchers.for_url(url).stream(url, sink, max_bytes=max_bytes, deadline=deadline,
                                                etag=etag, modified=modified)
        if response.status not in REDIRECTS:
            return _downloaded(response, conditional=bool(etag or modified))
        target = urljoin(response.url, response.headers.get("location", ""))
        if target in seen:
            raise FetchError(url, "redirect loop")
        if not fetchers.allows(target):
            raise FetchError(url, f"redirect off the allowed hosts to {target} refused")
        seen.add(target)
        url = target
    raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")


def _downloaded(response, conditional: bool) -> Downloaded:
    not_modified = response.status == 304 and conditional
    if response.status != 200 and not not_modified:
        raise FetchError(response.url, f"HTTP {response.status}", response.status)
    headers = response.headers
    return Downloaded(response.url, response.status, not_modified, headers.get("etag"),
                      headers.get("last-modified"), headers.get("content-type"))
