"""The polite fetcher every live source uses.

One session per site: robots.txt honoured, a delay between requests to the host, Retry-After on
429/503, retries with backoff on 5xx and dropped connections, connect/read timeouts, a cap on
response size, a descriptive User-Agent, redirects followed only within the site, conditional
GETs, and a request budget. Whatever fails is raised as FetchError with the URL and the reason.
"""
import email.utils
import json
import time
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

from .. import __version__
from ..errors import BudgetExhausted, FetchError

USER_AGENT = (f"wparchive/{__version__} (+https://github.com/wparchive/wparchive; archives blogs for "
              "their readers; honours robots.txt)")
MAX_BYTES = 20 << 20
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 120


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
        content_type = self.headers.get("content-type", "")
        if "charset=" in content_type:
            return content_type.split("charset=")[-1].split(";")[0].strip().strip('"') or "utf-8"
        return "utf-8"

    def json(self):
        content_type = self.headers.get("content-type", "")
        try:
            return json.loads(self.content.decode("utf-8-sig", "replace"))
        except ValueError:
            raise FetchError(self.url, f"expected JSON, got {content_type or 'no content type'}") from None


@dataclass
class Fetcher:
    """GETs within one site, politely. `requests` counts what went over the wire."""
    site: str
    delay: float = 1.0
    robots: bool = True
    max_requests: int | None = None
    timeout: tuple[float, float] = (10.0, 30.0)
    max_bytes: int = MAX_BYTES
    retries: int = 3
    session: requests.Session = field(default_factory=requests.Session)
    sleep: object = time.sleep
    requests: int = 0
    also: tuple[str, ...] = ()  # other hosts this site is read through (WordPress.com's API)
    transport: object = None  # a requests adapter for http(s):// (importer.web.transport); None: the network
    _last: float = 0.0
    _rules: object = None

    def __post_init__(self):
        self.session.headers["User-Agent"] = USER_AGENT
        if self.transport is not None:
            self.session.mount("http://", self.transport)
            self.session.mount("https://", self.transport)
        self.host = _host(self.site)

    def get(self, url: str, params: dict | None = None, etag: str | None = None,
            modified: str | None = None, accept_status=(200,)) -> Response:
        """GET a URL of the site; a 304 comes back as a Response when a validator was sent."""
        url = self._on_site(urljoin(self.site, url))
        if self.robots and _host(url) == self.host and not self._allowed(url):
            raise FetchError(url, "disallowed by robots.txt")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        response = self._follow(url, params, headers)
        if response.status == 304 and (etag or modified):
            return response
        if response.status not in accept_status:
            raise FetchError(response.url, f"HTTP {response.status}", response.status)
        return response

    def _follow(self, url, params, headers) -> Response:
        seen = set()
        for _ in range(MAX_REDIRECTS + 1):
            response = self._with_retries(url, params, headers)
            if response.status not in (301, 302, 303, 307, 308):
                return response
            target = urljoin(response.url, response.headers.get("location", ""))
            if target in seen or target == url:
                raise FetchError(url, "redirect loop")
            seen.add(target)
            if _host(target) not in (self.host, *self.also):
                raise FetchError(url, f"redirect off-site to {target} refused")
            url, params = target, None
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _with_retries(self, url, params, headers) -> Response:
        attempt = 0
        while True:
            try:
                response = self._once(url, params, headers)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    _Truncated) as error:
                if attempt >= self.retries:
                    raise FetchError(url, f"{_reason(error)} (after {attempt + 1} attempts)") from None
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if response.status in (429, 503) or 500 <= response.status < 600:
                if attempt >= self.retries:
                    return response
                wait = _retry_after(response.headers.get("retry-after")) if response.status in (429, 503) else None
                self.sleep(min(wait, MAX_RETRY_AFTER) if wait is not None else self._backoff(attempt))
                attempt += 1
                continue
            return response

    def _backoff(self, attempt: int) -> float:
        return max(self.delay, 0.5) * (2 ** attempt)

    def _once(self, url, params, headers) -> Response:
        if self.max_requests is not None and self.requests >= self.max_requests:
            raise BudgetExhausted(url, f"--max-requests {self.max_requests} reached")
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self.requests += 1
        try:
            with self.session.get(url, params=params, headers=headers, timeout=self.timeout, stream=True,
                                  allow_redirects=False) as raw:
                declared = int(raw.headers.get("content-length") or 0)
                if declared > self.max_bytes:
                    raise FetchError(url, f"response of {declared} bytes is over the {self.max_bytes}-byte cap")
                body = bytearray()
                for chunk in raw.iter_content(65536):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(url, f"response over the {self.max_bytes}-byte cap")
                if declared and len(body) < declared and "content-encoding" not in raw.headers:
                    raise _Truncated(f"body cut short: {len(body)} of {declared} bytes")
                return Response(raw.url, raw.status_code, {k.lower(): v for k, v in raw.headers.items()},
                                bytes(body))
        finally:
            self._last = time.monotonic()

    def announced_sitemaps(self) -> list[str]:
        """Sitemaps the site's robots.txt names (read once robots.txt has been fetched)."""
        if self._rules is None or getattr(self._rules, "allow_all", False):
            return []
        return list(self._rules.site_maps() or [])

    def _on_site(self, url: str) -> str:
        if _host(url) not in (self.host, *self.also):
            raise FetchError(url, f"off-site URL refused (this run archives {self.host})")
        return url

    def _allowed(self, url: str) -> bool:
        if self._rules is None:
            self._rules = urllib.robotparser.RobotFileParser()
            try:
                response = self._follow(urljoin(self.site, "/robots.txt"), None, {})
                if response.status == 200:
                    self._rules.parse(response.text.splitlines())
                    crawl_delay = self._rules.crawl_delay(USER_AGENT)
                    if crawl_delay:
                        self.delay = max(self.delay, float(crawl_delay))
                else:
                    self._rules.allow_all = True
            except FetchError:
                self._rules.allow_all = True
        return self._rules.can_fetch(USER_AGENT, url)


class _Truncated(Exception):
    pass


def host_of(url: str) -> str:
    return _host(url)


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return f"{host}:{parts.port}" if parts.port and parts.port not in (80, 443) else host


def _retry_after(value: str | None) -> float | None:
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
