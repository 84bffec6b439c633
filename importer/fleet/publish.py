"""One archive of the whole fleet, for Datasette: every site's rows copied from its own file.

Each per-site file numbers its rows from 1 (its site is id 1), so rows cannot be copied as they
are. A site is matched by its URL (url_key, the archive's identity for a site) and keeps its id
in the combined archive from one publish to the next; its rows are replaced as a whole: deleted
children first, then copied parents first with every id moved past the combined table's
largest, and every *_id column (all are declared foreign keys, schema/schema.sql) moved by its
parent table's offset. The search index follows (the archive's triggers queue the rows, and
archive/search_index.py indexes them before the commit), and each site is one transaction, so a
publish cut short leaves every site either as it was or new.

Tables that belong to no site (media_files, shared by content) are not copied; a reference to
one is left empty.
"""
from dataclasses import dataclass, field

from ..archive.search_index import catch_up

SKIP = {"sites", "schema_migrations"}


@dataclass
class PublishReport:
    out: str
    sites: int = 0
    unchanged: int = 0
    rows: dict = field(default_factory=dict)

    def line(self) -> str:
        copied = ", ".join(f"{n} {t}" for t, n in self.rows.items() if n and t in ("posts", "comments", "terms"))
        return (f"{self.out}: {self.sites} site(s) published" + (f" ({copied})" if copied else "")
                + f", {self.unchanged} unchanged since the last publish")


def site_tables(conn) -> list[tuple[str, str, dict]]:
    """(table, SQL selecting the ids it holds of site :site, {column: parent table}) for every
    table that belongs to a site, parents before children."""
    names = [row[0] for row in conn.execute("SELECT name FROM pragma_table_list WHERE schema = 'main' "
                                            "AND type = 'table' AND name NOT LIKE 'sqlite_%'")]
    parents = {t: {row[3]: row[2] for row in conn.execute(f"PRAGMA foreign_key_list({t})")} for t in names}
    owned, order = {"sites": ":site"}, []
    pending = [t for t in names if t not in SKIP]
    while pending:
        ready = [t for t in pending if all(p == t or p not in pending for p in parents[t].values())]
        if not ready:
            break
        for table in ready:
            pending.remove(table)
            predicate = _owned(table, parents[table], owned)
            if predicate:
                owned[table] = predicate
                order.append((table, predicate, parents[table]))
    return order


def _owned(table: str, parents: dict, owned: dict) -> str | None:
    """A WHERE clause for the rows of `table` that site :site owns, through its site_id or a parent."""
    if parents.get("site_id") == "sites":
        return "site_id = :site"
    for column, parent in parents.items():
        if parent != table and parent in owned and parent != "sites":
            return f"{column} IN (SELECT id FROM {{schema}}{parent} WHERE {owned[parent]})"
    return None


def publish_site(conn, source_path: str, url_key: str, tables) -> dict | None:
    """Replace the site's rows in the combined archive `conn` with those of its own file; the
    rows copied per table, or None when the file holds no such site."""
    conn.execute("ATTACH DATABASE ? AS source", (source_path,))
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            copied = _replace(conn, url_key, tables)
            catch_up(conn)  # the search index, from the rows its triggers queued
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("DETACH DATABASE source")
    return copied


def _replace(conn, url_key: str, tables) -> dict | None:
    source_site, url_key = _source_site(conn, url_key) or (None, None)
    if source_site is None:
        return None
    site = _site_row(conn, source_site, url_key)
    for table, predicate, _ in reversed(tables):
        conn.execute(f"DELETE FROM main.{table} WHERE {_in(predicate, 'main.')}", {"site": site})
    offsets, copied = {}, {}
    for table, predicate, parents in tables:
        offsets[table] = conn.execute(f"SELECT coalesce(max(id), 0) FROM main.{table}").fetchone()[0]
        columns = _shared_columns(conn, table)
        values = [_moved(column, table, parents, offsets) for column in columns]
        cursor = conn.execute(
            f"INSERT INTO main.{table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM source.{table} "
            f"WHERE {_in(predicate, 'source.')} ORDER BY id",
            {"site": source_site, "new_site": site, **{f"off_{t}": o for t, o in offsets.items()}})
        copied[table] = cursor.rowcount
    return copied


def _source_site(conn, url_key: str) -> tuple[int, str] | None:
    """The site's row in its file: by its URL, else the file's one site (a blog whose REST API
    names its home differently from the URL it was added as)."""
    rows = conn.execute("SELECT id, url_key FROM source.sites").fetchall()
    matching = [row for row in rows if row[1] == url_key] or (rows if len(rows) == 1 else [])
    return tuple(matching[0]) if matching else None


def _site_row(conn, source_site: int, url_key: str) -> int:
    """The site's id in the combined archive (kept from the last publish), its row brought up to date."""
    columns = [c for c in _shared_columns(conn, "sites") if c not in ("id", "url_key")]
    conn.execute(f"INSERT INTO main.sites (url_key, {', '.join(columns)}) SELECT url_key, {', '.join(columns)} "
                 f"FROM source.sites WHERE id = ? ON CONFLICT (url_key) DO UPDATE SET "
                 + ", ".join(f"{c} = excluded.{c}" for c in columns), (source_site,))
    return conn.execute("SELECT id FROM main.sites WHERE url_key = ?", (url_key,)).fetchone()[0]


def _in(predicate: str, schema: str) -> str:
    return predicate.replace("{schema}", schema)


def _shared_columns(conn, table: str) -> list[str]:
    """Columns both files have (a per-site file a migration behind lacks the newest)."""
    main = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")]
    source = {row[1] for row in conn.execute(f"PRAGMA source.table_info({table})")}
    return [c for c in main if c in source]


def _moved(column: str, table: str, parents: dict, offsets: dict) -> str:
    """The SQL for a copied column: ids moved by their table's offset, the site's id replaced."""
    if column == "id":
        return f"id + :off_{table}"
    parent = parents.get(column)
    if parent == "sites":
        return ":new_site"
    if parent is None:
        return column
    if parent in offsets:
        return f"{column} + :off_{parent}"
    return "NULL"
