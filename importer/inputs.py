"""What a SOURCE argument names: files, gzip files, zip archives of parts, or directories of them."""
import gzip
import hashlib
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import InputError

SUFFIXES = (".xml", ".xml.gz", ".wxr", ".zip", ".html", ".htm")


@dataclass
class Input:
    """One export file to read, wherever it lives."""
    name: str
    size: int
    modified: str
    opener: Callable[[], BinaryIO]

    @property
    def kind(self) -> str:
        """wxr for exports, html for saved pages."""
        return "html" if self.name.lower().endswith((".html", ".htm")) else "wxr"

    def open(self) -> BinaryIO:
        try:
            return self.opener()
        except (OSError, zipfile.BadZipFile, EOFError) as error:
            raise InputError(self.name, f"cannot read: {error}") from None

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.open() as stream:
            try:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
            except (OSError, EOFError, zipfile.BadZipFile) as error:
                raise InputError(self.name, f"cannot read: {error}") from None
        return digest.hexdigest()


def _natural(name: str):
    """Sort key that puts part 2 before part 10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def expand(sources) -> list[Input]:
    """Every export the SOURCE arguments name, parts of one archive in their numbered order."""
    inputs = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files = sorted((p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES)),
                           key=lambda p: _natural(str(p)))
            if not files:
                raise InputError(str(path), "the directory holds no exports (.xml, .xml.gz, .zip) or saved pages (.html)")
            inputs.extend(i for f in files for i in _from_file(f))
        elif path.is_file():
            inputs.extend(_from_file(path))
        else:
            raise InputError(str(path), "no such file or directory")
    return inputs


def _from_file(path: Path) -> list[Input]:
    name = path.name.lower()
    modified = _mtime(path)
    if name.endswith(".zip"):
        return _from_zip(path, modified)
    if name.endswith(".gz"):
        return [Input(str(path), path.stat().st_size, modified, lambda: gzip.open(path, "rb"))]
    return [Input(str(path), path.stat().st_size, modified, lambda: open(path, "rb"))]


def _from_zip(path: Path, modified: str) -> list[Input]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith((".xml", ".xml.gz", ".wxr"))]
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError(str(path), f"not a readable zip archive: {error}") from None
    if not members:
        raise InputError(str(path), "the zip archive holds no .xml exports")

    def opener(member):
        def open_member():
            stream = zipfile.ZipFile(path).open(member)
            return gzip.GzipFile(fileobj=stream) if member.filename.lower().endswith(".gz") else stream
        return open_member

    members.sort(key=lambda m: _natural(m.filename))
    return [Input(f"{path}!{m.filename}", m.file_size, modified, opener(m)) for m in members]
