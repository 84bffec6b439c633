"""WordPress.com's public API, for blogs hosted there: the WordPress REST routes, served for every
WordPress.com site under public-api.wordpress.com/wp/v2/sites/<site>/, and the site's name and
address from /rest/v1.1/sites/<site>. The scraper allows this one other host for such blogs."""
import os
from urllib.parse import urlsplit

from ..web import host_of
from . import rest

DEFAULT_API = "https://public-api.wordpress.com"


def api_base() -> str:
    """The public API's address (WPARCHIVE_WPCOM_API points tests at a local stand-in)."""
    return os.environ.get("WPARCHIVE_WPCOM_API", DEFAULT_API).rstrip("/")


class WpcomAPI(rest.RestAPI):
    def __init__(self, fetcher, site_url: str):
        site = urlsplit(site_url).netloc
        super().__init__(fetcher, f"{api_base()}/wp/v2/sites/{site}")
        self.info = f"{api_base()}/rest/v1.1/sites/{site}"

    def _where(self, route: str, params: dict) -> tuple[str, dict]:
        if route == "/":
            return self.info, params
        return self.root + route.removeprefix("/wp/v2"), params


def collect(site):
    """The REST records of a WordPress.com blog, read through the public API (whose host is then
    allowed)."""
    api = WpcomAPI(site.fetcher, site.url)
    site.fetcher.also = (*site.fetcher.also, host_of(api.root))
    yield from rest.collect(site, api, via="wpcom")
