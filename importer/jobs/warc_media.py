"""The media files a WARC holds (images and other files under the blog's uploads) put into the
archive's media store after its pages are imported, so their `media_urls` rows are fetched with
their file and a later `wparchive media` fetches nothing already held. Each file is its own short
transaction, as the media run's are."""
import shutil

from ..archive import media as store
from ..archive.media_folder import MediaFolder, contradiction
from ..inputs import Input
from ..sources.warc import media_responses
from .media import drop_unrecorded


def store_media(conn, db_path, item: Input, site_id: int) -> dict:
    """Counts of the WARC's media files: added (new to the site), had, not the file (an error page)."""
    site_url, = conn.execute("SELECT url FROM sites WHERE id = ?", (site_id,)).fetchone()
    folder = MediaFolder(db_path)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    by_digest = {}
    for url, digest, kind, body in media_responses(item, site_url):
        stored = by_digest.get(digest) if body is None else _received(conn, folder, url, kind, body)
        if stored is None:
            continue
        by_digest[digest] = stored
        with store.transaction(conn, db_path):
            url_id, held = store.url_row(conn, site_id, url)
            if held is None:
                store.record_fetched(conn, url_id, stored)
        counts["added" if held is None else "unchanged"] += 1
    return counts


def _received(conn, folder: MediaFolder, url: str, kind: str, body):
    """The body stored under its hash, unless its bytes are not the file its URL names."""
    folder.check()
    with folder.receiving() as incoming:
        shutil.copyfileobj(body, incoming, 1 << 20)
        stored = incoming.keep()
    if contradiction(stored.mime_type, url, kind or None):
        drop_unrecorded(conn, folder, stored)
        return None
    return stored
