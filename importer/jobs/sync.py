"""Re-syncing archived sites from the web: cheap, incremental, and never losing history.

Each site is read from where it lives (its REST API, else its feed and pages) in one transaction
with its cursors, so a run killed at any moment leaves the archive as the last finished run left
it, and the next run simply does the work again. Changed rows keep their previous text (the
version triggers); rows the blog no longer shows are marked `deleted_at`, never removed. Only a
full reconciliation (`--full`) looks for deletions, reading ids alone.
"""
import fcntl
import json
from itertools import chain
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ArchiveBusy, BudgetExhausted, FetchError
from ..web import Fetcher
from ..model import Comment, Post, Problem, Site
from .scrape import (api_for, discover, page_comments, pages_of_site, posts_from_pages, remember_sync_state,
                     richest_source)
from ..sources.feeds import feed_items
from ..sources.rest import live_ids, rest_records
from ..archive import Writer, now_utc
from ..text import site_key


@dataclass
class SyncReport:
    site: str
    source: str | None = None
    requests: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    problems: int = 0
    error: str | None = None
    counts: dict = field(default_factory=dict)


class SyncLock:
    """An exclusive lock beside the archive. The OS drops it when its holder dies, so a crashed
    or killed run never leaves it stuck."""

    def __init__(self, db_path):
        self.db_path, self.path = db_path, Path(f"{db_path}.sync-lock")

    def __enter__(self):
        self.file = open(self.path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "another process"
            self.file.close()
            raise ArchiveBusy(str(self.db_path), f"another sync is running on this archive ({holder}); try again when it ends")
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()}")
        self.file.flush()
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def sites_to_sync(conn, only: str | None) -> list[tuple[int, str]]:
    rows = conn.execute("SELECT id, url, url_key FROM sites WHERE url IS NOT NULL ORDER BY id").fetchall()
    if only:
        rows = [r for r in rows if r[2] == site_key(only)]
    return [(r[0], r[1]) for r in rows]


def sync_site(conn, site_id: int, url: str, fetcher: Fetcher, full: bool = False) -> SyncReport:
    report = SyncReport(site=url)
    run_id = conn.execute("INSERT INTO sync_runs (site_id, started) VALUES (?, ?)", (site_id, now_utc())).lastrowid
    state = dict(conn.execute("SELECT key, value FROM sync_state WHERE site_id = ?", (site_id,)))
    writer, kept = None, None
    try:
        via = state.get("via") or richest_source(discover(fetcher, url))
        report.source = via
        writer = Writer(conn, url, None, source=via)
        if via in ("rest", "wpcom"):
            _sync_rest(writer, fetcher, url, state, full, report, via)
        else:
            _sync_pages(writer, fetcher, url, state, full, report)
        state["via"] = via
        remember_sync_state(conn, writer.site_id or site_id, state)
        writer.finish("ok" if report.error is None else "partial", report.error, requests=fetcher.requests)
        kept = writer.run_id
    except (FetchError, BudgetExhausted) as error:
        if writer is not None:
            writer.abandon()
        report.error = str(error)
    except BaseException:
        if writer is not None:
            writer.abandon()
        raise
    report.requests = fetcher.requests
    if writer is not None:
        counts = writer.counts
        report.counts = counts
        report.added = sum(c["added"] for t, c in counts.items() if t in ("posts", "comments"))
        report.updated = sum(c["updated"] for t, c in counts.items() if t in ("posts", "comments"))
        report.problems = writer.problems
    conn.execute("UPDATE sync_runs SET source = ?, finished = ?, requests = ?, added = ?, updated = ?, deleted = ?, "
                 "error = ?, import_run_id = ? WHERE id = ?",
                 (report.source, now_utc(), report.requests, report.added, report.updated, report.deleted,
                  report.error, kept, run_id))
    return report


def _note(writer):
    return lambda where, reason: writer.problem(Problem(f"{where}: {reason}", "skipped; the sync went on"))


