"""Which hosts a site's files may be fetched from: the site's own host (and its www twin), the
hosts WordPress.com serves that site's files from (i0–i3.wp.com/<host>/..., <blog>.files.wordpress.com),
and only those others the user names with --hosts. A reference to anywhere else is recorded
(the reader shows it as not archived) but never fetched. Names match URLs by
web/hostnames.py's one rule, the rule the download's fetchers go by too.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..web.hostnames import DEFAULT_PORTS, bare, default_ports, host_name, on_named

PHOTON = tuple(default for n in range(4) for default in default_ports(f"i{n}.wp.com"))


def host_of(url: str) -> str:
    """`host`, or `host:port` for a port other than the scheme's own ('' when there is no host)."""
    try:
        parts = urlsplit(url)
        host, port = bare(parts.hostname or ""), parts.port
    except ValueError:
        return ""
    return f"{host}:{port}" if host and port and port != DEFAULT_PORTS.get(parts.scheme) else host


@dataclass(frozen=True)
class MediaHosts:
    """The hosts of one site's files. `site` is the site's bare host (with its port when not
    the scheme's own); `extra` the --hosts names."""
    site: str
    extra: frozenset[str] = frozenset()

    @classmethod
    def of(cls, site_url: str, extra=()) -> "MediaHosts":
        return cls(host_of(site_url), frozenset(filter(None, (host_name(h) for h in extra))))

    @property
    def own(self) -> tuple[str, ...]:
        """The site's own host on its own port(s), and its WordPress.com files host."""
        site = (self.site,) if ":" in self.site else default_ports(self.site)
        return (*site, *(default_ports(self.files_host) if self.files_host else ()))

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a file may be fetched from (what the download's Fetchers take)."""
        return (*self.own, *self.extra, *PHOTON)

    def allows(self, url: str) -> bool:
        if on_named(url, (*self.own, *self.extra)):
            return True
        if on_named(url, PHOTON):  # i0.wp.com/<host>/path: the site's own file through Photon
            served = urlsplit(url).path.lstrip("/").split("/", 1)[0]
            return on_named(f"https://{served}/", (*self.own, *self.extra))
        return False

    @property
    def files_host(self) -> str | None:
        """`blog.files.wordpress.com` for `blog.wordpress.com`."""
        if self.site.endswith(".wordpress.com") and self.site.count(".") == 2 and ":" not in self.site:
            return self.site.removesuffix(".wordpress.com") + ".files.wordpress.com"
        return None
