"""Archiving a site's media: the library call behind `wparchive media` (and `--media`).

For each site: collect the URLs its attachments and HTML use and record them (new ones pending),
then fetch what is wanted — never fetched, or failed for a passing reason whose wait is over —
through the polite fetchers into the media folder, recording each file as it lands. Files
already held are not asked again; `refresh` revalidates them with conditional GETs and asks the
gone (404/410) again. A file that fails is recorded and the run goes on; the text archive was
committed before any of this started, so nothing here can undo it.
"""
import json
import os
import re
import time
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from ..archive import media as store
from ..archive import runs
from ..archive.media_folder import MediaFolder, contradiction
from ..errors import ArchiveError, BudgetExhausted, FetchError
from ..media.collect import (UPLOADS, Attachment, Use, attachment_uses, html_uses, og_image_uses,
                             rest_media_uses)
from ..media.hosts import MediaHosts
from ..media.metadata import BrokenMetadata, attachment_metadata
from ..sources.rest import RestAPI
from ..text import site_key
from ..web.addresses import first_not_public
from ..web.download import DEADLINE, MAX_BYTES, Fetchers, download
from . import wayback_media

SIZES_READ = "media_sizes_read"  # sync_state: the attachments (count, newest) whose REST sizes are recorded
BATCH = 2000  # uses recorded per transaction while collecting


@dataclass
class MediaOptions:
    """How a media run fetches: the command's options."""
    hosts: tuple[str, ...] = ()
    delay: float = 1.0
    max_bytes: int = MAX_BYTES
    deadline: float = DEADLINE
    max_requests: int | None = None
    refresh: bool = False
    allow_private: bool = True
    uploads: Path | None = None  # a local copy of wp-content/uploads: no network
    transport: object = None  # a requests adapter (tests); None: the network
    sleep: object = time.sleep


@dataclass
class MediaReport:
    """What one media run over one site did."""
    url: str
    found: int = 0  # URLs the site uses
    new: int = 0  # of which first seen this run
    fetched: int = 0
    unchanged: int = 0  # revalidated with --refresh: the copy held is current
    had: int = 0  # held already, not asked again
    failed: int = 0
    gone: int = 0  # 404/410 on an earlier run, not asked again until --refresh
    not_local: int = 0  # --uploads: not in the folder (left pending)
    other_hosts: int = 0  # used but on hosts not allowed (--hosts adds them)
    refused: int = 0  # on hosts at private addresses, without --allow-private
    bytes: int = 0
    requests: int = 0
    problems: int = 0
    error: str | None = None  # the run stopped (--max-requests)
    failures: list[str] = field(default_factory=list)

    def counts(self) -> dict:
        return {key: getattr(self, key) for key in ("found", "new", "fetched", "unchanged", "had", "failed",
                                                    "not_local", "other_hosts", "refused", "gone", "bytes", "requests")}


def media_sites(conn, db_path, only: str | None = None) -> list[tuple[int, str]]:
    """(id, URL) of the sites a media run covers: all with a URL, or the one `only` names."""
    every = store.sites(conn)
    chosen = store.sites(conn, site_key(only)) if only else every
    if not every:
        raise ArchiveError(str(db_path), "no site with a URL in this archive to take media for")
    if not chosen:
        shown = ", ".join(url for _, url in every[:5]) + (", ..." if len(every) > 5 else "")
        raise ArchiveError(str(db_path), f"no site {only} in this archive (its sites: {shown})")
    return chosen


