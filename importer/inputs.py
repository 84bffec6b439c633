"""What a SOURCE argument names: files, gzip files, zip archives of parts, or directories of them.

Compressed input is read through `_Bounded`, which counts the bytes it expands to: an input may
not expand past `Limits.total`, nor (once past `Limits.ratio_from`) past `Limits.ratio` times its
compressed size. Real exports compress 3-30 times (gzip -9 over the shared corpus and generated
exports), so the ratio only stops bombs.
"""
import gzip
import hashlib
import re
import struct
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Callable, ContextManager, Iterator

from .errors import DamagedInputError, HostileInputError, InputError

EXPORT_SUFFIXES = (".xml", ".xml.gz", ".wxr")


@dataclass(frozen=True)
class Limits:
    """How far one input may expand when it is decompressed."""
    total: int = 4 << 30
    ratio: int = 100
    ratio_from: int = 64 << 20

    def check(self, name: str, expanded: int, compressed: int):
        if expanded > self.total:
            raise HostileInputError(name, f"expands past {_size(self.total)}: refused as a decompression bomb")
        if expanded > self.ratio_from and expanded > self.ratio * compressed:
            raise HostileInputError(name, f"expands more than {self.ratio} times its compressed size "
                                    f"({_size(compressed)}): refused as a decompression bomb")


def _size(n: int) -> str:
    return f"{n / (1 << 30):.1f} GB" if n >= 1 << 30 else f"{n / (1 << 20):.1f} MB"


@dataclass
class Input:
    """One import: a file, or every export in one zip, read in their numbered order as one."""
    name: str
    size: int  # bytes the parts expand to, as far as known before reading them
    modified: str
    parts: tuple[str, ...]  # names of what is read: the file itself, or zip!member
    opener: Callable[[], ContextManager[Callable[[str], ContextManager["_Bounded"]]]]  # opens parts

    def streams(self) -> Iterator[tuple[str, "_Bounded"]]:
        """Each part's name and stream in turn; read one to its end before asking for the next."""
        try:
            with self.opener() as open_part:
                for part in self.parts:
                    with open_part(part) as stream:
                        yield part, stream
        except (OSError, zipfile.BadZipFile) as error:
            raise InputError(self.name, f"cannot read: {error}") from None

    def content(self) -> bytes:
        """All the bytes of a single-file input (a saved page)."""
        return b"".join(stream.read() for _, stream in self.streams())

    def sha256(self) -> str:
        """The digest an import of this input records (see `digest_of_parts`)."""
        digests = []
        for _, stream in self.streams():
            digest = hashlib.sha256()
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
            digests.append(digest.hexdigest())
        return digest_of_parts(digests)


def digest_of_parts(digests: list[str]) -> str:
    """One part: its own sha256, so an export is known zipped or not. Several: the sha256 of their
    sha256s in order, so the same zip is recognised and any changed part reads it again."""
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


class _Bounded:
    """A decompressing stream held to the limits, whose failures name the part: a cut-off gzip ends
    (`truncated` says so; the parser then keeps what was complete), a bad CRC is damage."""

    def __init__(self, stream, name: str, budget: "_Budget | None"):
        self.stream, self.name, self.budget = stream, name, budget
        self.truncated = False
        # one decompressed block per call: a buffered read(n) that meets the cut loses the blocks
        # it had gathered for the call
        self.read_some = getattr(stream, "read1", stream.read)

    def read(self, n: int = -1) -> bytes:
        if n < 0:  # read1(-1) gives one buffer's worth, not the rest
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        if self.truncated:
            return b""
        try:
            data = self.read_some(n)
        except EOFError:
            self.truncated = True
            return b""
        except zipfile.BadZipFile as error:
            what = "CRC mismatch" if "CRC" in str(error) else error
            raise DamagedInputError(self.name, f"damaged zip member ({what})") from None
        except (gzip.BadGzipFile, zlib.error) as error:
            raise DamagedInputError(self.name, f"damaged compressed data ({error})") from None
        if self.budget:
            self.budget.spend(len(data))
        return data


