"""One archive of the whole fleet, for Datasette: every site's rows copied from its own file.

Each per-site file numbers its rows from 1 (its site is id 1), so rows cannot be copied as they
are. A site is matched by its URL (url_key, the archive's identity for a site) and keeps its id
in the combined archive from one publish to the next; its rows are replaced as a whole: deleted
children first, then copied parents first with every id moved past the combined table's
largest, and every *_id column (all are declared foreign keys, schema/schema.sql) moved by its
parent table's offset. The search index follows (the archive's triggers queue the rows, and
archive/search_index.py indexes them before the commit), and each site is one transaction, so a
publish cut short leaves every site either as it was or new.

media_files belong to no site (shared by content): the files a site's media_urls name are
added by sha256 (once, whoever else uses them) and their bytes placed in the published
archive's own media folder (<stem>.media/, content-addressed like any archive's): hard-linked
from the site's folder when both are on one filesystem, else copied. A site file's row whose
bytes are missing is left out (its references stay empty: the reader shows the original URL).
"""
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..archive.media_folder import MediaFolder
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
    for table in names:  # a row's owner through a column it always has: a NULL one would leave it out
        required = {row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[3]}
        parents[table] = dict(sorted(parents[table].items(), key=lambda item: item[0] not in required))
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
    offsets, copied = {}, {"media_files": _media_files(conn, source_site)}
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
    if parent == "media_files":  # the same bytes' row in the combined archive, by sha256
        return (f"(SELECT m.id FROM main.media_files m JOIN source.media_files s ON s.sha256 = m.sha256 "
                f"WHERE s.id = source.{table}.{column})")
    return "NULL"


def _media_files(conn, source_site: int) -> int:
    """The files the site's media_urls name, added to the combined archive (rows and bytes)
    unless it holds them already; how many were added."""
    files = {row[1]: Path(row[2]) for row in conn.execute("PRAGMA database_list")}
    into, into_root = MediaFolder(files["main"]), None
    added = 0
    for sha256, bytes_, mime_type, width, height, path, first_seen in conn.execute(
            "SELECT sha256, bytes, mime_type, width, height, path, first_seen FROM source.media_files "
            "WHERE id IN (SELECT file_id FROM source.media_urls WHERE site_id = ?) "
            "AND sha256 NOT IN (SELECT sha256 FROM main.media_files)", (source_site,)).fetchall():
        stored = files["source"].parent / path
        if not stored.is_file():
            continue
        into_root = into_root or _ready(into)
        _place(stored, into_root / sha256[:2] / sha256)
        conn.execute("INSERT INTO main.media_files (sha256, bytes, mime_type, width, height, path, first_seen) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (sha256, bytes_, mime_type, width, height,
                      (into_root / sha256[:2] / sha256).relative_to(into.base).as_posix(), first_seen))
        added += 1
    return added


def _ready(folder: MediaFolder) -> Path:
    folder.check()
    folder.root.mkdir(parents=True, exist_ok=True)
    return folder.root


def _place(stored: Path, target: Path):
    """The bytes at `target`: a hard link to `stored`, or a copy where a link cannot be made
    (another filesystem); written under a temporary name, so a target is whole or absent."""
    if target.exists():
        return
    target.parent.mkdir(exist_ok=True)
    try:
        os.link(stored, target)
        return
    except FileExistsError:
        return
    except OSError:
        pass
    fd, temp = tempfile.mkstemp(prefix=".publish-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(stored, "rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