def _sync_rest(writer, fetcher, url, state, full, report, via):
    """Posts modified since the cursor; comments newer than theirs, or all of them with --full
    (edits and re-approvals show no date); then, with --full, which ids the blog still shows."""
    api = api_for(via, fetcher, url, state.get("rest_root") or (via == "rest" and discover(fetcher, url).rest_root))
    if via == "rest":
        state["rest_root"] = api.root
    cursors = json.loads(state.get("cursors") or "{}")
    if full:
        cursors.pop("comments", None)
    changed, comment_ids = [], set()
    try:
        for record in rest_records(api, url, _note(writer), cursors=cursors):
            writer.write(record)
            if isinstance(record, Post) and record.type in ("post", "page") and record.url:
                changed.append((record.wp_id, record.url))
            elif isinstance(record, Comment):
                comment_ids.add(record.wp_id)
        for wp_id, link in changed:  # pingbacks and trackbacks REST hides, for posts that changed
            for comment in _page_comments_of(fetcher, link, writer):
                comment.post_wp_id = wp_id
                writer.write(comment)
        if full:
            posts = live_ids(api, _note(writer))
            if posts is not None:
                report.deleted = _mark_gone(writer, posts, comment_ids)
    except BudgetExhausted as stop:
        report.error = str(stop)
        return
    state["cursors"] = json.dumps(cursors, sort_keys=True)


def _page_comments_of(fetcher, link, writer):
    """What a post's pages show that REST did not: its pingbacks and trackbacks."""
    known = {row[0] for row in writer.conn.execute(
        "SELECT wp_id FROM comments WHERE site_id = ? AND type = 'comment'", (writer.site_id,))}
    return [c for c in page_comments(fetcher, link, _note(writer)) if c.wp_id not in known]


def _mark_gone(writer, posts_by_type: dict[str, set[int]], comment_ids: set[int]) -> int:
    """Mark what the blog no longer shows; bring back what it shows again. Rows are never removed."""
    conn, site, now = writer.conn, writer.site_id, now_utc()
    gone = 0
    for post_type, ids in posts_by_type.items():
        archived = conn.execute("SELECT id, wp_id FROM posts WHERE site_id = ? AND type = ? AND deleted_at IS NULL "
                                "AND status IN ('publish', 'inherit')", (site, post_type)).fetchall()
        missing = [row_id for row_id, wp_id in archived if wp_id not in ids]
        conn.executemany("UPDATE posts SET deleted_at = ? WHERE id = ?", [(now, i) for i in missing])
        gone += len(missing)
    archived = conn.execute("SELECT c.id, c.wp_id FROM comments c JOIN posts p ON p.id = c.post_id "
                            "WHERE c.site_id = ? AND c.deleted_at IS NULL AND c.status = 'approved' AND c.type = 'comment' "
                            "AND coalesce(p.password, '') = ''", (site,)).fetchall()
    missing = [row_id for row_id, wp_id in archived if wp_id not in comment_ids]
    conn.executemany("UPDATE comments SET deleted_at = ? WHERE id = ?", [(now, i) for i in missing])
    return gone + len(missing)


def _sync_pages(writer, fetcher, url, state, full, report):
    """Sites without REST: the feed, fetched conditionally, tells whether anything is new."""
    feed = state.get("feed")
    if full or not feed:
        found = discover(fetcher, url)
        feed = state["feed"] = found.feed
    if not full:
        try:
            response = fetcher.get(feed, etag=state.get("feed_etag"), modified=state.get("feed_modified"))
        except FetchError as error:
            report.error = str(error)
            return
        if response.status == 304:
            writer.write_site_only(url)
            return
        state["feed_etag"] = response.headers.get("etag") or ""
        state["feed_modified"] = response.headers.get("last-modified") or ""
        links = [item.link for item in _first_feed_page(fetcher, feed, writer)]
        records = chain([Site(url=url)], posts_from_pages(fetcher, url, links, _note(writer)))
    else:
        records = pages_of_site(fetcher, found, url, _note(writer))
    seen_posts: dict[str, set[int]] = {"post": set(), "page": set()}
    seen_comments: set[int] = set()
    try:
        for record in records:
            writer.write(record)
            if isinstance(record, Post) and record.type in seen_posts:
                seen_posts[record.type].add(record.wp_id)
                seen_comments.update(c.wp_id for c in record.comments)
    except BudgetExhausted as stop:
        report.error = str(stop)
        return
    if full:  # every page was read: what the site no longer lists is gone
        report.deleted = _mark_gone(writer, seen_posts, seen_comments)


def _first_feed_page(fetcher, feed, writer):
    for number, item in enumerate(feed_items(fetcher, feed, _note(writer))):
        if number >= 50:
            break
        yield item
