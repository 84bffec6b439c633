"""Parents before children: WordPress's importer links a term or a comment to its parent only if
the parent was already imported."""


def parents_first(rows: list[dict], parent_of) -> list[dict]:
    """The rows in their order, except that each comes after its parent (when the parent is among
    them); a cycle in bad data is broken where it is found."""
    by_id = {row["id"]: row for row in rows}
    children: dict = {}
    roots = []
    for row in rows:
        parent = parent_of(row)
        if parent in by_id and parent != row["id"]:
            children.setdefault(parent, []).append(row)
        else:
            roots.append(row)
    ordered, seen = [], set()
    for row in roots + rows:  # rows again: members of a cycle have no root to reach them from
        stack = [row]
        while stack:
            current = stack.pop()
            if current["id"] in seen:
                continue
            seen.add(current["id"])
            ordered.append(current)
            stack.extend(reversed(children.get(current["id"], [])))
    return ordered
