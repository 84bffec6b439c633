"""A site address as a user types it: checked before anything is fetched, and what a post's
address tells of the blog it belongs to."""
from urllib.parse import urlsplit, urlunsplit

from ..errors import FetchError

SCHEMES = ("http", "https")


def checked(url: str) -> str:
    """The URL, or FetchError (one line) when it is not an http(s) address of a host."""
    parts = urlsplit(url)
    if not parts.scheme or "://" not in url:
        raise FetchError(url, f"not a web address; give its scheme, e.g. https://{url.lstrip('/')}")
    if parts.scheme.lower() not in SCHEMES:
        raise FetchError(url, f"{parts.scheme}:// is not supported; wparchive reads http:// and https:// sites")
    if not parts.hostname:
        raise FetchError(url, "no host name in the address")
    return url


def host_root(url: str) -> str | None:
    """The root of the URL's host when the URL is below it (a guess at the blog's root), else None."""
    parts = urlsplit(url)
    if parts.path.strip("/") or parts.query:
        return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    return None
