"""Compressed inputs that expand past reason, zips that lie about their layout, and cut-off gzip:
refused or kept up to the damage, each with one line naming the file."""
import gzip
import struct
import zipfile
import zlib

import pytest

from conftest import corpus_dir, item, run_import, value, wxr
from importer import connect, import_input
from importer.errors import DamagedInputError, HostileInputError
from importer.inputs import Limits, expand

SMALL = Limits(total=8 << 20, ratio=100, ratio_from=1 << 20)


def big_post(megabytes: int) -> bytes:
    """An export whose one post is `megabytes` of one letter: compresses about a thousand times."""
    return wxr(item(1, content="A" * (megabytes << 20))).encode()


def test_a_gzip_that_expands_past_the_ratio_is_refused_and_the_archive_untouched(archive, tmp_path):
    run_import(archive, _write(tmp_path / "first.xml", wxr(item(5)).encode()))
    bomb = _write(tmp_path / "bomb.xml.gz", gzip.compress(big_post(4)))
    [source] = expand([str(bomb)], SMALL)
    report = import_input(archive, source)
    assert report.status == "failed"
    assert report.error.startswith(f"{bomb}: expands more than 100 times its compressed size")
    assert value(archive, "SELECT count(*) FROM posts") == 1
    assert value(archive, "SELECT count(*) FROM import_runs WHERE source_file = ?", str(bomb)) == 0


def test_past_the_absolute_limit_even_a_modest_ratio_is_refused(archive, tmp_path):
    export = big_post(10)
    path = _write(tmp_path / "large.xml.gz", gzip.compress(export))
    [source] = expand([str(path)], Limits(total=9 << 20, ratio=10 ** 6, ratio_from=0))
    report = import_input(archive, source)
    assert report.status == "failed" and "expands past 9.0 MB" in report.error


def test_small_files_are_not_held_to_the_ratio(archive, tmp_path):
    path = _write(tmp_path / "small.xml.gz", gzip.compress(big_post(0) + b" " * 500_000))
    [report] = run_import(archive, path)
    assert report.status == "imported"


@pytest.mark.parametrize("fraction", [0.25, 0.9])
def test_a_cut_off_gzip_keeps_what_the_same_cut_xml_keeps(tmp_path, fraction):
    export = (corpus_dir() / "wxr" / "theme-unit-test-data.xml").read_bytes()
    compressed = gzip.compress(export)
    cut = compressed[:int(len(compressed) * fraction)]
    readable = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(cut)
    kept, errors = {}, {}
    for name, data in (("cut.xml.gz", cut), ("cut.xml", readable)):
        conn = connect(tmp_path / f"{name}.db")
        [report] = run_import(conn, _write(tmp_path / name, data))
        assert report.status == "damaged", report
        kept[name], errors[name] = value(conn, "SELECT count(*) FROM posts"), report.error
        conn.close()
    assert kept["cut.xml.gz"] == kept["cut.xml"] > 0
    assert "the compressed data ends early" in errors["cut.xml.gz"]


def overlapping_zip(path, entries: int, data: bytes):
    """One deflated member that the central directory lists `entries` times, all at offset 0."""
    deflated = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = deflated.compress(data) + deflated.flush()
    crc, name = zlib.crc32(data), b"export.xml"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), len(data), len(name), 0) + name
    central = b"".join(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(body), len(data),
                                   len(name), 0, 0, 0, 0, 0, 0) + name for _ in range(entries))
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(central), len(local) + len(body), 0)
    return _write(path, local + body + central + end)


def test_zip_members_sharing_bytes_are_refused_before_reading(tmp_path):
    path = overlapping_zip(tmp_path / "overlap.zip", 30, wxr(item(1)).encode())
    with pytest.raises(HostileInputError, match="share bytes"):
        expand([str(path)])


def test_a_zip_whose_members_add_up_past_the_limits_is_refused(tmp_path):
    path = tmp_path / "parts.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive_zip:
        for n in range(3):
            archive_zip.writestr(f"part-{n}.xml", big_post(3))
    with pytest.raises(HostileInputError, match="expands past 8.0 MB"):
        expand([str(path)], SMALL)


def test_a_zip_of_parts_is_one_import_skipped_when_unchanged(archive, tmp_path):
    path = tmp_path / "site.zip"
    with zipfile.ZipFile(path, "w") as archive_zip:
        for n in range(1, 41):
            parent = n + 1 if n < 40 else 0
            archive_zip.writestr(f"site.{n:03}.xml", wxr(item(n, post_type="page", parent=parent)))
    [report] = run_import(archive, path)
    assert report.status == "imported" and len(report.parts) == 40
    assert value(archive, "SELECT count(*) FROM import_runs") == 1
    assert value(archive, "SELECT count(*) FROM posts WHERE parent_id IS NOT NULL") == 39
    [again] = run_import(archive, path)
    assert again.status == "unchanged" and again.run_id == report.run_id
    [forced] = run_import(archive, path, force=True)
    assert forced.status == "imported" and forced.counts["posts"]["unchanged"] == 40


def test_a_member_with_a_bad_crc_is_one_line_of_damage(archive, tmp_path):
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive_zip:
        archive_zip.writestr("export.xml", wxr(item(1), item(2)))
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"<title>") + 7] ^= 0x20
    path.write_bytes(bytes(raw))
    [report] = run_import(archive, path)
    assert report.status == "damaged"
    assert report.error == f"{path}!export.xml: damaged zip member (CRC mismatch)"
    [source] = expand([str(path)])
    with pytest.raises(DamagedInputError, match="CRC mismatch"):
        source.sha256()


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
