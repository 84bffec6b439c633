"""Numbered WXR files for one site: a new part begins once the current one reaches the size limit,
like `wp export --max_file_size` (a part can exceed it by its last item and lxml's buffer).
Each part is written under a `.partial` name and renamed only when the whole site is written, so an
interrupted or failed export leaves no file under the name an importer would take for complete."""
from contextlib import ExitStack, suppress
from pathlib import Path

from lxml import etree

NSMAP = {"excerpt": "http://wordpress.org/export/1.2/excerpt/",
         "content": "http://purl.org/rss/1.0/modules/content/",
         "wfw": "http://wellformedweb.org/CommentAPI/",
         "dc": "http://purl.org/dc/elements/1.1/",
         "wp": "http://wordpress.org/export/1.2/"}


class _Counted:
    """The file lxml writes into, counting the bytes on their way."""

    def __init__(self, file):
        self.file, self.bytes = file, 0

    def write(self, data):
        self.bytes += len(data)
        return self.file.write(data)


class Part:
    """One open WXR file: <rss> and <channel> are open until close()."""

    def __init__(self, path: Path, write_channel):
        self.path = path
        self.items = 0
        self._stack = ExitStack()
        file = self._stack.enter_context(open(path, "wb"))
        self._counted = _Counted(file)
        self.xf = self._stack.enter_context(etree.xmlfile(self._counted, encoding="utf-8"))
        self.xf.write_declaration()
        self._stack.enter_context(self.xf.element("rss", version="2.0", nsmap=NSMAP))
        self.xf.write("\n")
        self._stack.enter_context(self.xf.element("channel"))
        self.xf.write("\n")
        write_channel(self.xf)

    @property
    def bytes(self) -> int:
        """Bytes written so far, less what lxml still buffers (a few KB): no flush per item."""
        return self._counted.bytes

    def close(self):
        self._stack.close()


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


class Parts:
    """The files of one site: `NAME.xml`, or `NAME.001.xml`, `NAME.002.xml`, ... once there are two.
    `finish()` gives them their names; `abandon()` removes what was written."""

    def __init__(self, path: Path, write_channel, max_bytes: int | None):
        self.path, self.write_channel, self.max_bytes = path, write_channel, max_bytes
        self.paths: list[Path] = []  # the final names
        self.written: list[Path] = []  # where each part is being written
        self.current = self._open(path)

    def _open(self, path: Path) -> Part:
        self.paths.append(path)
        self.written.append(_partial(path))
        return Part(self.written[-1], self.write_channel)

    def _numbered(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.stem}.{n:03d}{self.path.suffix}")

    def for_item(self) -> Part:
        """The part the next item goes in: the current one until it holds an item and reached the limit."""
        part = self.current
        if self.max_bytes and part.items and part.bytes >= self.max_bytes:
            part.close()
            if len(self.paths) == 1:
                self.paths[0] = self._numbered(1)
            self.current = self._open(self._numbered(len(self.paths) + 1))
        return self.current

    def finish(self):
        """Close the last part and rename them all; the files an earlier export of the site left
        (NAME.xml beside new parts, parts past the new count) are removed, so the folder holds one set."""
        self.current.close()
        for written, path in zip(self.written, self.paths):
            written.replace(path)
        stale = [self.path] if len(self.paths) > 1 else []
        n = len(self.paths) + 1 if len(self.paths) > 1 else 1
        while self._numbered(n).exists():
            stale.append(self._numbered(n))
            n += 1
        for path in stale:
            path.unlink(missing_ok=True)

    def abandon(self):
        """After a failure or Ctrl-C: nothing of this export is left."""
        with suppress(Exception):
            self.current.close()
        for written in self.written:
            written.unlink(missing_ok=True)
