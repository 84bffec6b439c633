"""How evidence merges into a row: fields, not rows. A known value is never overwritten by an
unknown one, and a rendered source's text that reads the same as the stored text is no change."""
import re

from ..text import comparable, html_to_text


def upsert_sql(table: str, columns: tuple[str, ...]) -> str:
    """INSERT .. ON CONFLICT DO UPDATE keyed on (site_id, wp_id) that changes a row only when a
    known value differs. parent_id is looked up as the row goes in, when the parent is in already."""
    names = ("site_id", "wp_id") + columns + ("source", "first_seen", "last_seen", "parent_id")
    marks = ["?"] * (len(names) - 1) + [f"(SELECT p.id FROM {table} p WHERE p.site_id = ? AND p.wp_id = ?)"]
    sets = [f"{c} = coalesce(excluded.{c}, {table}.{c})" for c in columns]
    changed = " OR ".join(f"(excluded.{c} IS NOT NULL AND excluded.{c} IS NOT {table}.{c})" for c in columns)
    sets.insert(0, f"parent_id = CASE WHEN excluded.parent_wp_id IS NOT {table}.parent_wp_id "
                   f"AND excluded.parent_wp_id IS NOT NULL THEN excluded.parent_id "
                   f"ELSE coalesce({table}.parent_id, excluded.parent_id) END")
    sets += ["source = excluded.source", "last_seen = excluded.last_seen", "deleted_at = NULL"]
    return (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)}) "
            f"ON CONFLICT (site_id, wp_id) DO UPDATE SET {', '.join(sets)} "
            f"WHERE {changed} OR {table}.deleted_at IS NOT NULL")


def plain_insert(upsert: str) -> str:
    """The INSERT of an upsert without its conflict clause, for rows new to a fresh archive."""
    return upsert.split(" ON CONFLICT ")[0]


def meta_upsert(table: str, owner: str) -> str:
    return (f"INSERT INTO {table} ({owner}, key, seq, value) VALUES (?, ?, ?, ?) "
            f"ON CONFLICT ({owner}, key, seq) DO UPDATE SET value = excluded.value "
            "WHERE value IS NOT excluded.value")


def new_meta_keys_sql(table: str, owner: str) -> str:
    """Meta of a record given twice: keys the first time lacked are added, none overwritten."""
    return (f"INSERT INTO {table} ({owner}, key, seq, value) SELECT ?, ?, ?, ? WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} WHERE {owner} = ? AND key = ?)")


def merge_row(conn, table: str, row_id: int, values: dict, source: str, seen: str) -> bool:
    """Update a known row with the known values that differ; True if anything changed."""
    changed = " OR ".join(f"(:{c} IS NOT NULL AND :{c} IS NOT {c})" for c in values)
    sets = ", ".join(f"{c} = coalesce(:{c}, {c})" for c in values)
    back = " OR deleted_at IS NOT NULL" if table in ("posts", "comments") else ""
    cleared = ", deleted_at = NULL" if back else ""
    return conn.execute(
        f"UPDATE {table} SET {sets}, source = :source, last_seen = :seen{cleared} "
        f"WHERE id = :id AND ({changed}{back})",
        {**values, "source": source, "seen": seen, "id": row_id}).rowcount > 0


def fill_gaps(conn, table: str, row_id: int, values: dict):
    """A record given again in the same input only fills what the first left unknown."""
    sets = ", ".join(f"{c} = coalesce({c}, :{c})" for c in values)
    conn.execute(f"UPDATE {table} SET {sets} WHERE id = :id", {**values, "id": row_id})


def drop_unchanged_text(records: list, stored: dict, fields: tuple[str, ...]):
    """Rendered sources (REST, HTML, feeds) show WordPress's text after texturize and wpautop.
    Where the text reads the same as the archived value (`stored`: wp_id -> (content_text,
    *fields)), the archived value (often an export's raw source) stays: markup alone is not a
    change, so the record's value is set to unknown."""
    for record in records:
        old = stored.get(record.wp_id)
        if old is None:
            continue
        if record.content_text is None:
            record.content_text = html_to_text(record.content)
        if record.content is not None and comparable(record.content_text) == comparable(old[0]):
            record.content = record.content_text = None
        for name, old_value in zip(fields, old[1:]):
            value = getattr(record, name)
            if value is None:
                continue
            text = comparable(html_to_text(value))
            if text == comparable(html_to_text(old_value)) or (
                    name == "excerpt" and old_value == "" and generated_excerpt(text, old[0])):
                setattr(record, name, None)


def generated_excerpt(excerpt: str, content_text: str | None) -> bool:
    """True for the excerpt WordPress makes from the content when none was written: the
    content's opening words, cut with an ellipsis or a 'continue reading' link."""
    opening = re.sub(r"\s*(\[\.\.\.\]|\.\.\.|\[…\]|Continue reading.*|Read more.*)$", "", excerpt)
    return bool(opening) and comparable(content_text).startswith(opening[:60])


def text_of(text: str | None, markup: str | None) -> str | None:
    """The plain text a source derived, or derived here from the markup."""
    return text if text is not None else html_to_text(markup)


def numbered(meta: list[tuple[str, str]]):
    """(key, seq, value): repeated keys of one owner are numbered in order, so none is lost."""
    seen: dict[str, int] = {}
    for key, value in meta:
        seq = seen.get(key, 0)
        seen[key] = seq + 1
        yield key, seq, value
