"""Post and page URLs from a site's sitemaps: WordPress core (wp-sitemap.xml), Yoast
(sitemap_index.xml) and plain sitemap.xml, following sitemap indexes to the content sitemaps."""
import re
from urllib.parse import urljoin

from ..web import Fetcher, FetchError
from .safe_xml import local, parse

CANDIDATES = ("/wp-sitemap.xml", "/?sitemap=index", "/sitemap_index.xml", "/sitemap.xml")
NOT_CONTENT = re.compile(r"taxonom|categor|tag|user|author|archive", re.I)


def sitemap_urls(fetcher: Fetcher, site_url: str, announced=(), report=lambda url, reason: None) -> list[str]:
    """Every page URL the first sitemap that answers lists, in its order."""
    for candidate in dict.fromkeys([*announced, *(urljoin(site_url, c) for c in CANDIDATES)]):
        urls = _read(fetcher, candidate, report, depth=0)
        if urls:
            return list(dict.fromkeys(urls))
    return []


def _read(fetcher, url, report, depth) -> list[str]:
    try:
        root = parse(fetcher.get(url).content)
    except FetchError as error:
        if error.status != 404:
            report(error.url, error.reason)
        return []
    if root is None:
        return []
    locs = [(e.text or "").strip() for e in root.iter() if local(e.tag) == "loc"]
    if local(root.tag) == "sitemapindex":
        if depth > 2:
            return []
        return [u for child in locs if not NOT_CONTENT.search(child.rsplit("/", 1)[-1])
                for u in _read(fetcher, child, report, depth + 1)]
    return locs if local(root.tag) == "urlset" else []