def archive_media(conn, db_path, site_id: int, site_url: str, options: MediaOptions, progress=None) -> MediaReport:
    """Collect, record and fetch one site's media; `progress(files done, files wanted, bytes)`
    after each file and as a large one arrives."""
    report = MediaReport(site_url)
    folder = MediaFolder(db_path)
    folder.check()
    with store.transaction(conn, db_path):
        run_id = store.start_run(conn, site_id, site_url)
    report.new = _record_uses(conn, db_path, site_id, site_url, run_id, report, options.uploads)
    hosts = MediaHosts.of(site_url, options.hosts)
    wayback = _wayback(conn, site_id, site_url, options)
    fetchers = None if options.uploads else wayback or _fetchers(hosts, options)
    if fetchers is not None and wayback is None:
        report.new += _rest_sizes(conn, db_path, site_id, run_id, fetchers, report)
    wanted = store.wanted(conn, site_id, refresh=options.refresh)
    report.found = conn.execute("SELECT count(*) FROM media_urls WHERE site_id = ?", (site_id,)).fetchone()[0]
    report.had = conn.execute("SELECT count(*) FROM media_urls WHERE site_id = ? AND file_id IS NOT NULL",
                              (site_id,)).fetchone()[0] - sum(1 for w in wanted if w.file_id is not None)
    report.gone = 0 if options.refresh else store.gone_count(conn, site_id)
    allowed = [w for w in wanted if hosts.allows(w.url)]
    report.other_hosts = sum(1 for w in wanted if w.file_id is None and not hosts.allows(w.url))
    if not options.allow_private and not options.uploads and wayback is None:  # the archive's host is checked
        allowed = _public_only(allowed, report)
    if folder.root.is_dir():
        folder.sweep()  # what a killed run was receiving
    shown = _shown(progress, report, len(allowed))
    fetch = _from_uploads(options.uploads) if options.uploads else _from_web(
        fetchers, options, shown, wayback_media.download if wayback else download)
    try:
        for item in allowed:
            fetch(conn, db_path, folder, item, report)
            shown(0)
    except BudgetExhausted as stop:
        report.error = str(stop)
    except KeyboardInterrupt:
        report.error = "interrupted"  # the run is recorded as partial, then the interrupt goes on
        raise
    finally:
        report.requests = getattr(fetch, "requests", lambda: 0)()
        with store.transaction(conn, db_path):
            store.finish_run(conn, run_id, "ok" if report.error is None else "partial",
                             json.dumps({**report.counts(), "problems": report.problems}), report.error)
    return report


def _public_only(wanted: list, report: MediaReport) -> list:
    """The wanted URLs on public hosts. The others are left as they were, not counted as
    attempts: the URLs came from an imported file, and --allow-private is the user's call."""
    verdicts, public = {}, []
    for item in wanted:
        parts = urlsplit(item.url)
        host = parts.hostname or ""
        if host not in verdicts:
            verdicts[host] = first_not_public(host, parts.port or 443)
            if verdicts[host]:
                report.failures.append(f"{item.url}: {host} is at {verdicts[host]}, a loopback, private, "
                                       "link-local or reserved address: not fetched (--allow-private allows it)")
        if verdicts[host]:
            report.refused += 1
        else:
            public.append(item)
    return public


def _record_uses(conn, db_path, site_id, site_url, run_id, report, uploads=None) -> int:
    """Every use the site's rows show (and, with --uploads, the sizes beside its attachments
    there), recorded in batches; broken metadata is a problem noted."""
    new, batch = 0, []
    uses = _uses(conn, site_id, site_url, lambda where, problem: _note(conn, db_path, run_id, report,
                                                                       where, problem))
    if uploads:
        uses = chain(uses, uploaded_sizes(uploads, store.attachments(conn, site_id).fetchall()))
    for use in uses:
        batch.append(use)
        if len(batch) >= BATCH:
            new += _flush(conn, db_path, site_id, batch)
    return new + _flush(conn, db_path, site_id, batch)


def _flush(conn, db_path, site_id, batch) -> int:
    with store.transaction(conn, db_path):
        new = store.record_uses(conn, site_id, batch)
    batch.clear()
    return new


def _note(conn, db_path, run_id, report, where, problem):
    report.problems += 1
    with store.transaction(conn, db_path):
        store.record_problem(conn, run_id, where, problem, "its sizes not collected; the attachment's own file is")


