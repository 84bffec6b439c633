"""Records of the files `wparchive import` reads: WXR exports (every part of a zip in order,
each hashed as it is parsed, so read once) and saved pages."""
import gc
import hashlib

from ..errors import DamagedInputError, InputError
from ..inputs import Input, digest_of_parts
from ..model import Digest, Problem, Site
from .wxr import Tags, WXRReader

GC_EVERY = 64  # parts between collections of their readers' cycles: memory stays flat, time is saved


def wxr_records(item: Input, repair: bool, progress):
    """The records of every part in order, then the digest of them all (each part hashed as it is
    parsed, so read once)."""
    digests, tags, site = [], Tags(), None
    for number, (part, stream) in enumerate(item.streams(), 1):
        hashed = _HashedStream(stream)
        try:
            for record in WXRReader(hashed, part, progress, repair, tags):
                if isinstance(record, Site):
                    if record == site:
                        continue  # every part of a zip repeats the channel: said once is enough
                    site = record
                yield record
        except DamagedInputError as damage:
            if stream.truncated:
                raise DamagedInputError(part, "the compressed data ends early (the file is cut off); "
                                        "every complete record before the cut was kept", damage.line) from None
            raise
        digests.append(hashed.hexdigest())
        if number % GC_EVERY == 0:
            gc.collect(0)  # a reader and its parser hold cycles; with collection off, each part's would stay
        if stream.truncated:
            yield Problem("the compressed data ends early, after the end of the export", "nothing lost")
    yield Digest(digest_of_parts(digests))


class _HashedStream:
    """A stream that hashes what is read from it: the parser's own read gives the input's sha256,
    so the file is not read (or unzipped) a second time for it."""

    def __init__(self, stream):
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.digest.update(data)
        return data

    def hexdigest(self) -> str:
        while self.read(1 << 20):  # whatever follows the export's end counts too
            pass
        return self.digest.hexdigest()


def page_records(item: Input, repair: bool, progress):
    """A saved page's site, post (with its comments) and what reading it had to cut."""
    from .html import page_from_html  # loaded only when a saved page is read

    page = page_from_html(item.content())
    if page.post is None:
        raise InputError(item.name, "no WordPress post found on the page")
    yield page.site
    yield page.post
    yield from page.problems


def warc_records(item: Input, repair: bool, progress):
    """The captures in a WARC or ARC file, each dated by its WARC-Date."""
    from .warc import records  # warcio is loaded only when a WARC is read

    yield from records(item, repair, progress)
