"""The one place that writes the archive: upserts, id resolution, full-text search, run reports.

Records from any source go through `Writer`. Rows are matched by WordPress's ids within a site,
fields are merged (an unknown value never overwrites a known one), batches go to SQLite with
`executemany`, and references that may point forward in the input (parents, users) are
resolved in SQL once the batch or file is done.
"""
import json
import re
import sqlite3
from pathlib import Path

from ..model import Author, Comment, Digest, Post, Problem, Site, Term
from ..text import comparable, html_to_text, site_key
from .clock import now_utc
from .schema import schema_text, secondary_indexes, statements

BATCH = 128
FTS_BATCH = 512
MAX_PROBLEMS = 10_000
BULK_AUTOMERGE, DEFAULT_AUTOMERGE = 16, 4
FTS_TRIGGERS = ("posts_fts_insert", "posts_fts_delete", "posts_fts_update",
                "comments_fts_insert", "comments_fts_delete", "comments_fts_update")

POST_COLUMNS = ("type", "status", "title", "slug", "url", "guid", "date", "date_gmt", "modified",
                "modified_gmt", "author_id", "author_login", "parent_wp_id", "menu_order", "content",
                "content_text", "excerpt", "comment_status", "ping_status", "password", "sticky",
                "attachment_url")
COMMENT_COLUMNS = ("post_id", "parent_wp_id", "user_wp_id", "author_name", "author_email", "author_url",
                   "author_ip", "date", "date_gmt", "content", "content_text", "type", "status", "karma",
                   "agent")
AUTHOR_COLUMNS = ("wp_id", "login", "display_name", "email", "first_name", "last_name", "url", "nicename")
TERM_COLUMNS = ("wp_id", "name", "description", "parent_slug")
TABLES = ("sites", "authors", "terms", "posts", "comments", "post_terms", "postmeta", "commentmeta",
          "termmeta")


def _upsert(table: str, columns: tuple[str, ...]) -> str:
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


def _plain(upsert: str) -> str:
    """The INSERT of an upsert without its conflict clause, for rows new to a fresh archive."""
    return upsert.split(" ON CONFLICT ")[0]


POST_UPSERT = _upsert("posts", POST_COLUMNS)
COMMENT_UPSERT = _upsert("comments", COMMENT_COLUMNS)
META_UPSERT = ("INSERT INTO {table} ({owner}, key, seq, value) VALUES (?, ?, ?, ?) "
               "ON CONFLICT ({owner}, key, seq) DO UPDATE SET value = excluded.value "
               "WHERE value IS NOT excluded.value")


class Counts(dict):
    """Rows per table: added / updated / unchanged."""

    def add(self, table, added=0, updated=0, unchanged=0):
        row = self.setdefault(table, {"added": 0, "updated": 0, "unchanged": 0})
        row["added"] += added
        row["updated"] += updated
        row["unchanged"] += unchanged


