"""What changed between two versions of a post: a line diff of their readable text (one line per
paragraph, heading or list item), so a reader sees words, not markup."""
import difflib
import re
from dataclasses import dataclass

from ..text import html_to_text

_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|div|blockquote|pre|figure|figcaption|tr|ul|ol|table)\s*>|<br\s*/?>|\n\s*\n",
                        re.I)


@dataclass(frozen=True)
class Line:
    kind: str  # added, removed, context or hunk
    text: str


def text_lines(title: str | None, html: str | None) -> list[str]:
    lines = [title or ""]
    for block in _BLOCK_END.split(html or ""):
        text = html_to_text(block)
        if text:
            lines.append(text)
    return lines


def diff(before: list[str], after: list[str]) -> list[Line]:
    kinds = {"+": "added", "-": "removed", " ": "context", "@": "hunk"}
    result = []
    for line in difflib.unified_diff(before, after, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        result.append(Line(kinds[line[0]], line[1:] if line[0] != "@" else line))
    return result
