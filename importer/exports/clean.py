"""Text as XML 1.0 can carry it: what it forbids is removed (and said), the rest kept byte for byte."""
import re
from dataclasses import dataclass

from lxml import etree

# XML 1.0 allows #x9 #xA #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF; everything else is refused
# by every conforming parser, WordPress's SimpleXML among them.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Removed:
    """One kind of character removed from one field of one row: what the run's report lists."""
    where: str   # "post 12", "comment 7 of post 12", "term category/news", "author jane", "site"
    field: str
    char: str    # U+0001
    count: int

    def line(self) -> str:
        return f"removed {self.count} × {self.char} (not allowed in XML) from {self.where} {self.field}"


def cleaned(value: str, where: str, field: str, removed: list[Removed]) -> str:
    """The value without the characters XML forbids; each kind removed is added to `removed`."""
    if not _FORBIDDEN.search(value):
        return value
    counts: dict[str, int] = {}
    for char in _FORBIDDEN.findall(value):
        counts[char] = counts.get(char, 0) + 1
    for char, count in sorted(counts.items()):
        removed.append(Removed(where, field, f"U+{ord(char):04X}", count))
    return _FORBIDDEN.sub("", value)


def pieces(value: str) -> list:
    """What to write for a text value. CDATA as WordPress writes it, with `]]>` split across two
    sections; but a value holding CR goes as escaped text, because XML parsers turn a raw CR
    (CR LF too) into LF, and only `&#13;` comes back as CR (serialized meta counts its bytes)."""
    if "\r" in value or not value:
        return [value]
    out = []
    parts = value.split("]]>")
    for i, part in enumerate(parts):
        text = (">" if i else "") + part + ("]]" if i < len(parts) - 1 else "")
        out.extend(_section(text))
    return out


def _section(text: str) -> list:
    """One CDATA section; a single closing `]` goes after it as text, because lxml's incremental
    writer (6.1) crashes on a CDATA section whose text ends in exactly one `]`."""
    if text.endswith("]") and not text.endswith("]]"):
        return ([etree.CDATA(text[:-1])] if len(text) > 1 else []) + ["]"]
    return [etree.CDATA(text)]
