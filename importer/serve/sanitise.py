"""Archived HTML made safe to show, with its media pointing at the archive's own copies.

Archived HTML comes from strangers (comments) and from the web (scraped pages). nh3 (the Rust
ammonia sanitiser) removes scripts, event handlers, styles, frames and embeds. Images, audio and
video stay, but only as copies the archive holds: before nh3 runs, every src, srcset candidate and
poster is looked up (`media`: original URL -> archived route, or None) and rewritten; a file the
archive lacks becomes its alt text and original URL as a plain link, so nothing remote loads when a
page is viewed and nothing silently vanishes. nh3's attribute filter then refuses any src-like value
that is not one of the routes handed out, whatever its parser makes of odd markup.
"""
from typing import Callable, Iterable, Optional

import lxml.etree
import lxml.html
import nh3

from ..media.collect import srcset_candidates

Lookup = Callable[[str], Optional[str]]

MEDIA_TAGS = {"img", "picture", "source", "audio", "video"}
TAGS = (nh3.ALLOWED_TAGS - {"track", "iframe", "embed", "object", "map", "area"}) | MEDIA_TAGS | {
    "figure", "figcaption"}
ATTRIBUTES = {**{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
              "img": {"src", "srcset", "sizes", "alt", "title", "width", "height"},
              "source": {"src", "srcset", "sizes", "type", "media"},
              "audio": {"src", "controls"},
              "video": {"src", "controls", "poster", "width", "height"},
              "span": {"class"}}
PLAYABLE = {"audio": {"controls": ""}, "video": {"controls": ""}}  # archived media can always be played
SOURCE_ATTRIBUTES = {"src", "srcset", "poster"}
MISSING_CLASS = "wparchive-missing-media"


def no_media(url: str) -> None:
    """The lookup when nothing is archived: every file shows as its alt text and link."""
    return None


def references(html: str) -> set[str]:
    """Every URL the media elements of html would load, and the hrefs (which may be files): what
    a caller looks up in one query before calling sanitised."""
    found = set()
    for element in _fragment(html).iter("img", "source", "audio", "video", "a"):
        for name in ("src", "poster", "href"):
            if element.get(name):
                found.add(element.get(name).strip())
        found.update(url for url, _ in srcset_candidates(element.get("srcset") or ""))
    return found


def sanitised(html: str, media: Lookup = no_media) -> str:
    """html cleaned for display; media maps an original URL to the archived copy's route."""
    routes = set()

    def archived(url: str) -> Optional[str]:
        route = media(url.strip())
        if route:
            routes.add(route)
        return route

    rewritten = _rewrite(html, archived)

    def only_routes(tag: str, attribute: str, value: str) -> Optional[str]:
        if attribute in SOURCE_ATTRIBUTES and tag in MEDIA_TAGS:
            urls = [url for url, _ in srcset_candidates(value)] if attribute == "srcset" else [value]
            return value if urls and all(url in routes for url in urls) else None
        return value

    return nh3.clean(rewritten, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=only_routes,
                     set_tag_attribute_values=PLAYABLE, link_rel="noopener noreferrer nofollow ugc", url_schemes={"http", "https", "mailto"})


def _fragment(html: str):
    return lxml.html.fragment_fromstring(html, create_parent="div")


def _rewrite(html: str, archived: Lookup) -> str:
    if not any(f"<{tag}" in html.lower() for tag in (*MEDIA_TAGS, "a")):
        return html
    try:
        root = _fragment(html)
    except (ValueError, lxml.etree.ParserError):  # nothing lxml reads as a fragment: nh3 still strips every src
        return html
    fallbacks = _picture_sources(root, archived)
    for element in list(root.iter("img")):
        _image(element, archived, fallbacks.get(_owner(element)))
    for element in list(root.iter("audio", "video")):
        _playable(element, archived)
    for element in root.iter("a"):
        route = element.get("href") and archived(element.get("href"))
        if route:
            element.set("title", element.get("href"))
            element.set("href", route)
    return (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def _owner(element):
    """The <picture>, <audio> or <video> an element (a <source>, an <img>) belongs to, if any."""
    return next(element.iterancestors("picture", "audio", "video"), None)


def _picture_sources(root, archived: Lookup) -> dict:
    """Each <picture>'s sources pointed at the archive, those naming nothing archived dropped;
    picture -> its first archived source's route, for an <img> whose own file is not archived."""
    fallbacks = {}
    for source in [source for source in root.iter("source") if getattr(_owner(source), "tag", None) == "picture"]:
        picture = _owner(source)
        if _source(source, archived):
            fallbacks.setdefault(picture, source.get("src") or srcset_candidates(source.get("srcset"))[0][0])
        else:
            source.drop_tag()  # libxml2 does not know <source> is empty: keep what it swallowed
    return fallbacks


def _candidates(element, archived: Lookup) -> list[tuple[str, str]]:
    return [(route, descriptor) for route, descriptor in
            ((archived(url), descriptor) for url, descriptor in srcset_candidates(element.get("srcset") or "")) if route]


def _image(img, archived: Lookup, fallback: str | None = None) -> None:
    """An <img> at its archived file, else an archived srcset candidate, else `fallback` (its
    <picture>'s archived source); with none of them, its alt text and original URL."""
    original = (img.get("src") or "").strip()
    first = next(iter(srcset_candidates(img.get("srcset") or "")), ("", ""))[0]
    src = archived(original) if original else None
    candidates = _candidates(img, archived)
    if candidates:
        img.set("srcset", ", ".join(f"{route} {descriptor}".strip() for route, descriptor in candidates))
    elif img.get("srcset") is not None:
        del img.attrib["srcset"]
    src = src or (candidates[0][0] if candidates else None) or fallback
    if src:
        img.set("src", src)
    else:
        _replace_with_link(img, img.get("alt") or "image", original or first)


def _source(source, archived: Lookup) -> bool:
    """Points a <source> at the archive; False when it names nothing archived."""
    kept = _point(source, "src", archived)
    if source.get("srcset") is not None:
        candidates = _candidates(source, archived)
        kept = kept or bool(candidates)
        source.set("srcset", ", ".join(f"{route} {descriptor}".strip() for route, descriptor in candidates))
    return kept


def _point(element, attribute: str, archived: Lookup) -> bool:
    """The attribute's URL replaced by its archived copy's route, or removed; True when archived."""
    route = element.get(attribute) and archived(element.get(attribute))
    if route:
        element.set(attribute, route)
    elif element.get(attribute) is not None:
        del element.attrib[attribute]
    return bool(route)


def _playable(element, archived: Lookup) -> None:
    """An <audio>/<video>: archived src, sources and poster kept; otherwise the links to the originals."""
    originals = [element.get("src")] if element.get("src") else []
    _point(element, "src", archived)
    _point(element, "poster", archived)
    sources = list(element.iter("source"))
    originals += [source.get("src") for source in sources if source.get("src")]
    playable = [source for source in sources if _source(source, archived)]
    for source in sources:
        if source not in playable:
            source.drop_tag()
    if not element.get("src") and not playable:
        _replace_with_link(element, element.tag, *originals)


def _replace_with_link(element, label: str, *urls: str) -> None:
    """The element becomes a span: its label (alt text) and the original URLs as plain links."""
    span = lxml.html.Element("span", {"class": MISSING_CLASS})
    span.text = f"[{label}]"
    previous = None
    for url in _shown(urls):
        if previous is None:
            span.text += " "
        else:
            previous.tail = " "
        previous = lxml.etree.SubElement(span, "a", {"href": url})
        previous.text = url
    span.tail = element.tail
    element.getparent().replace(element, span)


def _shown(urls: Iterable[str]) -> list[str]:
    return [url.strip() for url in dict.fromkeys(urls) if url and url.strip()]