class Writer:
    """Writes one input's records inside one transaction; `finish` resolves and commits."""

    def __init__(self, conn: sqlite3.Connection, source_file: str, sha256: str | None,
                 source: str = "wxr", seen: str | None = None, size: int | None = None):
        self.conn, self.source, self.source_file = conn, source, source_file
        self.default_seen = seen or now_utc()
        self.seen = self.default_seen
        self.counts = Counts()
        self.problems = 0
        self.site_id = None
        self.authors: dict[str, int] = {}
        self.terms: dict[tuple[str, str], int] = {}
        self.posts: list[Post] = []
        self.loose_comments: list[Comment] = []
        self.post_wp_ids: dict[int, int] = {}  # wp_id -> fingerprint of the item that first gave it
        conn.execute("PRAGMA foreign_keys = OFF")  # ids come from the archive itself; checked in tests
        self.fresh = conn.execute("SELECT 1 FROM posts LIMIT 1").fetchone() is None
        self.out_of_wal = self.fresh and _leave_wal(conn)
        conn.execute("BEGIN IMMEDIATE")
        self.fts_done = {"posts": 0, "comments": 0}
        self.unindexed = 0
        if self.fresh:  # a fresh archive: indexes and search are built once, at the end
            for trigger in FTS_TRIGGERS:
                conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            for name, _ in secondary_indexes():
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            _fts_automerge(conn, BULK_AUTOMERGE)
        self.run_id = conn.execute(
            "INSERT INTO import_runs (source_file, sha256, size, started, status) VALUES (?, ?, ?, ?, 'running')",
            (source_file, sha256, size, now_utc())).lastrowid

    # -- records ---------------------------------------------------------------------------------------

    def write(self, record):
        if isinstance(record, Post):
            self._post(record)
        elif isinstance(record, Comment):
            self._loose_comment(record)
        elif isinstance(record, Problem):
            self.problem(record)
        elif isinstance(record, Term):
            self._term(record)
        elif isinstance(record, Author):
            self._author(record)
        elif isinstance(record, Site):
            self._site(record)
        elif isinstance(record, Digest):
            self.set_sha256(record.sha256)
        else:
            raise TypeError(f"not a record: {record!r}")

    def set_sha256(self, sha256: str):
        self.conn.execute("UPDATE import_runs SET sha256 = ? WHERE id = ?", (sha256, self.run_id))

    def write_site_only(self, url: str):
        """A run that found nothing new still belongs to its site."""
        self._site(Site(url=url))

    def problem(self, problem: Problem):
        self.problems += 1
        if self.problems <= MAX_PROBLEMS:
            self.conn.execute(
                "INSERT INTO import_problems (run_id, file, line, problem, action) VALUES (?, ?, ?, ?, ?)",
                (self.run_id, self.source_file, problem.line, problem.problem, problem.action))

    def _site(self, site: Site):
        """The first Site record picks (or creates) the site; later ones only fill its fields."""
        self.seen = site.exported_at or self.default_seen
        first = self.site_id is None
        existed = True
        if first:
            key = site_key(site.url) or f"untitled:{site.title or Path(self.source_file).stem}"
            if site.url is None:
                self.problem(Problem("no usable site URL (base_blog_url, link)", f"site identified as {key}"))
            row = self.conn.execute("SELECT id FROM sites WHERE url_key = ?", (key,)).fetchone()
            existed = row is not None
            if existed:
                self.site_id = row[0]
                self.authors = dict(self.conn.execute(
                    "SELECT login, id FROM authors WHERE site_id = ? AND login IS NOT NULL", (self.site_id,)))
            else:
                self.site_id = self._insert_row("sites", {"url_key": key})
            self.conn.execute("UPDATE import_runs SET site_id = ? WHERE id = ?", (self.site_id, self.run_id))
        values = {"url": site.url, "title": site.title, "description": site.description,
                  "language": site.language, "base_site_url": site.base_site_url,
                  "wxr_version": site.wxr_version, "generator": site.generator}
        changed = self._merge_row("sites", self.site_id, values)
        if first:
            self.counts.add("sites", added=int(not existed), updated=int(existed and changed),
                            unchanged=int(existed and not changed))

    def _require_site(self):
        if self.site_id is None:
            raise RuntimeError("a source must yield its Site before other records")

    def _merge_row(self, table, row_id, values: dict) -> bool:
        """Update a known row with the known values that differ; True if anything changed."""
        changed = " OR ".join(f"(:{c} IS NOT NULL AND :{c} IS NOT {c})" for c in values)
        sets = ", ".join(f"{c} = coalesce(:{c}, {c})" for c in values)
        back = " OR deleted_at IS NOT NULL" if table in ("posts", "comments") else ""
        cleared = ", deleted_at = NULL" if back else ""
        return self.conn.execute(
            f"UPDATE {table} SET {sets}, source = :source, last_seen = :seen{cleared} "
            f"WHERE id = :id AND ({changed}{back})",
            {**values, "source": self.source, "seen": self.seen, "id": row_id}).rowcount > 0

    def _insert_or_merge(self, table: str, row, values: dict, identity: dict | None = None) -> int:
        """Insert a new row (with its identity columns) or merge into the found one; counts either."""
        if row is None:
            self.counts.add(table, added=1)
            return self._insert_row(table, {**(identity or {}), **values})
        changed = self._merge_row(table, row[0], values)
        self.counts.add(table, updated=int(changed), unchanged=int(not changed))
        return row[0]

    def _insert_row(self, table, values: dict) -> int:
        owner = {} if table == "sites" else {"site_id": self.site_id}
        values = {**owner, **values, "source": self.source,
                  "first_seen": self.seen, "last_seen": self.seen}
        return self.conn.execute(
            f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + c for c in values)})",
            values).lastrowid

    def _author(self, author: Author) -> int:
        self._require_site()
        values = {c: getattr(author, c) for c in AUTHOR_COLUMNS}
        row = None
        if author.wp_id is not None:
            row = self.conn.execute("SELECT id FROM authors WHERE site_id = ? AND wp_id = ?",
                                    (self.site_id, author.wp_id)).fetchone()
        if row is None and author.login is not None:
            row = self.conn.execute("SELECT id FROM authors WHERE site_id = ? AND login = ?",
                                    (self.site_id, author.login)).fetchone()
        if row is None and author.nicename is not None:
            row = self.conn.execute("SELECT id FROM authors WHERE site_id = ? AND (nicename = ? OR login = ?)",
                                    (self.site_id, author.nicename, author.nicename)).fetchone()
        author_id = self._insert_or_merge("authors", row, values)
        if author.login is not None:
            self.authors[author.login] = author_id
        return author_id

    def _term(self, term: Term) -> int:
        self._require_site()
        values = {c: getattr(term, c) for c in TERM_COLUMNS}
        seen = self.terms.get((term.taxonomy, term.slug))
        if seen is not None:  # given again in the same input (wp:category and wp:term): only fill gaps
            sets = ", ".join(f"{c} = coalesce({c}, :{c})" for c in values)
            self.conn.execute(f"UPDATE terms SET {sets} WHERE id = :id", {**values, "id": seen})
            self._add_new_meta_keys("termmeta", "term_id", seen, term.meta)
            return seen
        row = self.conn.execute("SELECT id FROM terms WHERE site_id = ? AND taxonomy = ? AND slug = ?",
                                (self.site_id, term.taxonomy, term.slug)).fetchone()
        term_id = self._insert_or_merge("terms", row, values, {"taxonomy": term.taxonomy, "slug": term.slug})
        self.terms[(term.taxonomy, term.slug)] = term_id
        if term.meta:
            self._meta("termmeta", "term_id", [(term_id, key, seq, value) for key, seq, value in _numbered(term.meta)])
        return term_id

    def _add_new_meta_keys(self, table: str, owner: str, owner_id: int, meta: list[tuple[str, str]]):
        """Meta of a record given twice: keys the first time lacked are added, none overwritten."""
        self.conn.executemany(
            f"INSERT INTO {table} ({owner}, key, seq, value) SELECT ?, ?, ?, ? WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} WHERE {owner} = ? AND key = ?)",
            [(owner_id, k, seq, v, owner_id, k) for k, seq, v in _numbered(meta)])

    def _term_id(self, taxonomy, slug, name) -> int:
        term_id = self.terms.get((taxonomy, slug))
        if term_id is None:
            term_id = self._term(Term(taxonomy=taxonomy, slug=slug, name=name))
        return term_id

    def _author_id(self, login: str | None, wp_id: int | None = None, nicename: str | None = None,
                   name: str | None = None) -> int | None:
        """The author a post names: by user id, login, or (pages) nicename; created if new."""
        for column, value in (("wp_id", wp_id), ("nicename", nicename)):
            if value:
                row = self.conn.execute(f"SELECT id FROM authors WHERE site_id = ? AND {column} = ?",
                                        (self.site_id, value)).fetchone()
                if row:
                    return row[0]
        if nicename and not login:
            return self._author(Author(login=None, nicename=nicename, display_name=name))
        if not login:
            return None
        author_id = self.authors.get(login)
        if author_id is None:
            author_id = self._author(Author(login=login))
        return author_id

    # -- posts and what hangs off them -------------------------------------------------------------

    def _post(self, post: Post):
        self._require_site()
        if post.wp_id is not None:
            fingerprint = hash((post.type, post.title, post.content))
            first = self.post_wp_ids.get(post.wp_id)
            if first == fingerprint:
                self._merge_duplicate(post)
                return
            if first is not None:
                self.problem(Problem(f"wp:post_id {post.wp_id} reused by a different item",
                                     "kept as its own post, without a WordPress id", post.line))
                post.wp_id = None
            else:
                self.post_wp_ids[post.wp_id] = fingerprint
        self.posts.append(post)
        if len(self.posts) >= BATCH:
            self.flush()

    def _merge_duplicate(self, post: Post):
        """The same item given twice (WordPress.com repeats menu items): its fields stay as first
        given; its terms, comments and meta keys not seen before are added, so re-reading the
        input changes nothing."""
        self.problem(Problem(f"wp:post_id {post.wp_id} appears twice",
                             "first kept; terms, comments and new meta keys of the second added", post.line))
        self.flush()
        post_id = self._row_ids("posts", [post.wp_id])[post.wp_id]
        links = [(post_id, self._term_id(r.taxonomy, r.slug, r.name)) for r in post.terms]
        self.conn.executemany("INSERT OR IGNORE INTO post_terms (post_id, term_id) VALUES (?, ?)", links)
        self._add_new_meta_keys("postmeta", "post_id", post_id, post.meta)
        if post.comments:
            self._save_comments([(post_id, c) for c in post.comments])

    def _loose_comment(self, comment: Comment):
        """A comment given apart from its post (REST, comment feeds): its post must be archived."""
        self._require_site()
        self.loose_comments.append(comment)
        if len(self.loose_comments) >= BATCH:
            self.flush()

    def _flush_loose_comments(self):
        comments, self.loose_comments = self.loose_comments, []
        found = self._row_ids("posts", {c.post_wp_id for c in comments if c.post_wp_id})
        pairs = []
        for comment in comments:
            if comment.post_wp_id in found:
                pairs.append((found[comment.post_wp_id], comment))
            else:
                self.problem(Problem(f"comment {comment.wp_id} belongs to post {comment.post_wp_id}, "
                                     "which is not archived", "skipped"))
        if pairs:
            self._save_comments(pairs)

    def flush(self):
        self._flush_posts()
        if self.loose_comments:
            self._flush_loose_comments()

    def _flush_posts(self):
        posts, self.posts = self.posts, []
        if not posts:
            return
        ids = self._save_posts(posts)
        links, meta, comments = [], [], []
        for post in posts:
            post_id = ids[id(post)]
            for ref in post.terms:
                links.append((post_id, self._term_id(ref.taxonomy, ref.slug, ref.name)))
            meta.extend((post_id, key, seq, value) for key, seq, value in _numbered(post.meta))
            comments.extend((post_id, comment) for comment in post.comments)
        if links:
            added = self.conn.executemany(
                "INSERT OR IGNORE INTO post_terms (post_id, term_id) VALUES (?, ?)", links).rowcount
            self.counts.add("post_terms", added=added, unchanged=len(links) - added)
        if meta:
            self._meta("postmeta", "post_id", meta)
        if comments:
            self._save_comments(comments)
        if self.fresh:
            self.unindexed += len(posts)
            if self.unindexed >= FTS_BATCH:
                self._index_new_rows()

    def _index_new_rows(self):
        """Fresh archive: index new rows in one statement per FTS_BATCH posts instead of a trigger
        per row. FTS5 writes a segment at the end of every statement, so fewer, larger statements
        leave less to merge (a fifth less FTS time at 1 GB than one statement per 128 posts)."""
        self.unindexed = 0
        for table, columns in (("posts", "title, content_text, excerpt"), ("comments", "author_name, content_text")):
            done = self.fts_done[table]
            self.conn.execute(f"INSERT INTO {table}_fts (rowid, {columns}) SELECT id, {columns} FROM {table} "
                              "WHERE id > ? ORDER BY id", (done,))
            self.fts_done[table] = self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]

    def _post_row(self, post: Post) -> tuple:
        author_id = self._author_id(post.author_login, post.author_wp_id, post.author_nicename, post.author_name)
        values = (self.site_id, post.wp_id, post.type, post.status, post.title, post.slug, post.url,
                  post.guid, post.date, post.date_gmt, post.modified, post.modified_gmt, author_id,
                  post.author_login, post.parent_wp_id, post.menu_order, post.content,
                  _text_of(post.content_text, post.content), post.excerpt, post.comment_status, post.ping_status,
                  post.password, post.sticky, post.attachment_url, self.source, self.seen, self.seen)
        return values

    def _save_posts(self, posts: list[Post]) -> dict[int, int]:
        """Upsert a batch; returns python id(post) -> row id."""
        ids = {}
        keyed = [p for p in posts if p.wp_id is not None]
        for post in posts:
            if post.wp_id is None:
                ids[id(post)] = self._save_unkeyed_post(post)
        if keyed and self.source != "wxr":
            self._keep_unchanged_text("posts", keyed, ("title", "excerpt"))
        if keyed:
            rows = [self._post_row(p) + (self.site_id, p.parent_wp_id) for p in keyed]
            changed, added, new_ids = self._executemany_counted("posts", POST_UPSERT, rows)
            self.counts.add("posts", added=added, updated=changed - added, unchanged=len(rows) - changed)
            wp_ids = sorted({p.wp_id for p in keyed})
            found = dict(zip((p.wp_id for p in keyed), new_ids)) if new_ids else self._row_ids("posts", wp_ids)
            if not self.fresh:
                self._touch("posts", wp_ids)
            for post in keyed:
                ids[id(post)] = found[post.wp_id]
        return ids

    def _save_unkeyed_post(self, post: Post) -> int:
        """A post without a WordPress id is identified by its guid, else its URL, with its title
        (exports that reuse one id for several items give them one guid too)."""
        row = None
        for column in ("guid", "url"):
            value = getattr(post, column)
            if value and row is None:
                row = self.conn.execute(f"SELECT id FROM posts WHERE site_id = ? AND wp_id IS NULL AND {column} = ? "
                                        "AND title IS ?", (self.site_id, value, post.title)).fetchone()
        values = dict(zip(("site_id", "wp_id") + POST_COLUMNS, self._post_row(post)))
        del values["site_id"], values["wp_id"]
        return self._insert_or_merge("posts", row, values)

    def _keep_unchanged_text(self, table: str, records: list, fields: tuple[str, ...]):
        """Rendered sources (REST, HTML, feeds) show WordPress's text after texturize and wpautop.
        Where the text reads the same as the archived value, the archived value (often an
        export's raw source) stays: markup alone is not a change."""
        columns = ", ".join(("content_text",) + fields)
        stored = {row[0]: row[1:] for row in self._select_in(
            f"SELECT wp_id, {columns} FROM {table} WHERE site_id = ? AND wp_id IN ({{}})",
            sorted({r.wp_id for r in records}))}
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
                        name == "excerpt" and old_value == "" and _generated_excerpt(text, old[0])):
                    setattr(record, name, None)

    def _save_comments(self, pairs: list[tuple[int, Comment]]):
        if self.source != "wxr":
            self._keep_unchanged_text("comments", [c for _, c in pairs if c.wp_id is not None], ("author_name",))
        keyed, with_meta = [], []
        for post_id, c in pairs:
            if c.wp_id is None:
                self._save_unkeyed_comment(post_id, c)
                continue
            keyed.append((self.site_id, c.wp_id, post_id, c.parent_wp_id, c.user_wp_id, c.author_name,
                          c.author_email, c.author_url, c.author_ip, c.date, c.date_gmt, c.content,
                          _text_of(c.content_text, c.content), c.type, c.status, c.karma, c.agent,
                          self.source, self.seen, self.seen, self.site_id, c.parent_wp_id))
            if c.meta:
                with_meta.append(c)
        new_ids = None
        if keyed:
            changed, added, new_ids = self._executemany_counted("comments", COMMENT_UPSERT, keyed)
            self.counts.add("comments", added=added, updated=changed - added, unchanged=len(keyed) - changed)
            if not self.fresh:
                self._touch("comments", sorted({row[1] for row in keyed}))
        if with_meta:
            found = (dict(zip((row[1] for row in keyed), new_ids)) if new_ids
                     else self._row_ids("comments", {c.wp_id for c in with_meta}))
            self._meta("commentmeta", "comment_id", [
                (found[c.wp_id], key, seq, value) for c in with_meta for key, seq, value in _numbered(c.meta)])

    def _save_unkeyed_comment(self, post_id: int, c: Comment):
        row = self.conn.execute(
            "SELECT id FROM comments WHERE post_id = ? AND wp_id IS NULL AND author_name IS ? AND date IS ? "
            "AND content IS ?", (post_id, c.author_name, c.date, c.content)).fetchone()
        values = dict(zip(COMMENT_COLUMNS, (post_id, c.parent_wp_id, c.user_wp_id, c.author_name,
                                            c.author_email, c.author_url, c.author_ip, c.date, c.date_gmt,
                                            c.content, _text_of(c.content_text, c.content), c.type, c.status, c.karma,
                                            c.agent)))
        comment_id = self._insert_or_merge("comments", row, values)
        if c.meta:
            self._meta("commentmeta", "comment_id", [(comment_id, k, s, v) for k, s, v in _numbered(c.meta)])

    def _meta(self, table: str, owner: str, rows: list[tuple]):
        changed, added, _ = self._executemany_counted(table, META_UPSERT.format(table=table, owner=owner), rows)
        self.counts.add(table, added=added, updated=changed - added, unchanged=len(rows) - changed)

    def _executemany_counted(self, table, sql, rows) -> tuple[int, int, range | None]:
        """Run a batch upsert; returns (rows changed, rows added, their new ids when known)
        without a round trip per row. Into a fresh archive rows go in with a plain INSERT, as an
        upsert's conflict handling costs a third more per row, and each takes the next id; a row
        the input gives twice hands the rest of the batch, from that row on, to the upsert."""
        before = self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        done = 0
        if self.fresh:
            try:
                self.conn.executemany(_plain(sql), rows)
                return len(rows), len(rows), range(before + 1, before + 1 + len(rows))
            except sqlite3.IntegrityError:
                done = self._added_since(table, before)
        changed = done + self.conn.executemany(sql, rows[done:]).rowcount
        return changed, self._added_since(table, before), None

    def _added_since(self, table, before: int) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table} WHERE id > ?", (before,)).fetchone()[0]

    def _row_ids(self, table: str, wp_ids) -> dict[int, int]:
        """WordPress id -> archive id for rows of this site, one query per 900 ids."""
        return dict(self._select_in(f"SELECT wp_id, id FROM {table} WHERE site_id = ? AND wp_id IN ({{}})",
                                    sorted(wp_ids)))

    def _select_in(self, sql: str, values: list) -> list[tuple]:
        rows = []
        for start in range(0, len(values), 900):
            part = values[start:start + 900]
            rows += self.conn.execute(sql.format(", ".join("?" * len(part))), (self.site_id, *part)).fetchall()
        return rows

    def _touch(self, table: str, wp_ids: list[int]):
        """Move last_seen forward on rows the source showed unchanged."""
        for start in range(0, len(wp_ids), 900):
            part = wp_ids[start:start + 900]
            self.conn.execute(
                f"UPDATE {table} SET last_seen = ? WHERE site_id = ? AND wp_id IN ({', '.join('?' * len(part))}) "
                "AND (last_seen IS NULL OR last_seen < ?)", (self.seen, self.site_id, *part, self.seen))

    # -- the end -------------------------------------------------------------------------------------

    def resolve(self):
        """Point parent_id, user_id and term parents at rows, now that every row of the input is in."""
        if self.site_id is None:
            return
        self.flush()
        site = (self.site_id,)
        for table, column, target, key in (("posts", "parent_id", "posts", "parent_wp_id"),
                                           ("comments", "parent_id", "comments", "parent_wp_id"),
                                           ("comments", "user_id", "authors", "user_wp_id")):
            found = (f"(SELECT t.id FROM {target} t WHERE t.site_id = {table}.site_id "
                     f"AND t.wp_id = {table}.{key})")
            self.conn.execute(
                f"UPDATE {table} SET {column} = {found} WHERE site_id = ? AND {key} > 0 "
                f"AND {column} IS NULL AND {found} IS NOT NULL", site)
        self.conn.execute(
            "UPDATE terms SET parent_id = (SELECT t.id FROM terms t WHERE t.site_id = terms.site_id "
            "AND t.taxonomy = terms.taxonomy AND t.slug = terms.parent_slug) "
            "WHERE site_id = ? AND parent_slug IS NOT NULL AND parent_id IS NOT "
            "(SELECT t.id FROM terms t WHERE t.site_id = terms.site_id AND t.taxonomy = terms.taxonomy "
            "AND t.slug = terms.parent_slug)", site)
        for table, column, what in (("posts", "parent_wp_id", "post parent"),
                                    ("comments", "parent_wp_id", "comment parent")):
            missing = self.conn.execute(
                f"SELECT count(*) FROM {table} WHERE site_id = ? AND {column} > 0 AND parent_id IS NULL",
                site).fetchone()[0]
            if missing:
                self.problem(Problem(f"{missing} {what} id(s) point at rows not in the archive",
                                     "parent_id left NULL; the WordPress id is kept in parent_wp_id"))

    def finish(self, status: str = "ok", error: str | None = None, requests: int | None = None):
        self.resolve()
        if self.fresh:
            if any(self.counts.get(t, {}).get("updated") for t in ("posts", "comments")):
                # rows indexed earlier changed since: index everything again, from the rows
                self.conn.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')")
                self.conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('rebuild')")
            else:
                self._index_new_rows()
            for statement in statements(schema_text("fts.sql")):
                self.conn.execute(statement)
            _fts_automerge(self.conn, DEFAULT_AUTOMERGE)
            for _, statement in secondary_indexes():
                self.conn.execute(statement)
        if self.problems > MAX_PROBLEMS:
            self.conn.execute(
                "INSERT INTO import_problems (run_id, file, problem, action) VALUES (?, ?, ?, ?)",
                (self.run_id, self.source_file, f"{self.problems - MAX_PROBLEMS} more problems",
                 "not recorded one by one"))
        self.conn.execute(
            "UPDATE import_runs SET finished = ?, status = ?, counts = ?, error = ? WHERE id = ?",
            (now_utc(), status, json.dumps({**self.counts, "problems": self.problems,
                                          **({"requests": requests} if requests is not None else {})}), error, self.run_id))
        self.conn.execute("COMMIT")
        self._settle()

    def abandon(self):
        self.conn.execute("ROLLBACK")
        self._settle()

    def _settle(self):
        self.conn.execute("PRAGMA foreign_keys = ON")
        if self.out_of_wal:
            self.conn.execute("PRAGMA journal_mode = WAL")