def _uses(conn, site_id, site_url, note):
    """The uses of the site's attachments, post and comment HTML, and scraped og:images."""
    for post_id, url, value in store.attachments(conn, site_id).fetchall():
        try:
            metadata = attachment_metadata(value)
        except BrokenMetadata as error:
            note(url or f"attachment {post_id}", f"_wp_attachment_metadata: {error}")
            metadata = None
        yield from attachment_uses(Attachment(post_id, url, metadata))
    for post_id, url, content in store.post_html(conn, site_id):
        yield from html_uses(content, url or site_url, post_id)
    for post_id, comment_id, url, content in store.comment_html(conn, site_id):
        yield from html_uses(content, url or site_url, post_id, comment_id)
    for post_id, url, image in store.og_images(conn, site_id):
        yield from og_image_uses(image, url or site_url, post_id)


def _rest_sizes(conn, db_path, site_id, run_id, fetchers, report) -> int:
    """The sizes REST's `media_details` names, for a site archived through its REST API. The
    scrape does not ask for them (its requests stay as recorded); this run asks once, and again
    only when an attachment was added or edited since. New URLs recorded."""
    state = runs.sync_state(conn, site_id)
    root, signature = state.get("rest_root"), store.attachments_signature(conn, site_id)
    if state.get("via") != "rest" or not root or state.get(SIZES_READ) == signature:
        return 0
    ids = store.attachment_ids(conn, site_id)
    uses = []
    try:
        api = RestAPI(fetchers.for_url(root), root)
        for item in api.pages("/wp/v2/media", _fields="id,source_url,media_details"):
            if isinstance(item, dict) and item.get("id") in ids:
                uses.extend(rest_media_uses(item, ids[item["id"]]))
    except FetchError as error:
        report.problems += 1
        with store.transaction(conn, db_path):
            store.record_problem(conn, run_id, root, f"media sizes not listed: {error}", "asked again next run")
        return 0
    with store.transaction(conn, db_path):
        new = store.record_uses(conn, site_id, uses)
        runs.save_sync_state(conn, site_id, {SIZES_READ: signature})
    return new


def _wayback(conn, site_id, site_url, options: MediaOptions):
    """For a site archived through the Wayback Machine (not read from --uploads): its files are
    read from their captures, not from the dead host."""
    state = runs.sync_state(conn, site_id)
    if options.uploads or state.get("via") != "wayback":
        return None
    return wayback_media.WaybackMedia(conn, site_id, site_url, state, options)


def _fetchers(hosts: MediaHosts, options: MediaOptions) -> Fetchers:
    return Fetchers(hosts.names, delay=options.delay, max_requests=options.max_requests,
                    allow_private=options.allow_private, transport=options.transport, sleep=options.sleep)


def _shown(progress, report: MediaReport, wanted: int):
    """Tells `progress` the files done and the bytes so far, `arriving` being the bytes of the
    file in transfer."""
    def show(arriving: int):
        if progress:
            progress(report.fetched + report.unchanged + report.failed, wanted, report.bytes + arriving)
    return show


class _Counted:
    """The sink as download() sees it, telling `shown` every MB that arrives."""
    STEP = 1 << 20

    def __init__(self, sink, shown):
        self.sink, self.shown, self.count, self.next = sink, shown, 0, self.STEP

    def write(self, data) -> int:
        written = self.sink.write(data)
        self.count += len(data)
        if self.count >= self.next:
            self.next = self.count + self.STEP
            self.shown(self.count)
        return written

    def seek(self, offset: int, whence: int = 0) -> int:
        self.count, self.next = 0, self.STEP
        return self.sink.seek(offset, whence)

    def truncate(self, size=None) -> int:
        return self.sink.truncate(size)


