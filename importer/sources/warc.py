"""WARC (and ARC) files as a source: every response record of the blog's pages, feeds and REST
JSON, read through the same readers as its Wayback captures (sources/captured.py), each dated by
its WARC-Date. Revisit records are resolved to the payload they point at. Read with warcio.
`media_responses` gives the files under the blog's uploads, for the media store (jobs/warc_media.py)."""
import re
from collections import Counter
from urllib.parse import urlsplit

from ..errors import DamagedInputError, InputError
from ..inputs import Input
from ..model import Problem, Site
from ..web.fetcher import Response
from .captured import Seen, read_captures, url_key

TEXT = ("text/html", "application/xhtml", "application/json", "application/rss", "application/atom",
        "application/xml", "text/xml")


def records(item: Input, repair: bool, progress):
    """The site the captures belong to (the host most of them are of), then their records."""
    from warcio.archiveiterator import ArchiveIterator  # loaded only when a WARC is read
    from warcio.exceptions import ArchiveLoadFailed

    bodies: dict[tuple[str, str], Response] = {}
    captured: dict[str, list[Seen]] = {}
    try:
        by_digest: dict[str, Response] = {}
        for _, stream in item.streams():
            for record in ArchiveIterator(stream, arc2warc=True):
                _take(record, bodies, captured, by_digest)
            if getattr(stream, "truncated", False):  # warcio stops quietly where a gzip member breaks off
                raise InputError(item.name, "cut short (its gzip data ends part-way), nothing imported")
    except ArchiveLoadFailed as failure:
        raise InputError(item.name, f"not a readable WARC or ARC file ({_first_line(failure)})") from None
    except AttributeError:  # warcio's parser on a record whose WARC headers break off (no Target-URI)
        raise InputError(item.name, "damaged, nothing imported: a record's headers are cut short") from None
    except (DamagedInputError, EOFError, OSError, ValueError) as failure:  # corrupt compressed data
        raise InputError(item.name, f"damaged, nothing imported: {_first_line(failure)}") from None
    if not captured:
        raise InputError(item.name, "no captured page, feed or REST response in the file")
    site_url = _site_url(captured)
    yield Site(url=site_url)
    own = urlsplit(site_url).netloc.removeprefix("www.")
    mine = {key: seen for key, seen in captured.items() if key.split("/")[0] == own}
    yield from read_captures(site_url, mine, lambda url, moment: bodies[(url_key(url), moment)], item.name)
    if len(mine) < len(captured):
        yield Problem(f"{len(captured) - len(mine)} captured URL(s) of other hosts", "left out")


def _take(record, bodies, captured, by_digest):
    """Keep one response (or a revisit's payload) of a text type, by URL key and time."""
    if record.rec_type not in ("response", "revisit") or record.http_headers is None:
        return
    url = record.rec_headers.get_header("WARC-Target-URI")
    moment = re.sub(r"\D", "", record.rec_headers.get_header("WARC-Date") or "")[:14]
    digest = record.rec_headers.get_header("WARC-Payload-Digest")
    status = int(record.http_headers.get_statuscode() or 0)
    if status != 200 or not url or not moment:
        return
    if record.rec_type == "revisit":
        earlier = by_digest.get(digest)
        if earlier is None:
            return
        content, headers = earlier.content, earlier.headers
    else:
        headers = {k.lower(): v for k, v in record.http_headers.headers}
        if not headers.get("content-type", "text/html").lower().startswith(TEXT):
            return
        content = record.content_stream().read()
    response = Response(url, status, headers, content)
    if digest:
        by_digest[digest] = response
    key = url_key(url)
    bodies[(key, moment)] = response
    captured.setdefault(key, []).append(Seen(url, moment, digest, headers.get("content-type")))


def _site_url(captured: dict[str, list[Seen]]) -> str:
    """The root of the host most captures are of."""
    hosts = Counter(urlsplit(seen[0].url)[:2] for seen in captured.values())
    scheme, host = hosts.most_common(1)[0][0]
    return f"{scheme}://{host}/"


def _first_line(failure: Exception) -> str:
    return (str(failure).strip().splitlines() or [failure.__class__.__name__])[0]


MEDIA_PATHS = ("/wp-content/uploads/", "/files/")  # a self-hosted blog's uploads; WordPress.com's


def media_responses(item: Input, site_url: str):
    """(url, payload digest, content type, body stream or None) of each 200 response or revisit
    under the blog's uploads; a revisit (None) holds the payload of the digest it names. The
    stream is read before the next record."""
    from warcio.archiveiterator import ArchiveIterator

    own = urlsplit(site_url).netloc.removeprefix("www.")
    for _, stream in item.streams():
        for record in ArchiveIterator(stream, arc2warc=True):
            if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            parts = urlsplit(url)
            if parts.netloc.removeprefix("www.") != own or not parts.path.startswith(MEDIA_PATHS):
                continue
            kind = record.http_headers.get_header("Content-Type") or ""
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            if record.rec_type == "revisit":
                yield url, digest, kind, None
            elif record.http_headers.get_statuscode() == "200" and not kind.lower().startswith(TEXT):
                yield url, digest, kind, record.content_stream()