def _fts_automerge(conn, segments: int):
    """How many index segments FTS5 lets pile up before merging them. A bulk load merges less
    often (a quarter less FTS time at 1 GB); the default comes back for the small updates after."""
    for table in ("posts_fts", "comments_fts"):
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', ?)", (segments,))


def _leave_wal(conn) -> bool:
    """A first load into an empty archive writes every page once with a rollback journal, instead
    of twice through the WAL. Only when no one else has the archive open; WAL comes back after."""
    try:
        return conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    except sqlite3.OperationalError:
        return False


def _generated_excerpt(excerpt: str, content_text: str | None) -> bool:
    """True for the excerpt WordPress makes from the content when none was written: the
    content's opening words, cut with an ellipsis or a 'continue reading' link."""
    opening = re.sub(r"\s*(\[\.\.\.\]|\.\.\.|\[…\]|Continue reading.*|Read more.*)$", "", excerpt)
    return bool(opening) and comparable(content_text).startswith(opening[:60])


def _text_of(text: str | None, markup: str | None) -> str | None:
    """The plain text a source derived, or derived here from the markup."""
    return text if text is not None else html_to_text(markup)


def _numbered(meta: list[tuple[str, str]]):
    """(key, seq, value): repeated keys of one owner are numbered in order, so none is lost."""
    seen: dict[str, int] = {}
    for key, value in meta:
        seq = seen.get(key, 0)
        seen[key] = seq + 1
        yield key, seq, value
