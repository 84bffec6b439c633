"""The polite fetcher every live source uses.

One session per site: robots.txt honoured (RFC 9309, see robots.py), a delay between requests to
the host, Retry-After on 429/503 within a total wait budget, retries with backoff on 5xx and
dropped connections, connect/read timeouts and an overall deadline per request, a cap on response
size (a body read whole, or written into a file as it arrives by `stream`), a descriptive
User-Agent, redirects followed only within the site (same scheme and port, or an http to https
upgrade), optionally only to public addresses, conditional GETs, and a request budget. Whatever
fails or hits a limit is raised as FetchError with the URL and the reason.
"""
import codecs
import email.utils
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

from .. import __version__
from ..errors import BudgetExhausted, FetchError
from . import robots as robots_txt
from .addresses import first_not_public
from .hostnames import DEFAULT_PORTS
from .sockets import Deadline, Guard, GuardedAdapter, NotPublic

USER_AGENT = (f"wparchive/{__version__} (+https://github.com/wparchive/wparchive; archives blogs for "
              "their readers; honours robots.txt)")
MAX_BYTES = 20 << 20
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
DEADLINE = 60.0
WAIT_BUDGET = 300.0


@dataclass
class Response:
    url: str
    status: int
    headers: dict
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, "replace")

    @property
    def encoding(self) -> str:
        """The declared charset when Python knows it as a text encoding, else UTF-8."""
        content_type = self.headers.get("content-type", "").lower()
        if "charset=" not in content_type:
            return "utf-8"
        name = content_type.split("charset=")[-1].split(";")[0].strip().strip('"\'')
        try:
            return name if codecs.lookup(name)._is_text_encoding else "utf-8"
        except LookupError:
            return "utf-8"

    def json(self):
        content_type = self.headers.get("content-type", "")
        try:
            return json.loads(self.content.decode("utf-8-sig", "replace"))
        except ValueError:
            raise FetchError(self.url, f"expected JSON, got {content_type or 'no content type'}") from None
        except RecursionError:
            raise FetchError(self.url, "JSON nested too deeply to read") from None


