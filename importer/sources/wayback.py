"""A dead blog from the Wayback Machine: its captures listed by the CDX index and read raw
through the same readers a live scrape uses (sources/captured.py), each capture as evidence at
its own time. A sync asks the index only for captures newer than the newest the last run read.

The run's options travel in its state (`wayback_url`, `wayback_from`, `wayback_to`,
`wayback_captures`), and what the next run needs is left in its SyncState.
"""
from urllib.parse import urlsplit

from ..media.collect import UPLOADS
from ..model import Capture, Site, SyncState
from .captured import Seen, is_post_page, is_site_feed, read_captures, rest_item, url_key
from . import cdx
from .cdx import DEFAULT_BASE


def collect(site):
    """Records of the blog's captures (`site.fetcher` is the archive's fetcher)."""
    base = site.state.get("wayback_url") or DEFAULT_BASE
    archive = cdx.Wayback(site.fetcher, base.rstrip("/"), cdx.CDX_SPACING, cdx.BUSY_WAIT)
    last = site.state.get("wayback_last")
    since = _after(last) if last and not site.full else site.state.get("wayback_from")
    until = site.state.get("wayback_to") or None
    keep = int(site.state.get("wayback_captures") or 0) or None
    yield Site(url=site.url)
    captured = _inventory(archive, site.url, since, until)
    for key, seen in list(captured.items()):
        if rest_item(seen[0].url) or is_post_page(seen[0].url) or is_site_feed(seen[0].url, site.url):
            versions = list(archive.listing(seen[0].url, False, "digest", since, until))
            captured[key] = (versions[-keep:] if keep else versions) or seen
    newest = max((s.timestamp for seen in captured.values() for s in seen if s.exact), default=None)
    yield from read_captures(site.url, captured, archive.capture, base)
    yield from media_captures(captured, base)
    state = {"via": "wayback", "wayback_url": base, "wayback_to": until or "",
             "wayback_captures": str(keep or "")}
    if newest or last:
        state["wayback_last"] = max(newest or "", last or "")
    yield SyncState(state)


def media_captures(captured: dict[str, list[Seen]], base: str):
    """The captures of files under the uploads the inventory listed, kept (not read), so a media
    run reads each file from its capture without asking the index again."""
    for seen in captured.values():
        for one in seen:
            if is_media(one.url) and not (one.mimetype or "").startswith("text/"):
                yield Capture(one.url, one.moment, one.digest, base)


def is_media(url: str) -> bool:
    """A URL of an uploaded file (self-hosted uploads, or WordPress.com's /files/)."""
    path = urlsplit(url).path
    return UPLOADS in path or path.startswith("/files/")


def _inventory(archive: "cdx.Wayback", site_url: str, since, until):
    """Every URL of the blog (its host and its www. twin) the index lists, once each."""
    captured: dict[str, list[Seen]] = {}
    for host in _hosts(site_url):
        for seen in archive.listing(host, True, "urlkey", since, until):
            captured.setdefault(url_key(seen.url), [Seen(seen.url, seen.timestamp, seen.digest, seen.mimetype,
                                                         exact=False)])
    return captured


def _hosts(site_url: str) -> list[str]:
    """The blog's address without scheme, and its www. twin for a named host."""
    parts = urlsplit(site_url)
    host = (parts.netloc or "").lower()
    path = parts.path.rstrip("/") + "/"
    bare = host.removeprefix("www.")
    if bare.replace(".", "").replace(":", "").isdigit() or "." not in bare:
        return [bare + path]
    return [bare + path, "www." + bare + path]


def _after(timestamp: str) -> str:
    """The 14-digit moment a second after `timestamp` (the index compares them as text)."""
    return str(int(timestamp.ljust(14, "0")) + 1)