def _from_web(fetchers: Fetchers, options: MediaOptions, shown, download=download):
    """One file from the web (or, for a Wayback site, its capture: `download`) into the folder:
    stored and recorded, or its failure recorded."""
    def fetch(conn, db_path, folder, item, report):
        validators = (item.etag, item.last_modified) if item.file_id is not None else (None, None)
        try:
            with folder.receiving() as incoming:
                got = download(fetchers, item.url, _Counted(incoming, shown), max_bytes=options.max_bytes,
                               deadline=options.deadline, etag=validators[0], modified=validators[1])
                stored = None if got.not_modified else incoming.keep()
        except FetchError as error:
            _failed(conn, db_path, item, report, error.reason if error.url == item.url else str(error), error.status)
            return
        except OSError as error:  # the media folder could not take the file (a full disk)
            _failed(conn, db_path, item, report, f"could not be stored: {error.strerror or error}", None)
            return
        wrong = stored and contradiction(stored.mime_type, item.url, got.content_type)
        if wrong:  # an error page served for the file: not the file
            drop_unrecorded(conn, folder, stored)
            _failed(conn, db_path, item, report, wrong, got.status)
            return
        with store.transaction(conn, db_path):
            if stored is None:
                store.record_unchanged(conn, item.id, got.etag, got.last_modified)
                report.unchanged += 1
            else:
                store.record_fetched(conn, item.id, stored, got.status, got.etag, got.last_modified)
                report.fetched += 1
                report.bytes += stored.bytes
    fetch.requests = lambda: fetchers.requests
    return fetch


def drop_unrecorded(conn, folder, stored):
    """Remove bytes just stored that no media_files row holds (another URL may hold the same)."""
    if not store.file_recorded(conn, stored.sha256):
        (folder.base / stored.path).unlink(missing_ok=True)


def _failed(conn, db_path, item, report, reason: str, status: int | None):
    with store.transaction(conn, db_path):
        store.record_failed(conn, item.id, reason, status)
    report.failed += 1
    report.failures.append(f"{item.url}: {reason}")


def _from_uploads(uploads: Path):
    """One file from a local copy of wp-content/uploads, matched by the path after /wp-content/uploads/."""
    def fetch(conn, db_path, folder, item, report):
        local = uploaded_path(uploads, item.url)
        if local is None or not local.is_file():
            report.not_local += 1
            return
        try:
            stored = folder.take(local)
        except OSError as error:  # unreadable in the uploads copy, or the media folder full
            _failed(conn, db_path, item, report, f"{local}: {error.strerror or error}", None)
            return
        with store.transaction(conn, db_path):
            store.record_fetched(conn, item.id, stored, None)
        report.fetched += 1
        report.bytes += stored.bytes
    return fetch


def uploaded_sizes(uploads: Path, attachments) -> list[Use]:
    """The sizes WordPress wrote beside each attachment's file in a local uploads folder
    (`photo-300x200.jpg` beside `photo.jpg` or `photo-scaled.jpg`): offline, what REST's
    media_details would name for a site whose export carried no `_wp_attachment_metadata`."""
    listed, uses = {}, []
    for post_id, url, _ in attachments:
        local = uploaded_path(uploads, url) if url else None
        if local is None:
            continue
        if local.parent not in listed:
            listed[local.parent] = sorted(entry.name for entry in local.parent.iterdir()) \
                if local.parent.is_dir() else []
        size = re.compile(re.escape(local.stem.removesuffix("-scaled")) + r"-\d+x\d+" + re.escape(local.suffix))
        uses += [Use(urljoin(url, quote(name)), "size", post_id) for name in listed[local.parent] if size.fullmatch(name)]
    return uses


def uploaded_path(uploads: Path, url: str) -> Path | None:
    """Where the URL's file is in the local uploads folder; None for a URL outside the uploads
    or one whose path would leave the folder."""
    path = unquote(urlsplit(url).path)
    if UPLOADS not in path:
        return None
    relative = path.split(UPLOADS, 1)[1]
    parts = [part for part in relative.split("/") if part]
    if not parts or any(part in (".", "..") or os.sep in part for part in parts):
        return None
    return uploads.joinpath(*parts)
