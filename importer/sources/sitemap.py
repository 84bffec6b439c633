"""Post and page URLs from a site's sitemaps: WordPress core (wp-sitemap.xml), Yoast
(sitemap_index.xml) and plain sitemap.xml, following sitemap indexes to the content sitemaps."""
import re
from urllib.parse import urljoin

from ..errors import FetchError, HostileInputError
from ..model import Problem
from ..web import Fetcher
from .problems import problems_of, skipped
from .safe_xml import local, parse

CANDIDATES = ("/wp-sitemap.xml", "/?sitemap=index", "/sitemap_index.xml", "/sitemap.xml")
MAX_SITEMAPS = 500  # WordPress core writes one per 2,000 URLs: a million posts need 500
NOT_CONTENT = re.compile(r"taxonom|categor|tag|user|author|archive", re.I)


def sitemap_urls(fetcher: Fetcher, site_url: str, announced=()):
    """Every page URL the first sitemap that answers lists, in its order; Problems in-band."""
    visited: set[str] = set()
    for candidate in dict.fromkeys([*announced, *(urljoin(site_url, c) for c in CANDIDATES)]):
        urls = []
        yield from problems_of(_read(fetcher, candidate, 0, visited), urls)
        if urls:
            yield from dict.fromkeys(urls)
            return


def _read(fetcher, url, depth, visited: set[str]):
    """A sitemap's URLs, following an index to its sitemaps: each read once, at most MAX_SITEMAPS
    in all (an index that points back at itself, or lists thousands, ends)."""
    if url in visited:
        return
    if len(visited) >= MAX_SITEMAPS:
        if len(visited) == MAX_SITEMAPS:
            visited.add("")  # say it once
            yield Problem(f"{url}: more than {MAX_SITEMAPS} sitemaps", "the rest not read; the run went on")
        return
    visited.add(url)
    try:
        root = parse(fetcher.get(url).content, url)
    except HostileInputError as refused:
        yield Problem(str(refused), "sitemap refused; the run went on")
        return
    except FetchError as error:
        if error.status != 404:
            yield skipped(error)
        return
    if root is None:
        return
    locs = [(e.text or "").strip() for e in root.iter() if local(e.tag) == "loc"]
    if local(root.tag) == "sitemapindex":
        if depth <= 2:
            for child in locs:
                if not NOT_CONTENT.search(child.rsplit("/", 1)[-1]):
                    yield from _read(fetcher, child, depth + 1, visited)
    elif local(root.tag) == "urlset":
        yield from locs
