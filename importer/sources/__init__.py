"""Every input wparchive reads, in one registry: its name (the `--via` value for live sources),
what it accepts, and the function that yields its records. Adding a source is one module plus
one line here.

Live sources take a `LiveSite` (sources/live.py) and yield records with Problems in-band,
ending with the SyncState the next run starts from. File sources take an `Input` (inputs.py);
those marked `in_child` are parsed in a second process while the archive is written.
"""
import importlib
from dataclasses import dataclass
from typing import Callable

from . import files


@dataclass(frozen=True)
class WebSource:
    name: str                       # --via value
    provenance: str                 # what rows it writes record as their `source`
    offered: Callable | None        # Discovery -> bool: may `--via auto` choose it (richest first)?
    entry: str                      # "module:function" from LiveSite to records, imported when used,
                                    # so an import of files never loads the web stack

    def records(self, site):
        module, function = self.entry.split(":")
        return getattr(importlib.import_module(module, __name__), function)(site)


@dataclass(frozen=True)
class FileSource:
    name: str                       # also what rows it writes record as their `source`
    suffixes: tuple[str, ...]
    records: Callable               # (Input, repair, progress) -> records
    in_child: bool                  # large: parsed in a second process, repaired on a second pass


WEB_SOURCES = (
    WebSource("rest", "rest", lambda found: bool(found.rest_root), ".rest:collect"),
    WebSource("wpcom", "rest", lambda found: found.wordpress_com, ".wpcom:collect"),
    WebSource("feed", "feed", None, ".pages:collect_feed"),
    WebSource("html", "html", lambda found: True, ".pages:collect"),
    WebSource("wayback", "wayback", None, ".wayback:collect"),  # a dead blog's captures; never chosen by auto
)
FILE_SOURCES = (
    FileSource("wxr", (".xml", ".xml.gz", ".wxr", ".zip"), files.wxr_records, in_child=True),
    FileSource("html", (".html", ".htm"), files.page_records, in_child=False),
    FileSource("warc", (".warc.gz", ".warc", ".arc.gz"), files.warc_records, in_child=False),
)
FILE_SUFFIXES = tuple(suffix for source in FILE_SOURCES for suffix in source.suffixes)


def web_source(name: str) -> WebSource:
    return next(source for source in WEB_SOURCES if source.name == name)


def richest(found) -> WebSource:
    """The richest source a site offers, as `--via auto` picks it."""
    return next(source for source in WEB_SOURCES if source.offered and source.offered(found))


def file_source(name: str) -> FileSource:
    """The file source for a file name (wxr for anything not a saved page)."""
    lowered = name.lower()
    return next((s for s in FILE_SOURCES if s.name != "wxr" and lowered.endswith(s.suffixes)), FILE_SOURCES[0])
