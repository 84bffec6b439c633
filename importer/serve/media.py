"""The archive's media files served by Datasette, and the lookup that points rendered HTML at them.

`/-/wparchive/media/<sha256>` sends the stored bytes of one file from the media folder beside the
archive (media_files.path is relative to the archive's folder) with the type sniffed when it was
stored; a Range request gets the bytes asked for (a 206), so a browser can seek in archived video. An archived SVG or HTML file is someone else's markup: nosniff and a Content-Security-Policy
with no script sources (plus `sandbox` for anything but inert images, audio, video and PDF) keep it
from running script in Datasette's origin. Unknown hashes, and rows whose path leaves the media
folder, are 404s.
"""
import re
from pathlib import Path
from typing import Optional

import aiofiles
from datasette.utils.asgi import AsgiFileDownload, Response

from ..archive.media_folder import MediaFolder
from .sanitise import references

ROUTE = r"^/-/wparchive/media/(?P<sha256>[0-9a-f]{64})$"
POLICY = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
INERT = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/tiff",
         "image/vnd.microsoft.icon", "application/pdf")
INERT_KINDS = ("audio/", "video/")
RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")  # one range; several get the whole file
CHUNK = 1 << 16


def routes():
    return [(ROUTE, media_file)]


def route_for(datasette, sha256: str) -> str:
    return datasette.urls.path(f"/-/wparchive/media/{sha256}")


def headers_for(mime_type: str, sha256: str) -> dict:
    inert = mime_type in INERT or mime_type.startswith(INERT_KINDS)
    return {"x-content-type-options": "nosniff",
            "content-security-policy": POLICY if inert else f"{POLICY}; sandbox",
            "cache-control": "public, max-age=31536000, immutable", "etag": f'"{sha256}"'}


async def media_file(datasette, request):
    sha256 = request.url_vars["sha256"]
    for database in datasette.databases.values():
        found = await stored_file(database, sha256)
        if found:
            path, mime_type = found
            headers = headers_for(mime_type, sha256)
            if request.headers.get("if-none-match") == f'"{sha256}"':
                return Response("", status=304, headers=headers)
            size = path.stat().st_size
            wanted = byte_range(request.headers.get("range"), size)
            if wanted == ():
                return Response("", status=416, headers={**headers, "content-range": f"bytes */{size}"})
            if wanted:
                return Part(path, *wanted, size, mime_type, headers)
            return AsgiFileDownload(path, content_type=mime_type, headers={**headers, "accept-ranges": "bytes"})
    return Response.text("not in this archive's media", status=404,
                         headers={"x-content-type-options": "nosniff"})


def byte_range(header: Optional[str], size: int) -> Optional[tuple]:
    """(first, last) byte a Range header asks for; None for the whole file (no header, one this
    does not read); () for a range wholly past the end (416)."""
    match = RANGE.match(header or "")
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # bytes=-N: the last N bytes
        return (max(0, size - int(last)), size - 1) if int(last) and size else ()
    if last and int(last) < int(first):
        return None
    return (int(first), min(int(last), size - 1) if last else size - 1) if int(first) < size else ()


class Part:
    """Bytes first..last of a stored file, streamed as a 206."""

    def __init__(self, path: Path, first: int, last: int, size: int, mime_type: str, headers: dict):
        self.path, self.first, self.count = path, first, last - first + 1
        self.headers = {**headers, "content-type": mime_type, "content-length": str(self.count),
                        "content-range": f"bytes {first}-{last}/{size}", "accept-ranges": "bytes"}

    async def asgi_send(self, send):
        await send({"type": "http.response.start", "status": 206,
                    "headers": [[name.encode(), value.encode()] for name, value in self.headers.items()]})
        left = self.count
        async with aiofiles.open(str(self.path), mode="rb") as file:
            await file.seek(self.first)
            while True:
                chunk = await file.read(min(CHUNK, left)) if left else b""
                left -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": bool(chunk and left)})
                if not chunk or not left:
                    return


async def stored_file(database, sha256: str) -> Optional[tuple[Path, str]]:
    """(file on disk, type) for sha256 in this database, if it holds it inside its media folder."""
    if not database.path or not await database.table_exists("media_files"):
        return None
    row = (await database.execute("select path, mime_type from media_files where sha256 = ?", [sha256])).first()
    if row is None:
        return None
    folder = MediaFolder(database.path)
    file = (folder.base / row["path"]).resolve()
    if not file.is_relative_to(folder.root.resolve()) or not file.is_file():
        return None
    return file, row["mime_type"] or "application/octet-stream"


async def archived_copies(datasette, database_name: str, html: str, site_id: Optional[int]) -> dict[str, str]:
    """Original URL -> route, for the files html refers to that the archive holds (of site_id's
    when the row names its site)."""
    urls = sorted(references(html))
    database = datasette.get_database(database_name)
    if not urls or not await database.table_exists("media_urls"):
        return {}
    marks = ", ".join("?" for _ in urls)
    site = "and u.site_id = ?" if site_id is not None else ""
    rows = await database.execute(
        f"select u.url, f.sha256 from media_urls u join media_files f on f.id = u.file_id "
        f"where u.status = 'fetched' and u.url in ({marks}) {site}",
        [*urls, *([site_id] if site_id is not None else [])])
    return {row["url"]: route_for(datasette, row["sha256"]) for row in rows}
