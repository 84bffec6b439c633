"""A post's comments as the blog showed them: a thread mirroring the parent links, in reading order,
with pingbacks and trackbacks apart.

The thread comes out flat (each comment with its depth, whether replies follow and how many levels
close after it) so a template can write the nested lists without recursion, however deep the
thread. Damaged parent links (a cycle, a parent not shown) never lose a comment: it starts a thread.
"""
from dataclasses import dataclass

HIDDEN_STATUSES = frozenset({"pending", "spam", "trash"})
PINGS = frozenset({"pingback", "trackback"})


@dataclass(frozen=True)
class Entry:
    comment: dict
    depth: int
    has_replies: bool
    closes: int  # levels of replies that end after this comment (its own </li> aside)
    orphan: bool  # it has a parent, but the parent is not shown


@dataclass(frozen=True)
class Discussion:
    thread: list[Entry]
    pings: list[dict]
    hidden: int  # pending, spam and trashed comments left out


def shown(comment: dict, everything: bool) -> bool:
    return everything or comment["status"] not in HIDDEN_STATUSES


def discussion(comments: list[dict], everything: bool = False) -> Discussion:
    """comments in reading order (date, then id), as queries.comments gives them."""
    visible = [c for c in comments if shown(c, everything)]
    pings = [c for c in visible if c["type"] in PINGS]
    thread = [c for c in visible if c["type"] not in PINGS]
    return Discussion(flatten(thread), pings, len(comments) - len(visible))


def flatten(comments: list[dict]) -> list[Entry]:
    ids = {c["id"] for c in comments}
    replies: dict[int, list[dict]] = {}
    tops = []
    for c in comments:
        if c["parent_id"] in ids and c["parent_id"] != c["id"]:
            replies.setdefault(c["parent_id"], []).append(c)
        else:
            tops.append(c)
    placed: list[tuple[dict, int]] = []
    seen: set[int] = set()
    walk(tops, replies, placed, seen)
    for c in comments:  # only comments caught in a cycle of parent links are left
        if c["id"] not in seen:
            walk([c], replies, placed, seen)
    return entries(placed)


def walk(tops: list[dict], replies: dict[int, list[dict]], placed: list, seen: set[int]) -> None:
    stack = [(c, 0) for c in reversed(tops)]
    while stack:
        c, depth = stack.pop()
        if c["id"] in seen:
            continue
        seen.add(c["id"])
        placed.append((c, depth))
        stack.extend((r, depth + 1) for r in reversed(replies.get(c["id"], [])) if r["id"] not in seen)


def entries(placed: list[tuple[dict, int]]) -> list[Entry]:
    result = []
    for position, (c, depth) in enumerate(placed):
        following = placed[position + 1][1] if position + 1 < len(placed) else 0
        has_replies = following > depth
        result.append(Entry(c, depth, has_replies, 0 if has_replies else depth - following,
                            orphan=depth == 0 and c["parent_id"] is not None))
    return result
