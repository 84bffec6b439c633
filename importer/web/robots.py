"""robots.txt read as RFC 9309 says.

What the fetch of robots.txt ended in decides first: a 2xx is parsed; a 4xx means there are no
rules; a 5xx, a 429 or no answer at all means the site may not be crawled now. The body is read as
UTF-8 whatever charset its header claims, and only its first 500 KiB count. Matching is
Protego's, which implements the RFC: the longest matching rule wins, Allow wins a tie, `*` and `$`
are wildcards, and the group is chosen by our product token, case-insensitively.
"""
import math
from dataclasses import dataclass, field

from protego import Protego

PRODUCT_TOKEN = "wparchive"
MAX_BYTES = 500 << 10
MAX_CRAWL_DELAY = 60.0


@dataclass
class Rules:
    """A site's rules, or one verdict for every path when robots.txt could not be used."""
    parsed: Protego | None = None
    verdict: bool = True
    why: str = ""
    notes: list[str] = field(default_factory=list)

    def allowed(self, url: str) -> bool:
        return self.verdict if self.parsed is None else self.parsed.can_fetch(url, PRODUCT_TOKEN)

    def crawl_delay(self) -> float | None:
        """Seconds between requests the site asks for, capped at MAX_CRAWL_DELAY (noted when capped)."""
        asked = self.parsed.crawl_delay(PRODUCT_TOKEN) if self.parsed else None
        if asked is None or not asked > 0:
            return None
        if not math.isfinite(asked) or asked > MAX_CRAWL_DELAY:
            self.notes.append(f"Crawl-delay {asked:g} s capped at {MAX_CRAWL_DELAY:g} s")
            return MAX_CRAWL_DELAY
        return asked

    def sitemaps(self) -> list[str]:
        return list(self.parsed.sitemaps) if self.parsed else []


def from_response(status: int, content: bytes) -> Rules:
    if 200 <= status < 300:
        return parse(content)
    if 400 <= status < 500 and status != 429:
        return Rules(verdict=True, why=f"robots.txt answered HTTP {status}: no rules")
    if 300 <= status < 400:
        return Rules(verdict=True, why="robots.txt redirects too often: taken as absent")
    return unreachable(f"HTTP {status}")


def unreachable(reason: str) -> Rules:
    return Rules(verdict=False, why=f"robots.txt unreachable ({reason}): the whole site is disallowed until it answers")


def parse(content: bytes) -> Rules:
    text = content[:MAX_BYTES].decode("utf-8-sig", "replace")
    notes = [f"robots.txt reaches the {MAX_BYTES >> 10} KiB limit; rules past it were not read"] if len(content) >= MAX_BYTES else []
    return Rules(parsed=Protego.parse(text), notes=notes)
