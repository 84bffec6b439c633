"""Which hosts a site's files may be fetched from: the site's own host (and its www twin), the
hosts WordPress.com serves that site's files from (i0–i3.wp.com/<host>/..., <blog>.files.wordpress.com),
and only those others the user names with --hosts. A reference to anywhere else is recorded
(the reader shows it as not archived) but never fetched.
"""
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_PHOTON = re.compile(r"^i[0-3]\.wp\.com$")


def bare(host: str) -> str:
    return host.lower().rstrip(".").removeprefix("www.")


DEFAULT_PORTS = {"http": 80, "https": 443}


def host_of(url: str) -> str:
    """`host`, or `host:port` for a port other than the scheme's own ('' when there is no host)."""
    try:
        parts = urlsplit(url)
        host, port = bare(parts.hostname or ""), parts.port
    except ValueError:
        return ""
    return f"{host}:{port}" if host and port and port != DEFAULT_PORTS.get(parts.scheme) else host


def _named(host: str, names) -> bool:
    """`host` is one of `names`, a name without a port standing for the host on any port."""
    return host in names or host.split(":")[0] in names


@dataclass(frozen=True)
class MediaHosts:
    """The hosts of one site's files. `site` is the site's bare host; `extra` the --hosts."""
    site: str
    extra: frozenset[str] = frozenset()

    @classmethod
    def of(cls, site_url: str, extra=()) -> "MediaHosts":
        return cls(host_of(site_url), frozenset(bare(h.strip()) for h in extra if h.strip()))

    def allows(self, url: str) -> bool:
        host = host_of(url)
        if not host:
            return False
        if host == self.site or host == self.files_host or _named(host, self.extra):
            return True
        if _PHOTON.match(host):  # i0.wp.com/<host>/path: the site's own file through Photon
            served = urlsplit(url).path.lstrip("/").split("/", 1)[0]
            return bare(served) == self.site or _named(bare(served), self.extra)
        return False

    @property
    def files_host(self) -> str | None:
        """`blog.files.wordpress.com` for `blog.wordpress.com`."""
        if self.site.endswith(".wordpress.com") and self.site.count(".") == 2 and ":" not in self.site:
            return self.site.removesuffix(".wordpress.com") + ".files.wordpress.com"
        return None