@dataclass
class Fetcher:
    """GETs within one site, politely. `requests` counts what went over the wire."""
    site: str
    delay: float = 1.0
    robots: bool = True
    max_requests: int | None = None
    timeout: tuple[float, float] = (10.0, 30.0)
    deadline: float = DEADLINE  # seconds for one whole request: connect, headers and body
    wait_budget: float = WAIT_BUDGET  # seconds of Retry-After waits this fetcher may spend in all
    allow_private: bool = True  # False: refuse hosts at loopback, private, link-local or reserved addresses
    max_bytes: int = MAX_BYTES
    retries: int = 3
    session: requests.Session = field(default_factory=requests.Session)
    sleep: object = time.sleep
    requests: int = 0
    also: tuple[str, ...] = ()  # other origins (host_of) this site is read through (WordPress.com's API)
    waited: float = 0.0
    notes: list[str] = field(default_factory=list)  # limits applied that a caller may record (a capped Crawl-delay)
    transport: object = None  # a requests adapter for http(s):// (importer.web.transport); None: the network
    robots_memo: dict = field(default_factory=dict)  # robots.txt as the last run read it: body and validators
    pace: object = None  # a limiter shared by fetchers: wait(origin, delay) before a request, done(...) after it
    _last: float = 0.0
    _rules: robots_txt.Rules | None = None

    def __post_init__(self):
        self.session.headers["User-Agent"] = USER_AGENT
        self._guard = Guard(self.allow_private)
        for prefix in ("http://", "https://"):  # a transport mounted below replaces these
            self.session.mount(prefix, GuardedAdapter(self._guard))
        if self.transport is not None:
            self.session.mount("http://", self.transport)
            self.session.mount("https://", self.transport)
        self.origin = _origin(self.site)

    def get(self, url: str, params: dict | None = None, etag: str | None = None,
            modified: str | None = None, accept_status=(200,)) -> Response:
        """GET a URL of the site; a 304 comes back as a Response when a validator was sent."""
        url = self._may_fetch(url)
        response = self._follow(url, params, _conditional(etag, modified))
        if response.status == 304 and (etag or modified):
            return response
        if response.status not in accept_status:
            raise FetchError(response.url, f"HTTP {response.status}", response.status)
        return response

    def stream(self, url: str, sink, *, max_bytes: int, deadline: float, etag: str | None = None,
               modified: str | None = None) -> Response:
        """GET a URL of the site with no redirect followed, a 200's body written into `sink` as it
        arrives (never held: its Response.content is empty); any other status is returned unread.

        `sink` is rewound (seek(0), truncate()) before each attempt, so a retried transfer starts
        clean; `deadline` bounds each attempt, so a drip is cut off rather than retried."""
        url = self._may_fetch(url)
        return self._with_retries(url, None, _conditional(etag, modified), _into(sink, max_bytes), deadline)

    def _may_fetch(self, url: str) -> str:
        """The absolute URL, once it is known to be on the site, public if asked, and allowed by robots.txt."""
        url = self._on_site(urljoin(self.site, url))
        self._refuse_private(url)
        if self.robots and _within(_origin(url), (self.origin,)) and not self._allowed(url):
            raise FetchError(url, self._rules.why or "disallowed by robots.txt")
        return url

    def _follow(self, url, params, headers) -> Response:
        seen = set()
        for _ in range(MAX_REDIRECTS + 1):
            response = self._with_retries(url, params, headers)
            if response.status not in REDIRECTS:
                return response
            target = urljoin(response.url, response.headers.get("location", ""))
            if target in seen or target == url:
                raise FetchError(url, "redirect loop")
            seen.add(target)
            if not _within(_origin(target), (self.origin, *self.also)):
                raise FetchError(url, f"redirect off-site to {target} refused (another host, scheme or port)")
            self._refuse_private(target)
            url, params = target, None
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _with_retries(self, url, params, headers, take=None, deadline: float | None = None) -> Response:
        attempt = 0
        while True:
            try:
                response = self._once(url, params, headers, take or self._whole, deadline or self.deadline)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    _Truncated) as error:
                if attempt >= self.retries:
                    raise FetchError(url, f"{_reason(error)} (after {attempt + 1} attempts)") from None
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            except requests.RequestException as error:
                raise FetchError(url, f"request failed ({error.__class__.__name__})") from None
            if response.status in (429, 503) or 500 <= response.status < 600:
                if attempt >= self.retries:
                    return response
                wait = retry_after(response.headers.get("retry-after")) if response.status in (429, 503) else None
                self.sleep(self._budgeted(url, response.status, wait) if wait is not None else self._backoff(attempt))
                attempt += 1
                continue
            return response

    def _budgeted(self, url: str, status: int, wait: float) -> float:
        """A Retry-After wait, taken from the wait budget; one longer than what is left fails the URL."""
        left = self.wait_budget - self.waited
        if wait > left:
            raise FetchError(url, f"HTTP {status} asks to wait {wait:.0f} s (Retry-After), more than the {left:.0f} s "
                                  f"left of the {self.wait_budget:.0f} s wait budget", status)
        self.waited += wait
        return wait

    def _backoff(self, attempt: int) -> float:
        return max(self.delay, 0.5) * (2 ** attempt)

    def _once(self, url, params, headers, take, seconds: float) -> Response:
        if self.max_requests is not None and self.requests >= self.max_requests:
            raise BudgetExhausted(url, f"--max-requests {self.max_requests} reached")
        if self.pace is not None:  # one request at a time per host, across every fetcher sharing `pace`
            self.pace.wait(_origin(url), self.delay)
        else:
            wait = self._last + self.delay - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        self.requests += 1
        deadline = Deadline(seconds, self._guard)
        try:
            with deadline:
                response = self._exchange(url, params, headers, take)
        except NotPublic as refused:
            raise FetchError(url, _not_public(url, refused.address)) from None
        except (requests.RequestException, _Truncated, OSError):
            if deadline.expired:
                raise FetchError(url, f"no complete response within the {seconds:g} s deadline") from None
            raise
        finally:
            self._last = time.monotonic()
            if self.pace is not None:  # the host's next request `delay` after this one ended
                self.pace.done(_origin(url), self.delay)
        if deadline.expired:  # the socket was shut mid-body, and what came before looked whole
            raise FetchError(url, f"no complete response within the {seconds:g} s deadline")
        return response

    def _exchange(self, url, params, headers, take) -> Response:
        """One GET, its body read by `take(url, raw)`, which returns the content to keep."""
        with self.session.get(url, params=params, headers=headers, timeout=self.timeout, stream=True,
                              allow_redirects=False) as raw:
            content = take(url, raw)
            return Response(raw.url, raw.status_code, {k.lower(): v for k, v in raw.headers.items()}, content)

    def _whole(self, url, raw) -> bytes:
        body = bytearray()
        _read_body(url, raw, self.max_bytes, body.extend)
        return bytes(body)

    def announced_sitemaps(self) -> list[str]:
        """Sitemaps the site's robots.txt names (read once robots.txt has been fetched)."""
        return self._rules.sitemaps() if self._rules else []

    def _on_site(self, url: str) -> str:
        if not _within(_origin(url), (self.origin, *self.also)):
            raise FetchError(url, f"off-site URL refused (this run archives {self.origin})")
        return url

    def _refuse_private(self, url: str) -> None:
        if not self.allow_private:
            address = first_not_public(urlsplit(url).hostname or "", None)
            if address:
                raise FetchError(url, _not_public(url, address))

    def _allowed(self, url: str) -> bool:
        if self._rules is None:
            self._rules = self._read_robots()
            crawl_delay = self._rules.crawl_delay()
            if crawl_delay:
                self.delay = max(self.delay, crawl_delay)
            self.notes += [f"{urljoin(self.site, '/robots.txt')}: {note}" for note in self._rules.notes]
        return self._rules.allowed(url)

    def _read_robots(self) -> robots_txt.Rules:
        """robots.txt, its first 500 KiB, through up to five redirects wherever they lead (RFC 9309 2.3.1.2)."""
        url = urljoin(self.site, "/robots.txt")
        try:
            for _ in range(MAX_REDIRECTS + 1):
                self._refuse_private(url)
                response = self._with_retries(url, None, self._robots_validators(), _first(robots_txt.MAX_BYTES))
                if response.status not in REDIRECTS:
                    break
                url = urljoin(response.url, response.headers.get("location", ""))
        except FetchError as error:
            return robots_txt.unreachable(error.reason)
        if response.status == 304 and "body" in self.robots_memo:  # unchanged since the last run
            return robots_txt.parse(self.robots_memo["body"].encode("utf-8"))
        self._remember_robots(response)
        return robots_txt.from_response(response.status, response.content)

    def _robots_validators(self) -> dict:
        """Conditional headers for robots.txt from what the last run read, so it is revalidated."""
        if "body" not in self.robots_memo:
            return {}
        return _conditional(self.robots_memo.get("etag"), self.robots_memo.get("modified"))

    def _remember_robots(self, response: Response):
        """What the next run needs to revalidate robots.txt: kept only when the server gave validators."""
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if response.status == 200 and (etag or modified):
            self.robots_memo = {"etag": etag or "", "modified": modified or "",
                                "body": response.content.decode("utf-8", "replace")}
        else:
            self.robots_memo = {}


