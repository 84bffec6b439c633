"""The content-addressed media folder: files named by their sha256 beside the archive, written
through a temporary file that only keep() turns into a stored file, types sniffed from the bytes."""
import hashlib
import io
import subprocess
import sys

import pytest
from PIL import Image

from importer.archive.media_folder import MediaFolder, contradiction, sniff
from importer.errors import ArchiveError


def image(kind: str, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture
def folder(tmp_path):
    return MediaFolder(tmp_path / "blog.db")


def everything_in(folder) -> list[str]:
    return sorted(p.relative_to(folder.root).as_posix() for p in folder.root.rglob("*"))


def test_kept_bytes_are_named_by_their_sha256_beside_the_archive(folder, tmp_path):
    data = image("PNG")
    sha256 = hashlib.sha256(data).hexdigest()
    with folder.receiving() as incoming:
        incoming.write(data[:10])
        incoming.write(data[10:])
        stored = incoming.keep()
    assert (stored.sha256, stored.bytes, stored.path) == (sha256, len(data), f"blog.media/{sha256[:2]}/{sha256}")
    assert (stored.mime_type, stored.width, stored.height) == ("image/png", 64, 48)
    assert (tmp_path / stored.path).read_bytes() == data
    assert everything_in(folder) == [sha256[:2], f"{sha256[:2]}/{sha256}"]


def test_leaving_the_block_without_keep_leaves_nothing(folder):
    with folder.receiving() as incoming:
        incoming.write(b"half a file")
    with pytest.raises(ZeroDivisionError):
        with folder.receiving() as incoming:
            incoming.write(b"the other half")
            1 / 0
    assert everything_in(folder) == []


def test_the_same_bytes_twice_are_one_file(folder):
    data = image("GIF")
    first, second = (_store(folder, data) for _ in range(2))
    assert first == second
    assert len([p for p in folder.root.rglob("*") if p.is_file()]) == 1


def _store(folder, data: bytes):
    with folder.receiving() as incoming:
        incoming.write(data)
        return incoming.keep()


def test_a_rewound_file_holds_only_what_came_after(folder):
    with folder.receiving() as incoming:
        incoming.write(b"a first attempt, cut short")
        incoming.seek(0)
        incoming.truncate()
        incoming.write(b"%PDF-1.4 the whole file")
        stored = incoming.keep()
    assert stored.sha256 == hashlib.sha256(b"%PDF-1.4 the whole file").hexdigest()
    assert stored.bytes == 23 and stored.mime_type == "application/pdf"
    with pytest.raises(io.UnsupportedOperation):
        with folder.receiving() as incoming:
            incoming.seek(5)


def test_take_copies_a_local_file(folder, tmp_path):
    upload = tmp_path / "2024" / "photo.webp"
    upload.parent.mkdir()
    upload.write_bytes(image("WEBP", (33, 21)))
    stored = folder.take(upload)
    assert (stored.mime_type, stored.width, stored.height) == ("image/webp", 33, 21)
    assert upload.exists()
    with folder.open(stored.path) as file:
        assert file.read() == upload.read_bytes()


def test_open_refuses_paths_outside_the_folder(folder, tmp_path):
    (tmp_path / "secret.txt").write_text("not media")
    stored = _store(folder, b"some bytes")
    for path in ("secret.txt", "blog.media/../secret.txt", "/etc/passwd", "blog.db"):
        with pytest.raises(ArchiveError, match="not a stored file"):
            folder.open(path)
    with folder.open(stored.path) as file:
        assert file.read() == b"some bytes"


def test_sweep_removes_only_the_temporaries_of_dead_processes(folder):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    folder.root.mkdir(parents=True)
    dead = folder.root / f".incoming-{finished.stdout.strip()}-abc"
    dead.write_bytes(b"left by a killed run")
    with folder.receiving() as incoming:
        incoming.write(b"still arriving")
        assert folder.sweep() == 1
        stored = incoming.keep()
    assert not dead.exists()
    assert everything_in(folder) == [stored.sha256[:2], f"{stored.sha256[:2]}/{stored.sha256}"]


@pytest.mark.parametrize("head, mime_type", [
    (image("JPEG"), "image/jpeg"), (image("PNG"), "image/png"), (image("GIF"), "image/gif"),
    (image("WEBP"), "image/webp"), (b"%PDF-1.7\n", "application/pdf"), (b"PK\x03\x04rest", "application/zip"),
    (b"ID3\x04\x00", "audio/mpeg"), (b"\x00\x00\x00\x18ftypmp42", "video/mp4"), (b"\x00\x00\x00\x18ftypM4A ", "audio/mp4"),
    (b"\xef\xbb\xbf\n  <!DOCTYPE html>\n<html lang=en>", "text/html"), (b"<html><body>x", "text/html"),
    (b"<!-- cache: hit --><head><title>404", "text/html"),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">', "image/svg+xml"),
    (b'<?xml version="1.0"?><rss>', "application/xml"), (b"plain words", "text/plain"),
    (b"\x00\x01\x02\x03binary", "application/octet-stream"),
])
def test_sniff_reads_the_type_from_the_bytes(head, mime_type):
    assert sniff(head) == mime_type


@pytest.mark.parametrize("mime_type, url, declared, verdict", [
    ("text/html", "https://b.example/wp-content/uploads/a.jpg", "image/jpeg",
     "the bytes are text/html where the URL names image/jpeg"),
    ("text/html", "https://b.example/wp-content/uploads/a", "image/png; charset=binary",
     "the bytes are text/html where the server declared image/png"),
    ("text/plain", "https://b.example/a.png", None, "the bytes are text/plain where the URL names image/png"),
    ("application/pdf", "https://b.example/a.mp3", None, "the bytes are application/pdf where the URL names audio/mpeg"),
    ("image/webp", "https://i0.wp.com/b.example/a.jpg", "image/webp", None),  # Photon serves WebP for .jpg
    ("audio/ogg", "https://b.example/a.ogv", None, None),
    ("application/pdf", "https://b.example/a.pdf", "application/pdf", None),
    ("application/zip", "https://b.example/a.docx", None, None),
    ("text/html", "https://b.example/page.html", "text/html", None),
    ("application/octet-stream", "https://b.example/a.jpg", None, None),  # unknown bytes contradict nothing
])
def test_contradiction_tells_html_served_as_an_image(mime_type, url, declared, verdict):
    assert contradiction(mime_type, url, declared) == verdict
