"""The Wayback Machine's CDX index and raw captures, read politely through one keep-alive
session: CDX calls spaced (about 20 a minute), capture reads spaced (about 8 a second, the
fetcher's delay), Retry-After honoured and a 429 without it waited out for a minute, a refused
connection (how a block shows) stopping the run, and every CDX listing followed to its end
through its resume keys, never truncated."""
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

from ..errors import Blocked, BudgetExhausted, FetchError
from ..web import Fetcher
from ..web.fetcher import MAX_REDIRECTS, REDIRECTS, Response, retry_after
from .captured import Seen

DEFAULT_BASE = "https://web.archive.org"
CDX_SPACING = 3.0  # seconds between CDX calls: no more than about 20 a minute
CAPTURE_SPACING = 0.125  # seconds between capture reads: no more than about 8 a second
BUSY_WAIT = 60.0  # seconds to wait on a 429 that names no Retry-After
ATTEMPTS = 4
PAGE = 5000  # rows asked per CDX call; the index may send fewer, and a resume key for the rest
FIELDS = "urlkey,timestamp,original,mimetype,statuscode,digest"
ANSWERED = (200, 404, 410, 429, 500, 502, 503, 504)


def archive_fetcher(base: str, like: Fetcher) -> Fetcher:
    """The fetcher for the archive's host, with the limits of the run's own (`like`): its budget,
    its sleep and transport, whether private addresses are allowed. Retries are this module's;
    robots.txt is not read: the CDX API and raw captures are the archive's own service for this."""
    return Fetcher(base, delay=CAPTURE_SPACING, robots=False, max_requests=like.max_requests,
                   allow_private=like.allow_private, retries=0, sleep=like.sleep, transport=like.transport)


@dataclass
class Wayback:
    fetcher: Fetcher
    base: str
    cdx_spacing: float = CDX_SPACING
    busy_wait: float = BUSY_WAIT
    _last_cdx: float = field(default=0.0, repr=False)

    def listing(self, url: str, prefix: bool, collapse: str, since: str | None = None, until: str | None = None):
        """Every 200 capture row the index gives for `url`, page after page, as Seen."""
        query = {"url": url, "output": "json", "fl": FIELDS, "filter": "statuscode:200", "collapse": collapse,
                 "showResumeKey": "true", "limit": str(PAGE)}
        if prefix:
            query["matchType"] = "prefix"
        query.update({k: v for k, v in (("from", since), ("to", until)) if v})
        while True:
            rows = self._cdx(query)
            resume = None
            if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
                rows, resume = rows[:-2], rows[-1][0]
            header, body = (rows[0], rows[1:]) if rows else ([], [])
            for row in body:
                found = dict(zip(header, row))
                yield Seen(found["original"], found["timestamp"], found.get("digest"), found.get("mimetype"))
            if not resume:
                return
            query["resumeKey"] = resume

    def capture(self, url: str, timestamp: str) -> Response:
        """The raw capture (id_: as the blog served it, not the replay page), under the blog's URL."""
        raw = f"{self.base}/web/{timestamp}id_/{url}"
        response = self._get(raw)
        if response.status != 200:
            raise FetchError(url, f"capture {timestamp}: HTTP {response.status} from the archive", response.status)
        return Response(url, response.status, response.headers, response.content)

    def stream(self, url: str, timestamp: str, sink, *, max_bytes: int, deadline: float, etag=None, modified=None):
        """A raw capture streamed into `sink` (a media file: never held in memory), following the
        archive's redirects to the nearest capture; the Response of its last answer, body unread."""
        raw = f"{self.base}/web/{timestamp}id_/{url}"
        for _ in range(MAX_REDIRECTS + 1):
            response = self._patient(raw, lambda: self.fetcher.stream(
                raw, sink, max_bytes=max_bytes, deadline=deadline, etag=etag, modified=modified))
            target = urljoin(raw, response.headers.get("location", ""))
            if response.status not in REDIRECTS or not target.startswith(self.base + "/web/"):
                return response
            raw = target
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects in the archive")

    def _cdx(self, query: dict) -> list:
        wait = self._last_cdx + self.cdx_spacing - time.monotonic()
        if wait > 0:
            self.fetcher.sleep(wait)
        try:
            response = self._get(f"{self.base}/cdx/search/cdx", query)
        finally:
            self._last_cdx = time.monotonic()
        if response.status != 200:
            raise BudgetExhausted(response.url, f"the CDX index answers HTTP {response.status}: run stopped")
        rows = response.json()
        return rows if isinstance(rows, list) else []

    def _get(self, url: str, params: dict | None = None) -> Response:
        return self._patient(url, lambda: self.fetcher.get(url, params=params, accept_status=ANSWERED))

    def _patient(self, url: str, ask) -> Response:
        """One request, again after a 429/503 as long as the archive asks (Retry-After, else a
        minute) or after a 5xx with backoff; a refused or dropped connection stops the run."""
        for attempt in range(ATTEMPTS):
            try:
                response = ask()
            except FetchError as error:
                if error.status is None and error.reason.startswith(("connection failed", "timed out")):
                    raise Blocked(url, f"{error.reason}: the archive refuses this address (a block shows so); "
                                       "run stopped, everything read so far kept; try again later") from None
                raise
            if response.status not in (429, 500, 502, 503, 504) or attempt == ATTEMPTS - 1:
                return response
            self.fetcher.sleep(self._wait(response, attempt))
        return response

    def _wait(self, response: Response, attempt: int) -> float:
        asked = retry_after(response.headers.get("retry-after"))
        if asked is not None:
            return asked
        return self.busy_wait if response.status == 429 else 2.0 * 2 ** attempt
