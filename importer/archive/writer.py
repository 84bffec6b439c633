"""Writing one input's records into the archive, in one transaction.

Records from any source go through `Writer`: it batches them, asks `identity` which row each is,
merges fields as `merge` says (an unknown value never overwrites a known one), lets the loader
(`bulk`) choose plain INSERTs into an empty archive or upserts into a filled one, and resolves
references that may point forward in the input (parents, users) in SQL once the input is done.
"""
import sqlite3
import sys
from pathlib import Path

from ..errors import DiskFull
from ..model import Author, Capture, Comment, Digest, Inventory, Post, Problem, Site, SyncState, Term
from ..text import site_key
from . import runs
from .bulk import loader_for
from .captures import CAPTURE_SOURCES, date_by_capture, record_capture, shown_before
from .clock import now_utc
from .columns import (AUTHOR_COLUMNS, COMMENT_COLUMNS, POST_COLUMNS, SITE_COLUMNS, TERM_COLUMNS, author_fields,
                      comment_fields, post_fields, site_fields, term_fields, values_of)
from .faults import storage_fault
from .identity import Identities, site_row
from .lock import ArchiveLock
from .merge import (OLDER_COMMENT_VERSION, OLDER_POST_VERSION, drop_unchanged_text, fill_gaps, meta_upsert,
                    merge_row, new_meta_keys_sql, numbered, text_of, upsert_sql)
from .reconcile import mark_gone

BATCH = 128
POST_UPSERT = upsert_sql("posts", POST_COLUMNS)
COMMENT_UPSERT = upsert_sql("comments", COMMENT_COLUMNS)


class Counts(dict):
    """Rows per table: added / updated / unchanged."""

    def add(self, table, added=0, updated=0, unchanged=0):
        row = self.setdefault(table, {"added": 0, "updated": 0, "unchanged": 0})
        row["added"] += added
        row["updated"] += updated
        row["unchanged"] += unchanged

    def changed(self, *tables) -> bool:
        return any(self.get(t, {}).get("updated") for t in tables)


class RowIds(dict):
    """python id(record) -> archive row id for one batch; `older` holds the rows older evidence gave."""
    older: set[int] = frozenset()


