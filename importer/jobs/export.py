"""Exporting an archive as WXR: the library call behind `wparchive export`."""
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..archive import read
from ..archive.migrations import LATEST, refuse_newer
from ..archive.session import is_sqlite, must_exist, read_only_uri
from ..archive.shape import check_shape
from ..errors import ArchiveError, InputError
from ..exports.media import MediaTree
from ..exports.wxr import Options, SiteExport, SiteWriter
from ..text import site_key


@dataclass
class ExportReport:
    sites: list[SiteExport] = field(default_factory=list)

    @property
    def removed(self):
        return [removed for site in self.sites for removed in site.removed]


def export_archive(db_path, *, site: str | None = None, output: Path | None = None, out_dir: Path | None = None,
                   options: Options | None = None, progress=None, media_base: str | None = None) -> ExportReport:
    """Write each chosen site to a WXR file (`output`, or one per site in `out_dir`).
    `progress(label, total)` returns a callable advanced by one per item, or None."""
    options = options or Options()
    options.generator = f"wparchive/{__version__}"
    must_exist(db_path)
    if not is_sqlite(db_path):
        raise ArchiveError(str(db_path), "not an archive (no SQLite database); "
                                         "run `wparchive import` or `wparchive scrape` first")
    conn = sqlite3.connect(read_only_uri(Path(db_path)), uri=True)
    try:
        version = refuse_newer(conn, str(db_path))
        if version == LATEST:
            check_shape(conn, str(db_path))
        sites = _chosen(conn, db_path, site, output)
        _known_statuses(conn, options.statuses)
        if out_dir:
            _made(Path(out_dir))
        report = ExportReport()
        for chosen in sites:
            path = output if output else Path(out_dir) / f"{_file_name(chosen)}.xml"
            _writable(path)
            tree = None
            if (out_dir or media_base) and version >= MEDIA_STORE:  # an older archive holds no files
                uploads = Path(out_dir) / "uploads" if out_dir else None
                if uploads and len(sites) > 1:
                    uploads = uploads / _file_name(chosen)
                base = f"{media_base.rstrip('/')}/{_file_name(chosen)}" if media_base and len(sites) > 1 \
                    else media_base
                tree = MediaTree(conn, db_path, chosen["id"], uploads, base)
            options.rewrite_url = tree if media_base else None
            advance = progress(chosen["url"] or chosen["url_key"], read.export_post_count(
                conn, chosen["id"], options.statuses, options.include_deleted)) \
                if progress else None
            try:
                done = SiteWriter(conn, chosen, options, advance).write(path)
                done.media_files = tree.write() if tree else 0
            except OSError as error:
                where = str(error.filename or path).removesuffix(".partial")  # the name the user knows
                raise InputError(where, f"cannot write: {error.strerror or error}") from None
            report.sites.append(done)
        return report
    finally:
        conn.close()


def _chosen(conn, db_path, site: str | None, output) -> list[dict]:
    every = read.export_sites(conn)
    if not every:
        raise ArchiveError(str(db_path), "the archive holds no site to export")
    sites = [s for s in every if s["url_key"] == site_key(site)] if site else every
    if not sites:
        shown = ", ".join(s["url"] or s["url_key"] for s in every[:5]) + (", ..." if len(every) > 5 else "")
        raise ArchiveError(str(db_path), f"no site {site} in the archive (its sites: {shown})")
    if output and len(sites) > 1:
        raise ArchiveError(str(db_path), f"the archive holds {len(sites)} sites: name one with --site, "
                                         "or write them all with --out DIR")
    return sites


# the statuses WordPress itself gives posts; a plugin's own are known by the archive holding them
_CORE_STATUSES = ("publish", "future", "draft", "pending", "private", "trash", "inherit", "auto-draft")


def _known_statuses(conn, statuses: tuple[str, ...] | None):
    """A --status that names no status (a typo) would export an empty site without a word."""
    held = read.post_statuses(conn)
    unknown = [s for s in statuses or () if s not in _CORE_STATUSES and s not in held]
    if unknown:
        raise InputError("--status", f"no such status {', '.join(unknown)} "
                                     f"(WordPress's: {', '.join(_CORE_STATUSES[:5])}; "
                                     f"this archive's: {', '.join(held) or 'none'})")


def _file_name(site: dict) -> str:
    """A file name from the site's address: 127.0.0.1:8765/blog -> 127.0.0.1-8765-blog."""
    return re.sub(r"[^\w.]+", "-", site["url_key"]).strip("-") or f"site-{site['id']}"


MEDIA_STORE = 3  # the migration that made the media tables (read-only here: an older archive is not upgraded)

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.I)


def parse_size(text: str) -> int:
    """'15MB', '500k', '1.5G', '2000000' as bytes (powers of 1,000, as `wp export` counts them);
    0 for no limit."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size (like 15MB, 500KB, 1GB)")
    return int(float(match.group(1)) * 1000 ** " kmg".index((match.group(2) or " ").lower()))


def _made(folder: Path):
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(str(folder), f"cannot make the folder: {error.strerror or error}") from None


def _writable(path: Path):
    folder = path.parent
    if not folder.is_dir():
        raise InputError(str(folder), "no such folder")
