"""How evidence merges into a row: fields, not rows. A known value is never overwritten by an
unknown one, and a rendered source's text that reads the same as the stored text is no change.

A row's current values come from the evidence with the latest time: a post's `modified_gmt`
(else the time its source was seen: the export's date, the scrape's moment), then that seen
time; a comment's, term's or author's seen time. Older evidence only fills what is unknown, and a
post's or comment's older text is kept as a version dated by its own time, so importing exports
in any order ends with the same rows, and re-reading any input changes nothing.
"""
import re

from ..text import comparable, html_to_text

NEWER = {
    "posts": "(coalesce(excluded.modified_gmt, excluded.last_seen), excluded.last_seen) > "
             "(coalesce(posts.modified_gmt, posts.last_seen, ''), coalesce(posts.last_seen, ''))",
    "comments": "excluded.last_seen >= coalesce(comments.last_seen, '')",  # a comment given twice: the last
}


def upsert_sql(table: str, columns: tuple[str, ...]) -> str:
    """INSERT .. ON CONFLICT DO UPDATE keyed on (site_id, wp_id) that changes a row only when a
    value differs: newer evidence sets every value it knows, older evidence only unknown ones.
    parent_id is looked up as the row goes in, when the parent is in already."""
    newer = NEWER[table]
    names = ("site_id", "wp_id") + columns + ("source", "first_seen", "last_seen", "parent_id")
    marks = ["?"] * (len(names) - 1) + [f"(SELECT p.id FROM {table} p WHERE p.site_id = ? AND p.wp_id = ?)"]
    sets = [f"{c} = CASE WHEN {newer} THEN coalesce(excluded.{c}, {table}.{c}) "
            f"ELSE coalesce({table}.{c}, excluded.{c}) END" for c in columns]
    overrides = " OR ".join(f"(excluded.{c} IS NOT NULL AND excluded.{c} IS NOT {table}.{c})" for c in columns)
    fills = " OR ".join(f"({table}.{c} IS NULL AND excluded.{c} IS NOT NULL)" for c in columns)
    sets.insert(0, f"parent_id = CASE WHEN {newer} AND excluded.parent_wp_id IS NOT {table}.parent_wp_id "
                   f"AND excluded.parent_wp_id IS NOT NULL THEN excluded.parent_id "
                   f"ELSE coalesce({table}.parent_id, excluded.parent_id) END")
    sets += [f"source = CASE WHEN {newer} THEN excluded.source ELSE {table}.source END",
             f"last_seen = max(coalesce({table}.last_seen, ''), excluded.last_seen)",
             f"deleted_at = CASE WHEN {newer} THEN NULL ELSE {table}.deleted_at END"]
    return (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)}) "
            f"ON CONFLICT (site_id, wp_id) DO UPDATE SET {', '.join(sets)} "
            f"WHERE ({newer} AND ({overrides} OR {table}.deleted_at IS NOT NULL)) OR (NOT {newer} AND ({fills}))")


# The text of evidence the writer found older than the row (Writer._older_posts, _older_comments),
# kept as a version dated by its own time where it differs from the row and from every version.
OLDER_POST_VERSION = (
    "INSERT INTO post_versions (post_id, title, content, excerpt, status, modified_gmt, captured_at) "
    "SELECT p.id, :title, :content, :excerpt, :status, :modified_gmt, coalesce(:modified_gmt, :seen) FROM posts p "
    "WHERE p.site_id = :site_id AND p.wp_id = :wp_id "
    "AND ((:title IS NOT NULL AND :title IS NOT p.title) OR (:content IS NOT NULL AND :content IS NOT p.content) "
    "OR (:excerpt IS NOT NULL AND :excerpt IS NOT p.excerpt) OR (:status IS NOT NULL AND :status IS NOT p.status)) "
    "AND NOT EXISTS (SELECT 1 FROM post_versions v WHERE v.post_id = p.id AND v.title IS :title "
    "AND v.content IS :content AND v.excerpt IS :excerpt AND v.status IS :status)")
OLDER_COMMENT_VERSION = (
    "INSERT INTO comment_versions (comment_id, content, status, captured_at) "
    "SELECT c.id, :content, :status, :seen FROM comments c WHERE c.site_id = :site_id AND c.wp_id = :wp_id "
    "AND ((:content IS NOT NULL AND :content IS NOT c.content) "
    "OR (:status IS NOT NULL AND :status IS NOT c.status)) "
    "AND NOT EXISTS (SELECT 1 FROM comment_versions v WHERE v.comment_id = c.id AND v.content IS :content "
    "AND v.status IS :status)")


def plain_insert(upsert: str) -> str:
    """The INSERT of an upsert without its conflict clause, for rows new to a fresh archive."""
    return upsert.split(" ON CONFLICT ")[0]


def meta_upsert(table: str, owner: str) -> str:
    return (f"INSERT INTO {table} ({owner}, key, seq, value) VALUES (?, ?, ?, ?) "
            f"ON CONFLICT ({owner}, key, seq) DO UPDATE SET value = excluded.value "
            "WHERE value IS NOT excluded.value")


def new_meta_keys_sql(table: str, owner: str) -> str:
    """Meta of a record given twice, or by older evidence: keys not known are added, none overwritten."""
    return (f"INSERT INTO {table} ({owner}, key, seq, value) SELECT ?, ?, ?, ? WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} WHERE {owner} = ? AND key = ?)")


def merge_row(conn, table: str, row_id: int, values: dict, source: str, seen: str) -> bool:
    """Merge into a known row: evidence seen later than the row sets the values it knows, earlier
    or equal evidence only the unknown ones. True if anything changed."""
    newer = "(:seen > coalesce(last_seen, ''))"
    sets = ", ".join(f"{c} = CASE WHEN {newer} THEN coalesce(:{c}, {c}) ELSE coalesce({c}, :{c}) END"
                     for c in values)
    overrides = " OR ".join(f"(:{c} IS NOT NULL AND :{c} IS NOT {c})" for c in values)
    fills = " OR ".join(f"({c} IS NULL AND :{c} IS NOT NULL)" for c in values)
    gone = table in ("posts", "comments")
    back = " OR deleted_at IS NOT NULL" if gone else ""
    cleared = f", deleted_at = CASE WHEN {newer} THEN NULL ELSE deleted_at END" if gone else ""
    return conn.execute(
        f"UPDATE {table} SET {sets}, source = CASE WHEN {newer} THEN :source ELSE source END, "
        f"last_seen = max(coalesce(last_seen, ''), :seen){cleared} "
        f"WHERE id = :id AND (({newer} AND ({overrides}{back})) OR (NOT {newer} AND ({fills})))",
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
