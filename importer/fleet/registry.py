"""The fleet's own small database (<fleet>/registry.db): which sites, where their archive files
are, when each is due, and how its last run ended. Separate from the archives: it is the
schedule, written by whoever runs the fleet, never by a site's step."""
import hashlib
import re
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiveError
from ..text import site_key
from ..web.site_url import checked

REGISTRY = "registry.db"
SITES = "sites"
DAY = 86400
SCHEMA = """
CREATE TABLE IF NOT EXISTS fleet (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sites (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    url_key TEXT NOT NULL UNIQUE,
    file TEXT NOT NULL UNIQUE,      -- the site's archive, relative to the fleet folder
    every REAL NOT NULL,            -- seconds between syncs
    due_at REAL NOT NULL,           -- unix time the next sync is due
    queued_at REAL,                 -- when its steps were sent to a broker and not yet reported
    last_run REAL,
    last_status TEXT,               -- ok, partial, failed
    last_error TEXT,
    runs INTEGER NOT NULL DEFAULT 0,
    changed_at REAL                 -- the last run that added, updated or marked rows
);
CREATE TABLE IF NOT EXISTS published (  -- when `fleet publish` last copied a site into an archive
    out TEXT NOT NULL,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    PRIMARY KEY (out, site_id)
);
"""


@dataclass
class FleetSite:
    id: int
    url: str
    url_key: str
    file: str
    every: float
    due_at: float
    queued_at: float | None
    last_run: float | None
    last_status: str | None
    last_error: str | None
    runs: int
    changed_at: float | None


def archive_name(url_key: str) -> str:
    """A file name for a site's archive, readable and unique: the key made safe plus a short hash."""
    safe = re.sub(r"[^a-z0-9.]+", "-", url_key.lower()).strip("-.")[:60]
    return f"{SITES}/{safe}-{hashlib.sha256(url_key.encode()).hexdigest()[:8]}.db"


class Registry:
    """The fleet folder's registry. Short transactions only: many writers may share it."""

    def __init__(self, folder, clock=time.time):
        self.folder, self.clock = Path(folder), clock
        if self.folder.exists() and not self.folder.is_dir():
            raise ArchiveError(str(folder), "is a file, not a fleet folder")
        (self.folder / SITES).mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.folder / REGISTRY, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise ArchiveError(str(self.folder / REGISTRY), f"cannot be used as a fleet registry ({error})") from None
        self.conn.execute("INSERT OR IGNORE INTO fleet (key, value) VALUES ('id', ?)", (uuid.uuid4().hex,))

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def fleet_id(self) -> str:
        """A name for this fleet on a shared broker (its outcomes list)."""
        return self.conn.execute("SELECT value FROM fleet WHERE key = 'id'").fetchone()[0]

    def archive_path(self, site: FleetSite) -> Path:
        return self.folder / site.file

    def add(self, url: str, every: float = DAY) -> bool:
        """Register a site, due at once; False when it is there already (its schedule is updated)."""
        checked(url)
        key = site_key(url)
        if key is None:
            raise ArchiveError(url, "not a site URL")
        known = self.conn.execute("SELECT 1 FROM sites WHERE url_key = ?", (key,)).fetchone()
        if known:
            self.conn.execute("UPDATE sites SET every = ?, due_at = CASE WHEN last_run IS NULL THEN due_at "
                              "ELSE last_run + ? END WHERE url_key = ?", (every, every, key))
            return False
        self.conn.execute("INSERT INTO sites (url, url_key, file, every, due_at) VALUES (?, ?, ?, ?, ?)",
                          (url, key, archive_name(key), every, self.clock()))
        return True

    def remove(self, url: str) -> FleetSite:
        """Forget a site (its archive file stays where it is, for the operator to keep or delete)."""
        site = self.site(url)
        self.conn.execute("DELETE FROM sites WHERE id = ?", (site.id,))
        return site

    def site(self, url: str) -> FleetSite:
        row = self.conn.execute("SELECT * FROM sites WHERE url_key = ?", (site_key(url),)).fetchone()
        if row is None:
            raise ArchiveError(url, f"not in the fleet at {self.folder}; add it with `wparchive fleet add`")
        return FleetSite(*row)

    def sites(self) -> list[FleetSite]:
        return [FleetSite(*row) for row in self.conn.execute("SELECT * FROM sites ORDER BY id")]

    def due(self, stale_after: float) -> list[FleetSite]:
        """Sites due now, less those whose steps are on a broker and not older than `stale_after`."""
        now = self.clock()
        return [FleetSite(*row) for row in self.conn.execute(
            "SELECT * FROM sites WHERE due_at <= ? AND (queued_at IS NULL OR queued_at < ?) ORDER BY due_at, id",
            (now, now - stale_after))]

    def mark_queued(self, sites: list[FleetSite]):
        self.conn.executemany("UPDATE sites SET queued_at = ? WHERE id = ?", [(self.clock(), s.id) for s in sites])

    def record(self, outcome) -> None:
        """A site's run ended: its result, and when it is due again (a run cut short by its
        budget is due again next cycle like any other: what it read is kept)."""
        now = self.clock()
        changed = outcome.first or (outcome.added + outcome.updated + outcome.deleted) > 0
        self.conn.execute(
            "UPDATE sites SET queued_at = NULL, last_run = ?, last_status = ?, last_error = ?, runs = runs + 1, "
            "due_at = ? + every, changed_at = CASE WHEN ? THEN ? ELSE changed_at END WHERE url_key = ?",
            (now, outcome.status, outcome.error, now, changed, now, site_key(outcome.url)))

    def to_publish(self, out: str, fresh: bool) -> tuple[list[FleetSite], int]:
        """Sites changed since they were last published into `out` (all of them into a `fresh`
        one), and how many are left out as unchanged."""
        if fresh:
            self.conn.execute("DELETE FROM published WHERE out = ?", (out,))
        rows = self.conn.execute(
            "SELECT s.*, p.at FROM sites s LEFT JOIN published p ON p.site_id = s.id AND p.out = ? "
            "WHERE s.changed_at IS NOT NULL ORDER BY s.id", (out,)).fetchall()
        changed = [FleetSite(*row[:-1]) for row in rows if row[-1] is None or row[-2] >= row[-1]]
        return changed, len(rows) - len(changed)

    def mark_published(self, out: str, site: FleetSite, when: float):
        self.conn.execute("INSERT INTO published (out, site_id, at) VALUES (?, ?, ?) "
                          "ON CONFLICT (out, site_id) DO UPDATE SET at = excluded.at", (out, site.id, when))
