"""The archive's media files, stored by content: `<db folder>/<db stem>.media/<sha[:2]>/<sha256>`.

Bytes arrive in a temporary file inside the folder while they are hashed and counted; only
`keep()` fsyncs it and renames it to its content's name, so a transfer cut short leaves nothing
that could pass for a whole file, and the same bytes under two URLs are one file. The type is
sniffed from the bytes, not taken from the server, so an HTML error page served for an image is
seen for what it is (`contradiction`).
"""
import hashlib
import io
import mimetypes
import os
import re
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image

from ..errors import ArchiveError

TEMP_PREFIX = ".incoming-"
HEAD = 4096  # bytes kept to sniff the type from
UNKNOWN = "application/octet-stream"
MAGIC = (  # (offset, leading bytes, type)
    (0, b"\xff\xd8\xff", "image/jpeg"), (0, b"\x89PNG\r\n\x1a\n", "image/png"), (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"), (0, b"II*\x00", "image/tiff"), (0, b"MM\x00*", "image/tiff"),
    (0, b"\x00\x00\x01\x00", "image/vnd.microsoft.icon"), (8, b"WEBP", "image/webp"), (8, b"WAVE", "audio/wav"),
    (8, b"AVI ", "video/x-msvideo"), (8, b"avif", "image/avif"), (8, b"heic", "image/heic"),
    (8, b"M4A ", "audio/mp4"), (8, b"qt  ", "video/quicktime"), (4, b"ftyp", "video/mp4"),
    (0, b"%PDF-", "application/pdf"), (0, b"PK\x03\x04", "application/zip"), (0, b"\x1f\x8b", "application/gzip"),
    (0, b"ID3", "audio/mpeg"), (0, b"OggS", "audio/ogg"), (0, b"fLaC", "audio/flac"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"), (0, b"wOFF", "font/woff"), (0, b"wOF2", "font/woff2"),
)
HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|title|meta|script)[\s>]", re.I | re.S)


@dataclass(frozen=True)
class Stored:
    sha256: str
    bytes: int
    path: str  # relative to the archive's folder, with / separators
    mime_type: str  # sniffed from the bytes
    width: int | None  # for raster images Pillow can read
    height: int | None


class MediaFolder:
    """The content-addressed folder beside the archive at `db_path` (made when a file first arrives)."""

    def __init__(self, db_path):
        db_path = Path(db_path).absolute()
        self.base = db_path.parent
        self.root = self.base / f"{db_path.stem}.media"

    def check(self):
        """Refuse at once a folder that cannot take files (its name taken by a file, or not
        writable), rather than fail every file of a run one by one."""
        if self.root.exists() and not self.root.is_dir():
            raise ArchiveError(str(self.root), "not a folder, and the archive's media files go there; move it away")
        where = self.root if self.root.exists() else self.base
        if not os.access(where, os.W_OK):
            raise ArchiveError(str(where), "read-only, so the archive's media files cannot be stored there")

    @contextmanager
    def receiving(self):
        """`with folder.receiving() as incoming:` write into it, then `incoming.keep()`; left
        without keep() (an error, a cap hit), its temporary file is removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=self.root)
        incoming = Incoming(self, os.fdopen(fd, "w+b"), Path(temp))
        try:
            yield incoming
        finally:
            incoming.discard()

    def take(self, source) -> Stored:
        """Store a local file (from --uploads), copied while hashed."""
        with open(source, "rb") as file, self.receiving() as incoming:
            shutil.copyfileobj(file, incoming, 1 << 20)
            return incoming.keep()

    def open(self, path: str):
        """A stored file, by the path its Stored (or media_files.path) gives, opened for reading."""
        full = (self.base / path).resolve()
        if not full.is_relative_to(self.root.resolve()) or full.name.startswith(TEMP_PREFIX):
            raise ArchiveError(path, f"not a stored file of {self.root}")
        return full.open("rb")

    def sweep(self) -> int:
        """Remove the temporary files of runs that were killed (their process is gone); how many."""
        removed = 0
        for temp in self.root.glob(f"{TEMP_PREFIX}*"):
            pid = temp.name.removeprefix(TEMP_PREFIX).split("-")[0]
            if pid.isdigit() and not _running(int(pid)):
                temp.unlink(missing_ok=True)
                removed += 1
        return removed

    def _place(self, temp: Path, sha256: str, size: int) -> Path:
        """The temporary file renamed to its content's name, unless that content is already held."""
        target = self.root / sha256[:2] / sha256
        if target.exists() and target.stat().st_size == size:
            temp.unlink()
            return target
        new_folder = not target.parent.exists()
        target.parent.mkdir(exist_ok=True)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
        _fsync_folder(target.parent)
        if new_folder:
            _fsync_folder(self.root)
        return target


class Incoming:
    """A file being received: write() hashes and counts it; keep() stores it under its hash."""

    def __init__(self, folder: MediaFolder, file, temp: Path):
        self.folder, self._file, self._temp = folder, file, temp
        self._restart()
        self._kept: Stored | None = None

    def write(self, data) -> int:
        self._file.write(data)
        self._hash.update(data)
        self.bytes += len(data)
        if len(self._head) < HEAD:
            self._head += data[:HEAD - len(self._head)]
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Only back to the start, as a retried download does: what was written is dropped."""
        if (offset, whence) != (0, 0):
            raise io.UnsupportedOperation("an incoming file only rewinds to its start")
        self._file.seek(0)
        self._file.truncate()
        self._restart()
        return 0

    def truncate(self, size: int | None = None) -> int:
        if size not in (None, self.bytes):
            raise io.UnsupportedOperation("an incoming file is only cut where it ends")
        return self.bytes

    def keep(self) -> Stored:
        """fsync, then rename into place (or drop, when the same bytes are held): the Stored file."""
        if self._kept is None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            sha256 = self._hash.hexdigest()
            target = self.folder._place(self._temp, sha256, self.bytes)
            mime_type = sniff(bytes(self._head))
            mime_type, width, height = _image(target, mime_type)
            self._kept = Stored(sha256, self.bytes, target.relative_to(self.folder.base).as_posix(),
                                mime_type, width, height)
        return self._kept

    def discard(self) -> None:
        if self._kept is None:
            self._file.close()
            self._temp.unlink(missing_ok=True)

    def _restart(self):
        self._hash = hashlib.sha256()
        self.bytes = 0
        self._head = bytearray()


def sniff(head: bytes) -> str:
    """The type the leading bytes show: a magic number, else HTML, SVG, XML or text, else unknown."""
    for offset, magic, mime_type in MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return mime_type
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # an MP3 frame with no ID3 tag before it
    text = head.removeprefix(b"\xef\xbb\xbf")
    if HTML_START.match(text):
        return "text/html"
    if re.match(rb"^\s*(<\?xml|<!--|<!doctype svg|<svg)", text, re.I):
        return "image/svg+xml" if re.search(rb"<svg[\s>]", text, re.I) else "application/xml"
    if _is_text(text):
        return "text/plain"
    return UNKNOWN


def contradiction(mime_type: str, url: str, declared: str | None = None) -> str | None:
    """Why bytes sniffed as `mime_type` cannot be the file the URL's extension or the declared
    Content-Type names (an HTML page served as a .jpg), or None when nothing contradicts them."""
    named = mimetypes.guess_type(urlsplit(url).path)[0]
    for source, expected in (("the URL names", named), ("the server declared", _essence(declared))):
        if expected and _contradicts(mime_type, expected):
            return f"the bytes are {mime_type} where {source} {expected}"
    return None


def _contradicts(sniffed: str, expected: str) -> bool:
    if sniffed in (UNKNOWN, expected):
        return False
    if sniffed == "text/html":
        return not expected.startswith("text/") and expected != "application/xhtml+xml"
    family = _family(expected)
    return family is not None and _family(sniffed) != family


def _family(mime_type: str) -> str | None:
    major = mime_type.split("/")[0]
    return {"image": "image", "audio": "sound", "video": "sound"}.get(major)


def _essence(content_type: str | None) -> str | None:
    return content_type.split(";")[0].strip().lower() or None if content_type else None


def _image(path: Path, mime_type: str) -> tuple[str, int | None, int | None]:
    """The type and size Pillow reads from an image's header (unknown bytes may be an image too)."""
    if mime_type != UNKNOWN and (not mime_type.startswith("image/") or mime_type == "image/svg+xml"):
        return mime_type, None, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                known = mime_type if mime_type != UNKNOWN else Image.MIME.get(image.format, UNKNOWN)
                return known, image.width, image.height
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return mime_type, None, None


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut at the end of the head
            return False
    return b"\x00" not in head


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
