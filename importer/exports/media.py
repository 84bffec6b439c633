"""The archived files of a site as a WordPress `uploads/` tree (YYYY/MM/name as the site had them),
and the addresses that point at where that tree will be served (--media-base), so WordPress's
importer, told to download attachments, fetches them from there."""
import re
import shutil
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from ..archive import read
from ..archive.media_folder import MediaFolder

_URL = re.compile(r"""https?://[^\s"'<>()\[\]\\]+""")


def upload_path(url: str) -> str | None:
    """Where a file goes in the tree: its path under wp-content/uploads/ (or a WordPress.com
    files host's path); a file from elsewhere under its host's name. None for what cannot be
    a safe relative path."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if "/wp-content/uploads/" in path:
        relative = path.split("/wp-content/uploads/", 1)[1]
    elif (parts.hostname or "").endswith(".files.wordpress.com"):
        relative = path
    else:
        relative = f"{parts.hostname}/{path}"
    segments = [s for s in PurePosixPath(relative).parts if s not in ("/", "")]
    if not segments or any(s in (".", "..") or "\\" in s or "\x00" in s for s in segments):
        return None
    return "/".join(segments)


class MediaTree:
    """One site's stored files, where they go in the tree and their new addresses."""

    def __init__(self, conn, db_path, site_id: int, folder: Path | None, base_url: str | None):
        self.store = MediaFolder(db_path)
        self.folder, self.base_url = folder, base_url.rstrip("/") if base_url else None
        self.files: dict[str, str] = {}  # relative path in the tree -> stored path
        self.moved: dict[str, str] = {}  # old URL -> new URL
        for url, stored in read.fetched_media(conn, site_id):
            relative = upload_path(url)
            if relative is None:
                continue
            self.files.setdefault(relative, stored)
            if self.base_url:
                self.moved[url] = f"{self.base_url}/{quote(relative)}"

    def url(self, old: str) -> str:
        return self.moved.get(old, old)

    def attachment_url(self, old: str) -> str:
        """An attachment's file, its original when held: WordPress names the image it scaled down
        `-scaled`, and its importer moves the sizes' addresses (name-300x200.jpg) only along with
        the file they are named after; given the original it also makes the -scaled copy again."""
        new = self.url(old)
        stem, dot, extension = old.rpartition(".")
        if new != old and stem.endswith("-scaled"):
            original = f"{stem[:-len('-scaled')]}.{extension}"
            if original in self.moved:
                return self.moved[original]
        return new

    def content(self, html: str) -> str:
        """The HTML with every archived file's address (src, srcset, href) pointing at the tree."""
        if not self.moved or "://" not in html:
            return html
        return _URL.sub(lambda match: self.moved.get(match.group(0), match.group(0)), html)

    def write(self) -> int:
        """Copy the files into the tree (streamed; a file already there is left); how many the tree holds.
        Each is copied under a `.partial` name and renamed once whole, so a copy cut short is
        not taken for the file by the next export."""
        if self.folder is None:
            return 0
        for relative, stored in self.files.items():
            target = self.folder / relative
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            try:
                with self.store.open(stored) as source, open(partial, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
        return len(self.files)
