"""The dead blog the Wayback and WARC tests recover: the test WordPress on 8773, wiped fresh,
crawled by wget into WARC files before and after an author and a moderator change it."""
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cdx_server import wget_capture
from conftest import HERE, WORDPRESS, wordpress_change, wordpress_url

EDITED_POST, EDITED_TEXT = 4, "The post as its author rewrote it, after the first crawl."
EDITED_COMMENT_TEXT = "A comment its author corrected after the first crawl."


@dataclass
class Crawls:
    url: str
    warcs: list[Path]
    edited_comment: int
    added_comment: int


def fresh_wordpress() -> str:
    """8773 from an empty database, so the edits below are the same every session."""
    port = str(WORDPRESS["wayback"])
    subprocess.run(["bash", str(HERE / "wordpress" / "down.sh"), port, "--wipe"], capture_output=True)
    subprocess.run(["bash", str(HERE / "wordpress" / "up.sh"), port], check=True, capture_output=True)
    return wordpress_url("wayback")


def crawl_between_edits(folder: Path) -> Crawls:
    """Three crawls a second apart or more, with the images pages show (wget's page requisites):
    the second sees a new comment, the third an edited post, the edited comment and another."""
    url = fresh_wordpress()
    first = wget_capture(url, folder / "before", media=True)
    comment = int(wordpress_change("wayback", "add-comment", EDITED_POST, "Early Reader", "A first-draft comment."))
    time.sleep(1.1)  # capture times have one-second resolution
    second_a = wget_capture(url, folder / "with-comment", media=True)
    time.sleep(1.1)
    wordpress_change("wayback", "edit-post", EDITED_POST, EDITED_TEXT)
    wordpress_change("wayback", "edit-comment", comment, EDITED_COMMENT_TEXT)
    added = int(wordpress_change("wayback", "add-comment", EDITED_POST, "Late Reader", "Seen only in the last crawl."))
    time.sleep(1.1)
    last = wget_capture(url, folder / "after", media=True)
    return Crawls(url, [Path(first), Path(second_a), Path(last)], comment, added)
