"""Small text helpers shared by sources and the store: plain text from HTML, dates, site keys."""
import html
import re
from urllib.parse import urlsplit

_MARKUP = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_SHORTCODES = re.compile(r"\[/?[A-Za-z_][\w-]*(?:\s[^\]]*)?\]")


def html_to_text(markup: str | None) -> str | None:
    """Readable text of WordPress HTML (block comments, tags and shortcodes removed) for search."""
    if markup is None:
        return None
    text = markup
    if "<" in text:
        text = _MARKUP.sub(" ", text)
    if "[" in text:
        text = _SHORTCODES.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")


def wp_date(value: str | None) -> str | None:
    """A WordPress date as `YYYY-MM-DD HH:MM:SS`; None for empty or WordPress's zero date."""
    if not value:
        return None
    if len(value) == 19 and value[4] == "-" and value[10] == " " and value[13] == ":" and value[:4] != "0000" \
            and value[5:7] != "00" and value[8:10] != "00":
        return value
    match = _DATE.match(value.strip())
    if not match:
        return None
    y, mo, d, h, mi, s = match.groups()
    if y == "0000" or mo == "00" or d == "00":
        return None
    return f"{y}-{mo}-{d} {h}:{mi}:{s or '00'}"


def site_key(url: str | None) -> str | None:
    """The identity of a blog URL: lower-case host without `www.`, no scheme, no trailing slash."""
    if not url:
        return None
    parts = urlsplit(url.strip() if "://" in url else "http://" + url.strip())
    host = (parts.hostname or "").lower()
    if not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    try:
        port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    except ValueError:  # a port that is not a number: keep the address as written
        port = ""
    return f"{host}{port}{parts.path.rstrip('/')}"


_TYPOGRAPHY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u2018": "'",
                             "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u2013": "-", "\u2014": "-",
                             "\u2026": "...", "\u00a0": " ", "\u00d7": "x", "\u00a9": "(c)", "\u00ae": "(r)",
                             "\u2122": "(tm)"})
_DASHES = re.compile(r"-{2,}")


def comparable(text: str | None) -> str:
    """Text as WordPress's texturize would not change it: for deciding whether a post changed
    when one source shows raw text and another the rendered page."""
    if not text:
        return ""
    return _DASHES.sub("-", " ".join(html.unescape(text).translate(_TYPOGRAPHY).split()))
