"""Host names as a user writes them (`--hosts`) and whether a URL is on one of them: the one rule
both what a media run collects and what its fetchers download go by, so a file collected is
never refused by the download. `cdn.example` is that host on any port over http or https;
`cdn.example:8080` is exactly that port (`example.com:443` is https://example.com/). `www.`, a
trailing dot and letter case make no difference; a name written as a URL is read as its host.
"""
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def bare(host: str) -> str:
    """The host as names compare it: lower case, no trailing dot, no `www.`."""
    return host.lower().rstrip(".").removeprefix("www.")


def host_name(text: str) -> str:
    """A name as the user wrote it (`CDN.example`, `cdn.example:8080`, `https://cdn.example/`),
    in the form `on_named` compares: `cdn.example` or `cdn.example:8080` ('' for nothing)."""
    text = text.strip()
    if "://" in text:
        text = urlsplit(text).netloc.rpartition("@")[2]
    host, colon, port = text.partition(":")
    return bare(host) + colon + port if host else ""


def default_ports(host: str) -> tuple[str, str]:
    """Names for `host` on http's and https's own ports only (a site's own host)."""
    return f"{bare(host)}:80", f"{bare(host)}:443"


def on_named(url: str, names) -> bool:
    """`url` is http(s) on one of `names`: its bare host named, or its host and port."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    host = bare(parts.hostname or "")
    return bool(host) and parts.scheme in DEFAULT_PORTS and (host in names or f"{host}:{port}" in names)