class _Budget:
    """The decompressed bytes one input has used so far, across its parts."""

    def __init__(self, name: str, compressed: int, limits: Limits):
        self.name, self.compressed, self.limits = name, compressed, limits
        self.expanded = 0

    def spend(self, n: int):
        self.expanded += n
        self.limits.check(self.name, self.expanded, self.compressed)


def _natural(name: str):
    """Sort key that puts part 2 before part 10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def expand(sources, limits: Limits = Limits()) -> list[Input]:
    """Every input the SOURCE arguments name; a zip's exports are one input."""
    inputs = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            from .sources import FILE_SUFFIXES  # the registry's modules read Inputs: imported when used

            files = sorted((p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(FILE_SUFFIXES)),
                           key=lambda p: _natural(str(p)))
            if not files:
                raise InputError(str(path), "the directory holds no exports (.xml, .xml.gz, .zip) or saved pages (.html)")
            inputs.extend(_from_file(f, limits) for f in files)
        elif path.is_file():
            inputs.append(_from_file(path, limits))
        else:
            raise InputError(str(path), "no such file or directory")
    return inputs


def _from_file(path: Path, limits: Limits) -> Input:
    name, size = str(path), path.stat().st_size
    if name.lower().endswith(".zip"):
        return _from_zip(path, limits)

    @contextmanager
    def opener():
        yield lambda part: _opened_file(path, limits)
    return Input(name, size, _mtime(path), (name,), opener)


@contextmanager
def _opened_file(path: Path, limits: Limits):
    with open(path, "rb") as raw:
        if not path.name.lower().endswith(".gz"):
            yield _Bounded(raw, str(path), None)  # a plain file expands to nothing more
            return
        with gzip.GzipFile(fileobj=raw) as stream:
            yield _Bounded(stream, str(path), _Budget(str(path), path.stat().st_size, limits))


def _from_zip(path: Path, limits: Limits) -> Input:
    try:
        with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
            _check_layout(path, archive, raw)
            members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(EXPORT_SUFFIXES)]
    except (zipfile.BadZipFile, OSError, struct.error) as error:
        raise InputError(str(path), f"not a readable zip archive: {error}") from None
    if not members:
        raise InputError(str(path), "the zip archive holds no .xml exports")
    members.sort(key=lambda m: _natural(m.filename))
    declared = sum(m.file_size for m in members)
    limits.check(str(path), declared, path.stat().st_size)
    by_name = {f"{path}!{m.filename}": m for m in members}

    @contextmanager
    def opener():
        budget = _Budget(str(path), path.stat().st_size, limits)
        with zipfile.ZipFile(path) as archive:
            yield lambda part: _opened_member(archive, by_name[part], part, budget)
    return Input(str(path), declared, _mtime(path), tuple(by_name), opener)


@contextmanager
def _opened_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, budget: "_Budget"):
    try:
        stream = archive.open(member)
    except (RuntimeError, NotImplementedError) as error:  # encrypted, or a compression zipfile lacks
        raise InputError(name, f"cannot read zip member: {error}") from None
    with stream:
        if not member.filename.lower().endswith(".gz"):
            yield _Bounded(stream, name, budget)
            return
        with gzip.GzipFile(fileobj=_Bounded(stream, name, None)) as inner:  # counted once, expanded
            yield _Bounded(inner, name, budget)


def _check_layout(path: Path, archive: zipfile.ZipFile, raw: BinaryIO):
    """Refuse members whose bytes overlap (one deflated stream named thirty times is a bomb whose
    central directory looks innocent): each local header and its data must lie apart, before the
    central directory."""
    spans = []
    for member in archive.infolist():
        raw.seek(member.header_offset)
        header = raw.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise InputError(f"{path}!{member.filename}", "damaged zip member (no local header where the directory says)")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        end = member.header_offset + 30 + name_length + extra_length + member.compress_size
        spans.append((member.header_offset, end, member.filename))
    spans.sort()
    for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
        if start < end:
            raise HostileInputError(str(path), f"zip members {first!r} and {second!r} share bytes: "
                                    "refused as a decompression bomb")
    if spans and spans[-1][1] > archive.start_dir:
        raise InputError(str(path), "not a readable zip archive: a member runs into the central directory")
