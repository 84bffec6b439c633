"""A local stand-in for the Internet Archive: the CDX index at /cdx/search/cdx in the dialect the
Wayback source speaks (JSON rows with a header row, url + matchType=prefix, fl, filter, collapse
on urlkey or digest, from/to, limit + showResumeKey/resumeKey paging) and raw captures at
/web/<timestamp>id_/<url>, replayed from WARC files (the tests make them with `wget --warc-file`).

A request for a moment with no capture redirects to the nearest one, as the real replay does.
`throttle(n, retry_after)` answers the next n requests with 429 (with or without Retry-After);
`requests` counts what was asked, by kind ("cdx", "capture"); with `refuse_after` = n the
server stops listening after n captures, as a blocked address sees it."""
import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from warcio.archiveiterator import ArchiveIterator

from local_servers import QuietHandler, serving

FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass
class Capture:
    urlkey: str
    timestamp: str
    original: str
    mimetype: str
    statuscode: str
    digest: str
    length: str
    headers: list
    body: bytes

    def field(self, name: str) -> str:
        return getattr(self, name)


def urlkey(url: str) -> str:
    """A SURT-like key: host without www., reversed, then path and sorted query, lower-cased."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not re.fullmatch(r"[\d.]+", host):
        host = ",".join(reversed(host.split(".")))
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{host}{port}){parts.path or '/'}{'?' + query if query else ''}".lower()


def captures_of(paths) -> list[Capture]:
    """Every response record of the WARC files, in CDX order (urlkey, then time)."""
    found = []
    for path in paths:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                body = record.content_stream().read()
                url = record.rec_headers.get_header("WARC-Target-URI")
                moment = re.sub(r"\D", "", record.rec_headers.get_header("WARC-Date"))[:14]
                found.append(Capture(urlkey(url), moment, url,
                                     (record.http_headers.get_header("Content-Type") or "").split(";")[0],
                                     record.http_headers.get_statuscode(),
                                     hashlib.sha1(body).hexdigest().upper(), str(len(body)),
                                     record.http_headers.headers, body))
    return sorted(found, key=lambda c: (c.urlkey, c.timestamp))


class CDXServer:
    """The index and the replay over the captures of some WARC files; add more with `add`."""

    def __init__(self, page_size: int = 50):
        self.captures: list[Capture] = []
        self.page_size = page_size
        self.requests = Counter()
        self.asked: list[dict] = []  # the CDX queries, as parsed
        self._throttled: list[str | None] = []
        self.refuse_after: int | None = None  # captures answered before the server refuses connections (a block)
        self._lock = threading.Lock()

    def add(self, *warc_paths):
        self.captures = sorted(self.captures + captures_of(warc_paths), key=lambda c: (c.urlkey, c.timestamp))

    def throttle(self, times: int, retry_after: str | None = None):
        self._throttled += [retry_after] * times

    def serve(self):
        """A context manager: the server on a free port, its base URL."""
        return serving(self._handler())

    def cdx(self, query: dict) -> list:
        rows = self._matching(query)
        page = max(1, min(int(query.get("limit", self.page_size)), self.page_size))
        start = 0
        if query.get("resumeKey"):
            key = tuple(query["resumeKey"].split(" ", 1))
            start = next((i for i, c in enumerate(rows) if (c.urlkey, c.timestamp) > key), len(rows))
        chosen, rest = rows[start:start + page], rows[start + page:]
        fields = [f for f in query.get("fl", ",".join(FIELDS)).split(",") if f in FIELDS] or list(FIELDS)
        table = [fields] + [[c.field(f) for f in fields] for c in chosen]
        if rest and query.get("showResumeKey") == "true":
            table += [[], [f"{chosen[-1].urlkey} {chosen[-1].timestamp}"]]
        return table

    def _matching(self, query: dict) -> list[Capture]:
        url = query.get("url", "")
        key = urlkey(url if "://" in url else "http://" + url)
        prefix = query.get("matchType") == "prefix"
        low = query.get("from", "").ljust(14, "0")
        high = query.get("to", "").ljust(14, "9") if query.get("to") else "9" * 14
        rows = [c for c in self.captures if (c.urlkey.startswith(key) if prefix else c.urlkey == key)
                and low <= c.timestamp <= high and all(_passes(c, f) for f in query.get("filters", []))]
        for field in query.get("collapse", []):
            rows = [c for i, c in enumerate(rows) if i == 0 or c.field(field) != rows[i - 1].field(field)]
        return rows

    def replay(self, moment: str, url: str):
        """(status, headers, body) of the capture of `url` at `moment`, else a redirect to the nearest."""
        key = urlkey(url)
        same = [c for c in self.captures if c.urlkey == key]
        if not same:
            return 404, [("Content-Type", "text/plain")], b"not in the archive"
        exact = next((c for c in same if c.timestamp == moment), None)
        if exact is None:
            nearest = min(same, key=lambda c: abs(int(c.timestamp) - int(moment.ljust(14, "0"))))
            return 302, [("Location", f"/web/{nearest.timestamp}id_/{nearest.original}")], b""
        keep = [(k, v) for k, v in exact.headers if k.lower() in ("content-type", "location", "link")]
        return int(exact.statuscode), keep + [("X-Archive-Src", "local")], exact.body

    def _handler(self):
        server = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall each

            def do_GET(self):
                kind = "cdx" if self.path.startswith("/cdx/") else "capture" if self.path.startswith("/web/") else "other"
                with server._lock:
                    server.requests[kind] += 1
                    throttled = server._throttled.pop(0) if server._throttled and kind != "other" else False
                if throttled is not False:
                    self.send(429, b"slow down", [("Retry-After", throttled)] if throttled else [])
                elif kind == "cdx":
                    query = _query(self.path)
                    server.asked.append(query)
                    self.send(200, json.dumps(server.cdx(query)).encode(), [("Content-Type", "application/json")])
                elif kind == "capture" and server.refuse_after is not None and \
                        server.requests["capture"] > server.refuse_after:
                    self.server.socket.close()  # nothing listens any more: later connections are refused
                    self.close_connection = True
                elif kind == "capture":
                    match = re.match(r"^/web/(\d{1,14})id_/(.+)$", self.path)
                    if not match:
                        self.send(404, b"not a raw capture address")
                        return
                    self.send(*_reordered(server.replay(match.group(1), match.group(2))))
                else:
                    self.send(404, b"not here")

        return Handler


def _reordered(answer):
    status, headers, body = answer
    return status, body, headers


def _query(path: str) -> dict:
    raw = parse_qs(urlsplit(path).query)
    query = {k: v[-1] for k, v in raw.items()}
    query["filters"] = raw.get("filter", [])
    query["collapse"] = raw.get("collapse", [])
    return query


def _passes(capture: Capture, spec: str) -> bool:
    """One CDX filter, `[!]field:regex`."""
    negate = spec.startswith("!")
    field, _, pattern = spec.lstrip("!").partition(":")
    matched = field in FIELDS and re.fullmatch(pattern, capture.field(field)) is not None
    return matched != negate


REJECT = r"wp-admin|wp-login|replytocom|oembed|xmlrpc|\?s=|/tag/|/search/|/wp-includes/|/wp-content/|share="
MEDIA_REJECT = r"wp-admin|wp-login|replytocom|oembed|xmlrpc|\?s=|/tag/|/search/|/wp-includes/|/wp-content/themes/|share="


def wget_capture(site_url: str, warc_stem, media: bool = False, options=()) -> str:
    """A crawl of the blog into `warc_stem`.warc.gz by Debian's wget, as a web archive's crawler
    makes one: seeded with the home page, the feeds, the sitemaps and every URL they list (pages
    no menu links are found so), then following links to comment pages, comment feeds and the
    REST responses pages link (not --no-parent: a page seeded from the sitemap links its REST
    response above its own folder). The files stay in a scratch folder until the crawl ends: with
    --delete-after wget forgets what it fetched and crawls again from every seed. `media`: also the page requisites under the uploads folder.
    `options`: more of wget's (--warc-cdx, --warc-dedup=CDX: revisit records for repeated payloads)."""
    import subprocess
    import tempfile

    seeds = [site_url, site_url + "feed/", site_url + "comments/feed/", *sitemap_urls(site_url)]
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["wget", "-q", f"--warc-file={warc_stem}", "--no-warc-keep-log", "--recursive", "--level=3",
                        "-e", "robots=off", f"--reject-regex={MEDIA_REJECT if media else REJECT}",
                        *(["--page-requisites"] if media else []), *options, "-P", scratch, *seeds],
                       check=False)
    return f"{warc_stem}.warc.gz"


def sitemap_urls(site_url: str) -> list[str]:
    """The sitemap index, its sitemaps and the URLs they list (what the crawler is seeded with)."""
    import urllib.request

    def locs(url):
        with urllib.request.urlopen(url, timeout=30) as answer:
            return re.findall(r"<loc>([^<]+)</loc>", answer.read().decode())

    index = site_url + "wp-sitemap.xml"
    maps = locs(index)
    return [index, *maps, *(url for sitemap in maps for url in locs(sitemap))]