class Writer:
    """Writes one input's records inside one transaction; `finish` resolves and commits."""

    def __init__(self, conn, source_file: str, sha256: str | None, source: str = "wxr", seen: str | None = None,
                 size: int | None = None):
        self.conn, self.source, self.source_file = conn, source, source_file
        self.default_seen = seen or now_utc()
        self.seen = self.default_seen
        self.counts = Counts()
        self.problems = 0
        self.deleted = 0
        self.site_id = None
        self.ids: Identities | None = None
        self.authors: dict[str, int] = {}
        self.terms: dict[tuple[str, str], int] = {}
        self.posts: list[Post] = []
        self.loose_comments: list[Comment] = []
        self.post_wp_ids: dict[int, int] = {}  # wp_id -> fingerprint of the item that first gave it
        self.db_path = _file_of(conn)
        self.lock = ArchiveLock(self.db_path, borrow=True).acquire() if self.db_path else None
        self.load, self.settled = None, False
        try:
            conn.execute("PRAGMA foreign_keys = OFF")  # ids come from the archive itself; checked in tests
            self.load = loader_for(conn)
            conn.execute("BEGIN IMMEDIATE")
            self.load.begin()
            self.run_id = runs.start_import_run(conn, source_file, sha256, size)
        except BaseException as failure:
            self._give_up(failure)

    # -- records ---------------------------------------------------------------------------------------

    def write(self, record):
        handler = self._handlers.get(type(record))
        if handler is None:
            raise TypeError(f"not a record: {record!r}")
        handler(self, record)

    def set_sha256(self, sha256: str):
        runs.set_run_sha256(self.conn, self.run_id, sha256)

    def problem(self, problem: Problem):
        self.problems += 1
        if self.problems <= runs.MAX_PROBLEMS:
            runs.record_problem(self.conn, self.run_id, self.source_file, problem)

    def _site(self, site: Site):
        """The first Site record picks (or creates) the site; later ones only fill its fields, and
        may move the moment of the evidence that follows (a web archive's captures)."""
        seen = site.exported_at or self.default_seen
        if seen != self.seen or (self.source in CAPTURE_SOURCES and self.site_id is not None):
            self.flush()  # what was given before was seen at the earlier moment (or was another capture)
            self.post_wp_ids = {}  # and an id given again there is the same post, seen again
        self.seen = seen
        first = self.site_id is None
        existed = True
        if first:
            key = site_key(site.url) or f"untitled:{site.title or Path(self.source_file).stem}"
            if site.url is None:
                self.problem(Problem("no usable site URL (base_blog_url, link)", f"site identified as {key}"))
            row = site_row(self.conn, key)
            existed = row is not None
            self.site_id = row[0] if existed else self._insert_row("sites", {"url_key": key})
            self.ids = Identities(self.conn, self.site_id)
            if existed:
                self.authors = self.ids.logins()
            runs.set_run_site(self.conn, self.run_id, self.site_id)
        changed = merge_row(self.conn, "sites", self.site_id, values_of(SITE_COLUMNS, site_fields, site),
                            self.source, self.seen)
        if first:
            self.counts.add("sites", added=int(not existed), updated=int(existed and changed),
                            unchanged=int(existed and not changed))

    def _require_site(self):
        if self.site_id is None:
            raise RuntimeError("a source must yield its Site before other records")

    def _insert_or_merge(self, table: str, row, values: dict, identity: dict | None = None) -> int:
        """Insert a new row (with its identity columns) or merge into the found one; counts either."""
        if row is None:
            self.counts.add(table, added=1)
            return self._insert_row(table, {**(identity or {}), **values})
        changed = merge_row(self.conn, table, row[0], values, self.source, self.seen)
        self.counts.add(table, updated=int(changed), unchanged=int(not changed))
        return row[0]

    def _insert_row(self, table, values: dict) -> int:
        owner = {} if table == "sites" else {"site_id": self.site_id}
        values = {**owner, **values, "source": self.source, "first_seen": self.seen, "last_seen": self.seen}
        return self.conn.execute(
            f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + c for c in values)})",
            values).lastrowid

    def _author(self, author: Author) -> int:
        self._require_site()
        row = self.ids.author(author.wp_id, author.login, author.nicename)
        author_id = self._insert_or_merge("authors", row, values_of(AUTHOR_COLUMNS, author_fields, author))
        if author.login is not None:
            self.authors[author.login] = author_id
        return author_id

    def _term(self, term: Term) -> int:
        self._require_site()
        values = values_of(TERM_COLUMNS, term_fields, term)
        seen = self.terms.get((term.taxonomy, term.slug))
        if seen is not None:  # given again in the same input (wp:category and wp:term): only fill gaps
            fill_gaps(self.conn, "terms", seen, values)
            self._add_new_meta_keys("termmeta", "term_id", seen, term.meta)
            return seen
        row = self.ids.term(term.taxonomy, term.slug)
        term_id = self._insert_or_merge("terms", row, values, {"taxonomy": term.taxonomy, "slug": term.slug})
        self.terms[(term.taxonomy, term.slug)] = term_id
        if term.meta:
            self._meta("termmeta", "term_id", [(term_id, key, seq, value) for key, seq, value in numbered(term.meta)])
        return term_id

    def _add_new_meta_keys(self, table: str, owner: str, owner_id: int, meta: list[tuple[str, str]]):
        self.conn.executemany(new_meta_keys_sql(table, owner),
                              [(owner_id, k, seq, v, owner_id, k) for k, seq, v in numbered(meta)])

    def _term_id(self, taxonomy, slug, name) -> int:
        term_id = self.terms.get((taxonomy, slug))
        if term_id is None:
            term_id = self._term(Term(taxonomy=taxonomy, slug=slug, name=name))
        return term_id

    def _author_id(self, post: Post) -> int | None:
        """The author a post names: by user id, login, or (pages) nicename; created if new."""
        login, nicename = post.author_login, post.author_nicename
        for column, value in (("wp_id", post.author_wp_id), ("nicename", nicename)):
            if value:
                found = self.ids.author_id_by(column, value)
                if found:
                    return found
        if nicename and not login:
            return self._author(Author(login=None, nicename=nicename, display_name=post.author_name))
        if not login:
            return None
        author_id = self.authors.get(login)
        if author_id is None:
            author_id = self._author(Author(login=login))
        return author_id

    def _sync_state(self, state: SyncState):
        self._require_site()
        runs.save_sync_state(self.conn, self.site_id, state.values)

    def _capture(self, capture: Capture):
        self._require_site()
        record_capture(self.conn, self.site_id, self.run_id, self.source, capture)

    def _inventory(self, inventory: Inventory):
        """A full reading of the site: what it no longer shows is marked deleted."""
        self._require_site()
        self.flush()
        self.deleted += mark_gone(self.conn, self.site_id, inventory.posts, inventory.comments, now_utc())

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
        post_id = self.ids.row_ids("posts", [post.wp_id])[post.wp_id]
        links = [(post_id, self._term_id(r.taxonomy, r.slug, r.name)) for r in post.terms if r.slug]
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
        found = self.ids.row_ids("posts", {c.post_wp_id for c in comments if c.post_wp_id})
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
                if ref.slug:  # a category named only by id (a saved page with plain permalinks) is left out
                    links.append((post_id, self._term_id(ref.taxonomy, ref.slug, ref.name)))
            meta.extend((post_id, key, seq, value) for key, seq, value in numbered(post.meta))
            comments.extend((post_id, comment) for comment in post.comments)
        if links:
            added = self.conn.executemany(
                "INSERT OR IGNORE INTO post_terms (post_id, term_id) VALUES (?, ?)", links).rowcount
            self.counts.add("post_terms", added=added, unchanged=len(links) - added)
        if meta:
            self._meta("postmeta", "post_id", meta, ids.older)
        if comments:
            self._save_comments(comments)
        self.load.written(len(posts))

    def _post_row(self, post: Post) -> tuple:
        return (self.site_id, post.wp_id) + post_fields(post) + (
            self._author_id(post), text_of(post.content_text, post.content),
            self.source, self.seen, self.seen)

    def _save_posts(self, posts: list[Post]) -> "RowIds":
        """Upsert a batch; returns python id(post) -> row id, and which rows older evidence gave."""
        ids = RowIds()
        keyed = []
        for post in posts:
            if post.wp_id is None:
                ids[id(post)] = self._save_unkeyed_post(post)
            else:
                keyed.append(post)
        if not keyed:
            return ids
        self.ids.adopt_post_ids(keyed)
        if self.source != "wxr":
            self._drop_unchanged_text("posts", keyed, ("title", "excerpt"))
        wp_ids = sorted({p.wp_id for p in keyed})
        older = [] if self.load.fresh else self._older_posts(keyed, wp_ids)
        captured = shown_before(self.ids, wp_ids) if self.source in CAPTURE_SOURCES else None
        rows = [self._post_row(p) + (self.site_id, p.parent_wp_id) for p in keyed]
        changed, added, new_ids = self.load.write("posts", POST_UPSERT, rows)
        if older:
            self.conn.executemany(OLDER_POST_VERSION, [
                {"site_id": self.site_id, "wp_id": p.wp_id, "title": p.title, "content": p.content,
                 "excerpt": p.excerpt, "status": p.status, "modified_gmt": p.modified_gmt, "seen": self.seen}
                for p in older])
        self.counts.add("posts", added=added, updated=changed - added, unchanged=len(rows) - changed)
        found = dict(zip((p.wp_id for p in keyed), new_ids)) if new_ids else self.ids.row_ids("posts", wp_ids)
        self.load.touch("posts", self.site_id, wp_ids, self.seen)
        for post in keyed:
            ids[id(post)] = found[post.wp_id]
        ids.older = {found[p.wp_id] for p in older}
        if captured:
            date_by_capture(self.conn, captured, ids.older, self.seen)
        return ids

    def _older_posts(self, posts: list[Post], wp_ids: list[int]) -> list[Post]:
        """The posts (their sorted `wp_ids`) whose archived row comes from later evidence than this record."""
        stored = dict(self.ids.select_in(
            "SELECT wp_id, coalesce(modified_gmt, last_seen, '') || '|' || coalesce(last_seen, '') FROM posts "
            "WHERE site_id = ? AND wp_id IN ({})", wp_ids))
        return [p for p in posts if p.wp_id in stored
                and stored[p.wp_id] > f"{p.modified_gmt or self.seen}|{self.seen}"]

    def _save_unkeyed_post(self, post: Post) -> int:
        values = dict(zip(POST_COLUMNS, self._post_row(post)[2:-3]))
        self.ids.unkeyed_posts |= self.source != "wxr"
        return self._insert_or_merge("posts", self.ids.unkeyed_post(post), values)

    def _drop_unchanged_text(self, table: str, records: list, fields: tuple[str, ...]):
        columns = ", ".join(("content_text",) + fields)
        stored = {row[0]: row[1:] for row in self.ids.select_in(
            f"SELECT wp_id, {columns} FROM {table} WHERE site_id = ? AND wp_id IN ({{}})",
            sorted({r.wp_id for r in records}))}
        drop_unchanged_text(records, stored, fields)

    def _comment_row(self, post_id: int, c: Comment) -> tuple:
        return (post_id,) + comment_fields(c) + (text_of(c.content_text, c.content),)

    def _save_comments(self, pairs: list[tuple[int, Comment]]):
        if self.source != "wxr":
            self._drop_unchanged_text("comments", [c for _, c in pairs if c.wp_id is not None], ("author_name",))
        keyed, with_meta = [], []
        for post_id, c in pairs:
            if c.wp_id is None:
                self._save_unkeyed_comment(post_id, c)
                continue
            keyed.append((self.site_id, c.wp_id) + self._comment_row(post_id, c)
                         + (self.source, self.seen, self.seen, self.site_id, c.parent_wp_id))
            if c.meta:
                with_meta.append(c)
        new_ids, older = None, set()
        if keyed:
            if not self.load.fresh:
                older = self._older_comments([row[1] for row in keyed])
            changed, added, new_ids = self.load.write("comments", COMMENT_UPSERT, keyed)
            if older:
                self.conn.executemany(OLDER_COMMENT_VERSION, [
                    {"site_id": self.site_id, "wp_id": c.wp_id, "content": c.content, "status": c.status,
                     "seen": self.seen} for _, c in pairs if c.wp_id in older])
            self.counts.add("comments", added=added, updated=changed - added, unchanged=len(keyed) - changed)
            self.load.touch("comments", self.site_id, sorted({row[1] for row in keyed}), self.seen)
        if with_meta:
            found = (dict(zip((row[1] for row in keyed), new_ids)) if new_ids
                     else self.ids.row_ids("comments", {c.wp_id for c in with_meta}))
            self._meta("commentmeta", "comment_id", [
                (found[c.wp_id], key, seq, value) for c in with_meta for key, seq, value in numbered(c.meta)],
                {found[w] for w in older if w in found})

    def _older_comments(self, wp_ids: list[int]) -> set[int]:
        """The comments whose archived row was seen later than this input's evidence."""
        return {row[0] for row in self.ids.select_in(
            "SELECT wp_id, last_seen FROM comments WHERE site_id = ? AND wp_id IN ({})", sorted(set(wp_ids)))
            if (row[1] or "") > self.seen}

    def _save_unkeyed_comment(self, post_id: int, c: Comment):
        values = dict(zip(COMMENT_COLUMNS, self._comment_row(post_id, c)))
        comment_id = self._insert_or_merge("comments", self.ids.unkeyed_comment(post_id, c), values)
        if c.meta:
            self._meta("commentmeta", "comment_id", [(comment_id, k, s, v) for k, s, v in numbered(c.meta)])

    def _meta(self, table: str, owner: str, rows: list[tuple], older: set[int] = frozenset()):
        """Meta of newer evidence is set; of older evidence (owners in `older`) only added where unknown."""
        if older:
            fills = [row for row in rows if row[0] in older]
            rows = [row for row in rows if row[0] not in older]
            added = self.conn.executemany(new_meta_keys_sql(table, owner),
                                          [(o, k, seq, v, o, k) for o, k, seq, v in fills]).rowcount
            self.counts.add(table, added=added, unchanged=len(fills) - added)
        if rows:
            changed, added, _ = self.load.write(table, meta_upsert(table, owner), rows)
            self.counts.add(table, added=added, updated=changed - added, unchanged=len(rows) - changed)

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
        """Resolve and commit. A storage fault on the way (the index builds and the commit are where
        a disk fills) rolls back and comes out as one-line ArchiveError."""
        try:
            self.resolve()
            self.load.finish(self.counts.changed("posts", "comments"))
            runs.finish_import_run(self.conn, self.run_id, self.source_file, status, self.counts, self.problems,
                                   error, requests)
            self.conn.execute("COMMIT")
        except sqlite3.Error as failure:
            self._give_up(failure)
        self._settle()

    def abandon(self):
        """Roll back; callers call it while handling the error that stopped the run. When that error
        is a storage fault of SQLite's (a full disk, a read-only file, tables changed by hand), it
        comes out of here as one-line ArchiveError, since nothing of the input was kept. Safe to
        call again after finish failed."""
        fault = storage_fault(sys.exc_info()[1], self.db_path, self.source_file)
        self._roll_back(fault)
        self._settle()
        if fault is not None:
            raise fault from None

    def _give_up(self, failure: BaseException):
        """Roll back and settle after `failure`; raise it, as one line when it is a storage fault."""
        fault = storage_fault(failure, self.db_path, self.source_file)  # before the rollback frees the space
        try:
            self._roll_back(fault)
        finally:
            self._settle()
        if fault is not None:
            raise fault from None
        raise failure

    def _roll_back(self, fault: Exception | None = None):
        """A transaction SQLite ended itself (a full disk can) leaves nothing to roll back: no
        second error ("cannot rollback - no transaction is active") on top of the first."""
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                if self.conn.in_transaction:
                    raise
        if isinstance(fault, DiskFull):
            self._empty_the_wal()

    def _empty_the_wal(self):
        """The space the rolled-back writes took in the WAL given back: while another connection
        (Datasette) has the archive open, closing this one would leave the WAL as full as the disk.
        Nothing committed is lost; a reader in the middle of a query leaves it for the next writer."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass

    def _settle(self):
        """Once, after the commit or rollback: the connection as it was, and the lock let go. The
        journal mode may not come back on a full disk; connect() sets WAL at every open."""
        if self.settled:
            return
        self.settled = True
        try:
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self.load is not None:
                try:
                    self.load.settle()
                except sqlite3.Error:
                    pass
        finally:
            if self.lock is not None:
                self.lock.release()

    _handlers = {Post: _post, Comment: _loose_comment, Problem: problem, Term: _term, Author: _author,
                 Site: _site, Digest: lambda self, d: self.set_sha256(d.sha256), SyncState: _sync_state,
                 Inventory: _inventory, Capture: _capture}


def _file_of(conn) -> str:
    """The archive's file, for its lock beside it ('' for a database in memory)."""
    return next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