class _Truncated(Exception):
    pass


def _read_body(url: str, raw, limit: int, write, cut: bool = False) -> None:
    """The body to `write` in chunks: over `limit` bytes it fails (or, with `cut`, stops there);
    read to the end, it must be as long as its Content-Length said."""
    declared = _length(raw.headers.get("content-length"))
    if declared > limit and not cut:
        raise FetchError(url, f"response of {declared} bytes is over the {limit}-byte cap")
    count = 0
    for chunk in raw.iter_content(65536):
        if count + len(chunk) > limit:
            if not cut:
                raise FetchError(url, f"response over the {limit}-byte cap")
            write(chunk[:limit - count])
            return
        write(chunk)
        count += len(chunk)
    if declared and count < declared and "content-encoding" not in raw.headers:
        raise _Truncated(f"body cut short: {count} of {declared} bytes")


def _first(cut: int):
    """A body reader keeping the first `cut` bytes and no more (robots.txt)."""
    def take(url, raw) -> bytes:
        body = bytearray()
        _read_body(url, raw, cut, body.extend, cut=True)
        return bytes(body)
    return take


def _into(sink, limit: int):
    """A body reader writing a 200's body into `sink` from its start; other statuses are left unread."""
    def take(url, raw) -> bytes:
        if raw.status_code == 200:
            sink.seek(0)
            sink.truncate()
            _read_body(url, raw, limit, sink.write)
        return b""
    return take


def _conditional(etag: str | None, modified: str | None) -> dict:
    """The headers of a conditional GET for the validators known (none: a plain GET)."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    return headers


def host_of(url: str) -> str:
    """The origin a URL belongs to, as Fetcher.also takes it: `www.` and the bare host are one."""
    return _origin(url)


def _origin(url: str) -> str:
    """scheme://host:port with the port always given; '' for a URL with no usable port."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{parts.scheme}://{host}:{port}"


def _within(origin: str, origins) -> bool:
    """One of `origins`, or the https upgrade (default ports) of an http one; never a downgrade or another port."""
    if origin in origins:
        return bool(origin)
    scheme, _, rest = origin.partition("://")
    host, _, port = rest.rpartition(":")
    return scheme == "https" and port == "443" and f"http://{host}:80" in origins


def _not_public(url: str, address: str) -> str:
    return (f"{urlsplit(url).hostname} is at {address}, a loopback, private, link-local or reserved address: "
            "refused (sync --allow-private allows it)")


def _length(value: str | None) -> int:
    return int(value) if value and value.strip().isdigit() else 0


def retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date), None when it says nothing usable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
        return max(0.0, moment.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _reason(error: Exception) -> str:
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(error, (requests.exceptions.ChunkedEncodingError, _Truncated)):
        return f"truncated response ({error})"
    return f"connection failed ({error.__class__.__name__})"
