"""Which files a site uses: each attachment's own file, its sizes and the original behind a
`-scaled` image, and what post and comment HTML references (img src and every srcset candidate,
links to uploaded files, audio/video/source, posters). Pure functions over archived rows: nothing
here reads the archive or the network, so what is collected can be tested from strings.
"""
import posixpath
import re
from dataclasses import dataclass
from typing import Iterator, NamedTuple
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree, html

from .metadata import AttachmentMetadata

UPLOADS = "/wp-content/uploads/"
NOT_FILES = {"", ".htm", ".html", ".php", ".asp", ".aspx", ".jsp"}  # a link to these is a page, not a file


class Use(NamedTuple):
    """One URL as a post or comment uses it (the media_uses row before it has ids)."""
    url: str
    kind: str
    post_id: int | None = None
    comment_id: int | None = None


@dataclass
class Attachment:
    """An archived attachment post: its file's URL and the `_wp_attachment_metadata` it carried."""
    post_id: int
    url: str | None
    metadata: AttachmentMetadata | None = None


def attachment_uses(attachment: Attachment) -> Iterator[Use]:
    """The attachment's own file, every size WordPress generated beside it, and the original
    upload behind a `-scaled` file (named in the metadata, else the URL without `-scaled`)."""
    url = absolute(attachment.url)
    if url is None:
        return
    yield Use(url, "attachment", attachment.post_id)
    folder = url.rsplit("/", 1)[0] + "/"
    meta = attachment.metadata
    for name in (meta.sizes if meta else ()):
        yield Use(urljoin(folder, name), "size", attachment.post_id)
    original = meta.original_image if meta and meta.original_image else unscaled_name(url)
    if original:
        yield Use(urljoin(folder, original), "original", attachment.post_id)


def rest_media_uses(item, post_id: int) -> Iterator[Use]:
    """The sizes and original a REST media item's `media_details` names (the attachment's own
    file is its archived attachment_url already)."""
    details = item.get("media_details") if isinstance(item, dict) else None
    own = absolute(item.get("source_url")) if isinstance(details, dict) else None
    if own is None:
        return
    sizes = details.get("sizes")
    for size in (sizes.values() if isinstance(sizes, dict) else ()):
        url = absolute(size.get("source_url")) if isinstance(size, dict) and isinstance(size.get("source_url"), str) else None
        if url and url != own:
            yield Use(url, "size", post_id)
    original = details.get("original_image")
    if isinstance(original, str) and original and "/" not in original:
        yield Use(urljoin(own.rsplit("/", 1)[0] + "/", original), "original", post_id)


_SCALED = re.compile(r"^(.+)-scaled(\.[A-Za-z0-9]+)$")


def unscaled_name(url: str) -> str | None:
    """`photo.jpg` for `.../photo-scaled.jpg`: WordPress keeps the upload under its own name."""
    match = _SCALED.match(posixpath.basename(urlsplit(url).path))
    return match.group(1) + match.group(2) if match else None


def html_uses(markup: str | None, base: str | None, post_id: int | None = None,
              comment_id: int | None = None) -> Iterator[Use]:
    """The files an HTML fragment references, resolved against `base` (the post's URL)."""
    if not markup or "<" not in markup:
        return
    try:
        root = html.fragment_fromstring(markup, create_parent="div",
                                        parser=html.HTMLParser(no_network=True, huge_tree=False))
    except (etree.ParserError, ValueError):
        return
    seen = set()
    for url, kind in _references(root):
        url = absolute(url, base)
        if url is not None and (url, kind) not in seen:
            seen.add((url, kind))
            yield Use(url, kind, post_id, comment_id)


def _references(root) -> Iterator[tuple[str, str]]:
    for element in root.iter("img", "a", "audio", "video", "source"):
        tag = element.tag
        if tag == "img":
            for attribute in ("src", "data-src", "data-lazy-src", "data-orig-file"):
                if element.get(attribute):
                    yield element.get(attribute), "img"
            for attribute in ("srcset", "data-srcset", "data-lazy-srcset"):
                yield from ((candidate, "srcset") for candidate in srcset_urls(element.get(attribute)))
        elif tag == "a":
            href = element.get("href")
            if href and is_uploaded_file(href):
                yield href, "link"
        else:
            kind = _media_kind(element)
            if element.get("src"):
                yield element.get("src"), kind
            if element.get("poster"):
                yield element.get("poster"), "img"
            yield from ((candidate, "srcset") for candidate in srcset_urls(element.get("srcset")))


def _media_kind(element) -> str:
    """audio or video: a <source> takes its parent's kind (in a <picture>, it is an image)."""
    if element.tag in ("audio", "video"):
        return element.tag
    parent = element.getparent()
    return parent.tag if parent is not None and parent.tag in ("audio", "video") else "img"


_CANDIDATE = re.compile(r"\s*([^\s,][^\s]*)(?:\s+([^,]*))?(?:,|$)")


def srcset_candidates(srcset: str | None) -> list[tuple[str, str]]:
    """(url, descriptor) for each candidate of a srcset (`a.jpg 300w, b.jpg 2x`); a URL may itself
    hold commas (i0.wp.com's `?resize=300,200`), so a candidate ends at whitespace, not at the
    first comma (as the HTML standard parses it)."""
    if not srcset:
        return []
    candidates = []
    for match in _CANDIDATE.finditer(srcset.strip()):
        url = match.group(1).rstrip(",")
        if url:
            candidates.append((url, (match.group(2) or "").strip()))
    return candidates


def srcset_urls(srcset: str | None) -> list[str]:
    """Every candidate URL of a srcset."""
    return [url for url, _ in srcset_candidates(srcset)]


def is_uploaded_file(href: str) -> bool:
    """A link to a file in the uploads (a PDF, a zip, an mp3), not to a page."""
    parts = urlsplit(href)
    path = parts.path
    host = (parts.hostname or "").lower()
    uploaded = UPLOADS in path or host.endswith(".files.wordpress.com") or "/files/" in path and "wp.com" in host
    return uploaded and posixpath.splitext(path)[1].lower() not in NOT_FILES


def absolute(url: str | None, base: str | None = None) -> str | None:
    """The URL made absolute against `base`, without its fragment; None for what is no web file
    (data:, javascript:, mailto:, empty)."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url if not base else urljoin(base, url)
    elif base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def og_image_uses(url: str | None, base: str | None, post_id: int) -> Iterator[Use]:
    """The picture a scraped page announced for sharing (og:image)."""
    url = absolute(url, base)
    if url:
        yield Use(url, "og_image", post_id)
