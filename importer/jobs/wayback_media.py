"""The media of a blog archived through the Wayback Machine, read from their captures rather
than from the dead host: each file's capture is looked up among those the scrape's inventory
listed (kept in `captures`), else in one CDX listing of the blog's uploads per run, then its raw
capture (`BASE/web/<ts>id_/<url>`) is streamed through the same politeness as the scrape (cdx.py:
spacing, Retry-After, a refused connection stops the run, --max-requests). A file the index does
not hold is failed as gone (404), so it is not asked again until --refresh."""
from urllib.parse import urlsplit

from ..errors import FetchError
from ..media.collect import UPLOADS
from ..sources import cdx
from ..sources.captured import url_key
from ..sources.wayback import DEFAULT_BASE, _hosts
from ..web import Fetcher
from ..web.download import _downloaded

NO_CAPTURE = "no capture in the Wayback index"


class WaybackMedia:
    """What `download` needs for a Wayback site: the archive's client and the captures known,
    keyed as captures are looked up (`url_key`); `requests` counts the run's, as a pool does."""

    def __init__(self, conn, site_id: int, site_url: str, state: dict, options):
        base = (state.get("wayback_url") or DEFAULT_BASE).rstrip("/")
        fetcher = Fetcher(base, delay=cdx.CAPTURE_SPACING, robots=False, max_requests=options.max_requests,
                          allow_private=options.allow_private, retries=0, sleep=options.sleep,
                          transport=options.transport)
        self.archive = cdx.Wayback(fetcher, base, cdx.CDX_SPACING, cdx.BUSY_WAIT)
        self.site_url, self.listed = site_url, False
        self.known = _known(conn, site_id)

    @property
    def requests(self) -> int:
        return self.archive.fetcher.requests

    def timestamp(self, url: str) -> str | None:
        """The capture to read for `url`: one the archive holds, asking the index once per run
        for the blog's uploads (or for this one URL, elsewhere) when none is known yet."""
        key = url_key(url)
        covered = UPLOADS in urlsplit(url).path and _on(self.site_url, key)  # what the uploads listing holds
        if key not in self.known and covered and not self.listed:
            self.listed = True
            for host in _hosts(self.site_url):
                self._learn(self.archive.listing(host + UPLOADS.lstrip("/"), True, "urlkey"))
        if key not in self.known and not covered:
            self._learn(self.archive.listing(url, False, "urlkey"))
        return self.known.get(key)

    def _learn(self, rows):
        for seen in rows:
            self.known.setdefault(url_key(seen.url), seen.timestamp)


def download(media: WaybackMedia, url: str, sink, *, max_bytes: int, deadline: float, etag=None, modified=None):
    """The file's capture into `sink`, as `web.download.download` gives a live file."""
    timestamp = media.timestamp(url)
    if timestamp is None:
        raise FetchError(url, NO_CAPTURE, 404)
    response = media.archive.stream(url, timestamp, sink, max_bytes=max_bytes, deadline=deadline, etag=etag,
                                    modified=modified)
    return _downloaded(response, conditional=bool(etag or modified))


def _known(conn, site_id: int) -> dict[str, str]:
    """URL key -> 14-digit time of the newest Wayback capture the archive knows of each URL."""
    rows = conn.execute("SELECT url, max(captured_at) FROM captures WHERE site_id = ? AND source = 'wayback' "
                        "GROUP BY url", (site_id,)).fetchall()
    return {url_key(url): "".join(ch for ch in when if ch.isdigit()) for url, when in rows}


def _on(site_url: str, key: str) -> bool:
    """Whether the URL key is under one of the blog's own addresses (its uploads were listed)."""
    return any(key.startswith(url_key("http://" + host)) for host in _hosts(site_url))
