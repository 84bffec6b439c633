"""The media run end to end against a small local server: what is recorded and fetched, what a
re-run asks again (nothing held, gone files only with --refresh, passing failures after their
wait), --uploads with no network, and the command's output and exit status."""
import hashlib
import io
import json
import mimetypes

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import comment, item, rows, run_import, value, wxr
from local_servers import QuietHandler, serving

from importer.archive import connect
from importer.cli import cli
from importer.jobs.media import MediaOptions, archive_media, uploaded_path


def png(colour, size=(4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


PHOTO, THUMB, OTHER = png("red", (8, 6)), png("blue"), png("green")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Site:
    """What the stand-in blog serves, and every request it was sent."""

    def __init__(self):
        self.files = {"/wp-content/uploads/2020/01/photo.jpg": PHOTO,
                      "/wp-content/uploads/2020/01/photo-150x150.jpg": THUMB,
                      "/wp-content/uploads/2020/01/copy-of-thumb.jpg": THUMB,  # the same bytes, another URL
                      "/wp-content/uploads/2020/01/report.pdf": PDF,
                      "/wp-content/uploads/2020/01/other.png": OTHER}
        self.pages = {"/wp-content/uploads/2020/01/page.png": b"<!DOCTYPE html><html><body>Not found</body></html>"}
        self.down = {"/wp-content/uploads/2020/01/flaky.png"}  # 503 until taken out
        self.requests = []
        self.rest_media = []

    def handler(self):
        site = self

        class Handler(QuietHandler):
            def do_GET(self):
                site.requests.append((self.path, self.headers.get("If-None-Match")))
                if self.path.startswith("/wp-json/wp/v2/media?"):
                    return self.send(200, json.dumps(site.rest_media).encode(), [("Content-Type", "application/json")])
                body = site.files.get(self.path)
                if self.path in site.down:
                    return self.send(503, b"busy")
                if self.path in site.pages:
                    return self.send(200, site.pages[self.path], [("Content-Type", "text/html")])
                if body is None:
                    return self.send(404, b"no")
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self.send(304, b"")
                self.send(200, body, [("ETag", etag), ("Content-Type", mimetypes.guess_type(self.path)[0])])
        return Handler

    def asked(self, path) -> int:
        return sum(1 for asked, _ in self.requests if asked == path)


@pytest.fixture
def site():
    blog = Site()
    with serving(blog.handler()) as base:
        blog.base = base
        blog.other = base.replace("127.0.0.1", "localhost")
        yield blog


def metadata(file, sizes):
    inner = "".join(f's:{len(name)}:"{name}";a:1:{{s:4:"file";s:{len(f)}:"{f}";}}' for name, f in sizes.items())
    return f'a:2:{{s:4:"file";s:{len(file)}:"{file}";s:5:"sizes";a:{len(sizes)}:{{{inner}}}}}'


def export(base, other, broken=False) -> str:
    uploads = f"{base}/wp-content/uploads/2020/01"
    meta = 'a:2:{s:4:"file";garbage' if broken else metadata("2020/01/photo.jpg", {"thumbnail": "photo-150x150.jpg"})
    attachment = item(10, "Photo", "", post_type="attachment", status="inherit", parent=1, extra=(
        f"<wp:attachment_url>{uploads}/photo.jpg</wp:attachment_url>"
        f"<wp:postmeta><wp:meta_key>_wp_attachment_metadata</wp:meta_key>"
        f"<wp:meta_value><![CDATA[{meta}]]></wp:meta_value></wp:postmeta>"))
    content = (f'<img src="{uploads}/photo-150x150.jpg" srcset="{uploads}/photo-150x150.jpg 150w, '
               f'{uploads}/photo.jpg 800w"> <a href="/wp-content/uploads/2020/01/report.pdf">report</a> '
               f'<img src="{uploads}/missing.png"> <img src="{uploads}/flaky.png"> <img src="{uploads}/page.png"> '
               f'<img src="{other}/wp-content/uploads/2020/01/other.png">')
    post = item(1, "Hello", content, extra=comment(5, content=f'<img src="{uploads}/copy-of-thumb.jpg">'))
    return wxr(attachment, post).replace("http://fixture.example", base)


@pytest.fixture
def imported(site, db_path, write_wxr):
    conn = connect(db_path)
    run_import(conn, write_wxr(export(site.base, site.other)))
    yield conn
    conn.close()


def run(conn, db_path, site, **options):
    site_id, url = conn.execute("SELECT id, url FROM sites").fetchone()
    return archive_media(conn, db_path, site_id, url, MediaOptions(delay=0, sleep=lambda seconds: None, **options))


def statuses(conn) -> dict:
    return {url.rsplit("/", 1)[1]: (status, http_status) for url, status, http_status in
            rows(conn, "SELECT url, status, http_status FROM media_urls")}


def test_a_run_records_every_use_and_fetches_the_allowed_files(imported, db_path, site):
    report = run(imported, db_path, site)
    assert statuses(imported) == {
        "photo.jpg": ("fetched", 200), "photo-150x150.jpg": ("fetched", 200), "copy-of-thumb.jpg": ("fetched", 200),
        "report.pdf": ("fetched", 200), "missing.png": ("failed", 404), "flaky.png": ("failed", 503),
        "page.png": ("failed", 200), "other.png": ("pending", None)}
    assert (report.fetched, report.failed, report.other_hosts, report.had) == (4, 3, 1, 0)
    assert report.bytes == len(PHOTO) + 2 * len(THUMB) + len(PDF)
    kinds = rows(imported, "SELECT u.url, m.kind, m.post_id IS NOT NULL, m.comment_id IS NOT NULL FROM media_uses m "
                           "JOIN media_urls u ON u.id = m.url_id WHERE u.url LIKE '%photo%' OR u.url LIKE '%copy%' "
                           "ORDER BY 1, 2")
    assert [(url.rsplit("/", 1)[1], kind, by_comment) for url, kind, _, by_comment in kinds] == [
        ("copy-of-thumb.jpg", "img", 1), ("photo-150x150.jpg", "img", 0), ("photo-150x150.jpg", "size", 0),
        ("photo-150x150.jpg", "srcset", 0), ("photo.jpg", "attachment", 0), ("photo.jpg", "srcset", 0)]
    assert site.asked("/wp-content/uploads/2020/01/other.png") == 0


def test_the_same_bytes_under_two_urls_are_one_file_on_disk(imported, db_path, site):
    run(imported, db_path, site)
    files = rows(imported, "SELECT sha256, bytes, mime_type, width, height, path FROM media_files ORDER BY bytes")
    assert len(files) == 3  # photo, thumb (twice), pdf
    for sha256, size, mime_type, width, height, path in files:
        stored = (db_path.parent / path).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == sha256 and len(stored) == size
    assert {(f[2], f[3], f[4]) for f in files} == {("image/png", 8, 6), ("image/png", 4, 3),
                                                   ("application/pdf", None, None)}
    assert value(imported, "SELECT count(DISTINCT file_id) FROM media_urls WHERE url LIKE '%thumb%' "
                           "OR url LIKE '%150x150%'") == 1
    assert not list((db_path.parent / "archive.media").glob(".incoming-*"))


def test_an_error_page_served_for_an_image_is_not_kept(imported, db_path, site):
    run(imported, db_path, site)
    error = value(imported, "SELECT last_error FROM media_urls WHERE url LIKE '%page.png'")
    assert "text/html" in error
    assert value(imported, "SELECT count(*) FROM media_files WHERE mime_type = 'text/html'") == 0


def test_a_rerun_asks_only_for_what_is_missing(imported, db_path, site):
    run(imported, db_path, site)
    site.requests.clear()
    again = run(imported, db_path, site)
    assert site.requests == []  # held files, a 404, a failure still within its wait: nothing to ask
    assert (again.fetched, again.had, again.failed, again.new) == (0, 4, 0, 0)


def test_a_passing_failure_is_tried_again_once_its_wait_is_over(imported, db_path, site):
    run(imported, db_path, site)
    site.down.clear()
    site.files["/wp-content/uploads/2020/01/flaky.png"] = OTHER
    imported.execute("UPDATE media_urls SET fetched_at = '2000-01-01 00:00:00' WHERE status = 'failed'")
    site.requests.clear()
    again = run(imported, db_path, site)
    assert [path for path, _ in site.requests if not path.endswith("robots.txt")] == [
        "/wp-content/uploads/2020/01/flaky.png", "/wp-content/uploads/2020/01/page.png"]  # not the 404
    assert statuses(imported)["flaky.png"] == ("fetched", 200)
    assert value(imported, "SELECT attempts FROM media_urls WHERE url LIKE '%flaky.png'") == 2
    assert again.fetched == 1


def test_refresh_revalidates_held_files_and_asks_gone_ones_again(imported, db_path, site):
    run(imported, db_path, site)
    site.files["/wp-content/uploads/2020/01/missing.png"] = OTHER
    site.requests.clear()
    again = run(imported, db_path, site, refresh=True)
    photo = [etag for path, etag in site.requests if path.endswith("/photo.jpg")]
    assert photo and photo[0] is not None  # a conditional GET
    assert again.unchanged == 4 and statuses(imported)["missing.png"] == ("fetched", 200)
    assert statuses(imported)["photo.jpg"] == ("fetched", 304)


def test_other_hosts_are_fetched_when_named(imported, db_path, site):
    run(imported, db_path, site)
    host = site.other.split("//")[1]
    again = run(imported, db_path, site, hosts=(host,))
    assert statuses(imported)["other.png"] == ("fetched", 200) and again.fetched == 1


def test_broken_metadata_is_a_problem_and_the_run_goes_on(site, db_path, write_wxr):
    conn = connect(db_path)
    run_import(conn, write_wxr(export(site.base, site.other, broken=True)))
    report = run(conn, db_path, site)
    assert report.problems == 1 and report.fetched == 4
    problem = value(conn, "SELECT problem FROM import_problems p JOIN import_runs r ON r.id = p.run_id "
                          "WHERE r.source_file LIKE 'media %'")
    assert problem.startswith("_wp_attachment_metadata: not a PHP-serialized array")
    conn.close()


def test_uploads_folder_with_no_network(site, db_path, write_wxr, tmp_path):
    uploads = tmp_path / "uploads" / "2020" / "01"
    uploads.mkdir(parents=True)
    (uploads / "photo.jpg").write_bytes(PHOTO)
    (uploads / "report.pdf").write_bytes(PDF)
    conn = connect(db_path)
    run_import(conn, write_wxr(export(site.base, site.other)))
    report = run(conn, db_path, site, uploads=tmp_path / "uploads")
    assert site.requests == []
    assert (report.fetched, report.failed, report.requests) == (2, 0, 0)
    assert statuses(conn)["photo.jpg"] == ("fetched", None) and statuses(conn)["missing.png"] == ("pending", None)
    conn.close()


def test_uploads_gives_the_sizes_beside_an_attachment_with_no_metadata(db_path, write_wxr, tmp_path):
    """A site archived through REST (no _wp_attachment_metadata) read offline: the sizes
    WordPress wrote beside the file are found on the disk, as media_details would name them."""
    uploads = tmp_path / "uploads" / "2020" / "01"
    uploads.mkdir(parents=True)
    for name, body in [("big photo-scaled.jpg", PHOTO), ("big photo.jpg", OTHER), ("big photo-300x200.jpg", THUMB),
                       ("big photo-1024x683.jpg", png("white")), ("big photo-300x200.png", PDF),
                       ("big photo-copy.jpg", PDF), ("other-300x200.jpg", PDF)]:
        (uploads / name).write_bytes(body)
    attachment = item(10, "Photo", "", post_type="attachment", status="inherit", extra=(
        "<wp:attachment_url>http://fixture.example/wp-content/uploads/2020/01/big%20photo-scaled.jpg</wp:attachment_url>"))
    conn = connect(db_path)
    run_import(conn, write_wxr(wxr(attachment)))
    site_id, url = conn.execute("SELECT id, url FROM sites").fetchone()
    report = archive_media(conn, db_path, site_id, url, MediaOptions(uploads=tmp_path / "uploads"))
    kinds = dict(rows(conn, "SELECT u.url, s.kind FROM media_uses s JOIN media_urls u ON u.id = s.url_id"))
    assert {link.rsplit("/", 1)[1]: kind for link, kind in kinds.items()} == {
        "big%20photo-scaled.jpg": "attachment", "big%20photo.jpg": "original",
        "big%20photo-300x200.jpg": "size", "big%20photo-1024x683.jpg": "size"}
    assert (report.fetched, report.not_local, report.requests) == (4, 0, 0)
    conn.close()


def test_an_uploads_path_never_leaves_the_folder(tmp_path):
    assert uploaded_path(tmp_path, "http://b.example/wp-content/uploads/2020/01/a%20b.jpg") == tmp_path / "2020/01/a b.jpg"
    assert uploaded_path(tmp_path, "http://b.example/wp-content/uploads/../../etc/passwd") is None
    assert uploaded_path(tmp_path, "http://b.example/wp-content/uploads/%2e%2e/x") is None
    assert uploaded_path(tmp_path, "http://b.example/images/a.jpg") is None


def test_the_command_summary_and_exit_status(imported, site, db_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["media", "--db", str(db_path), "--delay", "0", "--allow-private"])
    assert result.exit_code == 1  # some files failed
    assert "4 fetched" in result.stdout and "3 failed" in result.stdout
    assert "1 on other hosts not fetched (--hosts)" in result.stdout
    assert f"failed: {site.base}/wp-content/uploads/2020/01/missing.png: HTTP 404" in result.stderr
    assert "\r" not in result.stderr  # no progress line where there is no terminal
    again = runner.invoke(cli, ["media", "--db", str(db_path), "--delay", "0", "--allow-private"])
    assert again.exit_code == 0 and "0 fetched (0.0 MB), 4 already had, 0 failed" in again.stdout


def test_import_with_media_fetches_after_the_text_is_committed(site, db_path, write_wxr):
    attachment = item(10, "Photo", "", post_type="attachment", status="inherit", extra=(
        "<wp:attachment_url>http://fixture.example/wp-content/uploads/2020/01/photo.jpg</wp:attachment_url>"))
    export_file = write_wxr(wxr(attachment).replace("http://fixture.example", site.base))
    result = CliRunner().invoke(cli, ["import", "--db", str(db_path), str(export_file), "--media", "--allow-private"])
    assert result.exit_code == 0, result.output
    assert "1 fetched" in result.stdout and "0 failed" in result.stdout
    conn = connect(db_path)
    assert value(conn, "SELECT count(*) FROM posts") == 1
    assert statuses(conn) == {"photo.jpg": ("fetched", 200)}
    conn.close()


def test_the_command_could_not_run(tmp_path):
    result = CliRunner().invoke(cli, ["media", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no archive here" in result.stderr


def test_private_addresses_are_refused_unless_allowed(site, db_path, write_wxr):
    run_import(connect(db_path), write_wxr(export(site.base, site.other)))
    result = CliRunner().invoke(cli, ["media", "--db", str(db_path), "--delay", "0", "--quiet"])
    assert result.exit_code == 1 and "--allow-private allows it" in result.stderr and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1  # one line for the host, not one per file
    assert site.requests == []
    conn = connect(db_path)
    assert value(conn, "SELECT count(*) FROM media_urls WHERE status != 'pending' OR attempts > 0") == 0
    conn.close()


def test_a_saved_page_gives_its_og_image(site, db_path, tmp_path):
    page = tmp_path / "hello.html"
    page.write_text(f"""<!DOCTYPE html><html><head><link rel="canonical" href="{site.base}/2020/01/hello/">
<meta property="og:image" content="/wp-content/uploads/2020/01/photo.jpg"></head>
<body class="single postid-5"><article id="post-5" class="post-5 post"><h1 class="entry-title">Hello</h1>
<div class="entry-content"><p>Text</p></div></article></body></html>""")
    conn = connect(db_path)
    run_import(conn, page)
    report = run(conn, db_path, site)
    assert rows(conn, "SELECT u.url, m.kind FROM media_uses m JOIN media_urls u ON u.id = m.url_id") == [
        (f"{site.base}/wp-content/uploads/2020/01/photo.jpg", "og_image")]
    assert report.fetched == 1
    conn.close()


def test_rest_sizes_are_listed_once_for_a_site_archived_through_rest(imported, db_path, site):
    uploads = f"{site.base}/wp-content/uploads/2020/01"
    site.rest_media = [{"id": 10, "source_url": f"{uploads}/photo.jpg", "media_details": {
        "original_image": "photo-original.jpg",
        "sizes": {"medium": {"source_url": f"{uploads}/photo-300x200.jpg"}, "full": {"source_url": f"{uploads}/photo.jpg"},
                  "odd": "not a size"}}}, {"id": 99, "media_details": None}, "junk"]
    site_id = value(imported, "SELECT id FROM sites")
    imported.executemany("INSERT INTO sync_state (site_id, key, value) VALUES (?, ?, ?)",
                         [(site_id, "via", "rest"), (site_id, "rest_root", f"{site.base}/wp-json/")])
    run(imported, db_path, site)
    sizes = rows(imported, "SELECT u.url, m.kind FROM media_uses m JOIN media_urls u ON u.id = m.url_id "
                           "WHERE m.kind IN ('size', 'original') ORDER BY 1")
    assert sizes == [(f"{uploads}/photo-150x150.jpg", "size"), (f"{uploads}/photo-300x200.jpg", "size"),
                     (f"{uploads}/photo-original.jpg", "original")]
    site.requests.clear()
    run(imported, db_path, site)
    assert not any(path.startswith("/wp-json/") for path, _ in site.requests)  # attachments unchanged: not asked again


def test_progress_counts_files_and_the_bytes_of_a_file_as_it_arrives(imported, db_path, site):
    big = b"%PDF-1.4\n" + bytes(3 << 20)
    site.files["/wp-content/uploads/2020/01/report.pdf"] = big
    seen = []
    site_id, url = imported.execute("SELECT id, url FROM sites").fetchone()
    report = archive_media(imported, db_path, site_id, url, MediaOptions(delay=0, sleep=lambda s: None),
                           progress=lambda files, wanted, count: seen.append((files, wanted, count)))
    assert seen[-1] == (7, 7, report.bytes)
    mid_file = [(a, b) for a, b in zip(seen, seen[1:]) if a[0] == b[0] and a[2] < b[2]]
    assert mid_file  # bytes shown while a file was still arriving, before its count went up
    assert [count for _, _, count in seen] == sorted(count for _, _, count in seen)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_a_run_killed_mid_file_resumes_cleanly(db_path, write_wxr, how):
    """SIGKILL leaves the cut-off transfer's temporary file for the next run to sweep; Ctrl-C
    removes it, says so in one line, exits 130 and records the run as partial."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    files = {f"/wp-content/uploads/f{n}.png": png((n * 40, 0, 0), (n + 2, 2)) for n in range(5)}
    slow, release = "/wp-content/uploads/f2.png", threading.Event()

    class Handler(QuietHandler):
        def do_GET(self):
            body = files.get(self.path)
            if body is None:
                return self.send(404, b"no")
            if self.path == slow and not release.is_set():  # half the file, then nothing until killed
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                release.wait(30)
                return
            self.send(200, body, [("Content-Type", "image/png")])

    with serving(Handler) as base:
        content = "".join(f'<img src="{base}{path}">' for path in files)
        conn = connect(db_path)
        run_import(conn, write_wxr(wxr(item(1, content=content)).replace("http://fixture.example", base)))
        child = subprocess.Popen([sys.executable, "-m", "importer", "media", "--db", str(db_path), "--delay", "0",
                                  "--allow-private", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            folder = db_path.parent / "archive.media"
            for _ in range(600):  # until the third file is arriving
                if value(conn, "SELECT count(*) FROM media_urls WHERE status = 'fetched'") == 2 \
                        and list(folder.glob(".incoming-*")):
                    break
                time.sleep(0.05)
            os.kill(child.pid, getattr(signal, how))
            stderr = child.communicate(timeout=30)[1]
        finally:
            release.set()
        assert value(conn, "SELECT count(*) FROM media_urls WHERE status = 'fetched'") == 2
        if how == "SIGKILL":
            assert list(folder.glob(".incoming-*"))  # the cut-off transfer, never recorded
        else:
            assert child.returncode == 130 and not list(folder.glob(".incoming-*"))
            assert stderr == f"interrupted: {db_path}: the files recorded so far are kept; `wparchive media` " \
                             "again fetches the rest\n"
            assert rows(conn, "SELECT status, error FROM import_runs WHERE source_file LIKE 'media %'") == \
                [("partial", "interrupted")]
        report = archive_media(conn, db_path, value(conn, "SELECT id FROM sites"), base,
                               MediaOptions(delay=0, allow_private=True))
        assert (report.fetched, report.had, report.failed) == (3, 2, 0)
        assert not list(folder.glob(".incoming-*"))
        for sha256, path in rows(conn, "SELECT sha256, path FROM media_files"):
            assert hashlib.sha256((db_path.parent / path).read_bytes()).hexdigest() == sha256
        assert value(conn, "SELECT count(*) FROM media_files") == 5
        conn.close()


def one_line(result, code=2) -> str:
    """A command that could not run: its exit status and its one stderr line, no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_max_bytes_takes_sizes_as_export_does(imported, db_path, site):
    args = ["media", "--db", str(db_path), "--delay", "0", "--allow-private", "--max-bytes"]
    result = CliRunner().invoke(cli, [*args, "0.06KB"])  # 60 bytes: the 45-byte PDF, none of the images
    assert result.exit_code == 1, result.output
    assert statuses(imported)["report.pdf"] == ("fetched", 200)
    assert statuses(imported)["photo.jpg"][0] == "failed"
    for wrong, why in (("0", "must be more than 0"), ("lots", "'lots' is not a size")):
        refused = CliRunner().invoke(cli, [*args, wrong])
        assert refused.exit_code == 2 and f"Invalid value for '--max-bytes': {why}" in refused.stderr


def test_a_site_not_in_the_archive_is_named_with_the_sites_it_has(imported, db_path, site):
    line = one_line(CliRunner().invoke(cli, ["media", "--db", str(db_path), "--site", "http://nope.example/"]))
    assert line == f"error: {db_path}: no site http://nope.example/ in this archive (its sites: {site.base})"


def test_an_archive_with_no_media_says_so(db_path, write_wxr):
    run_import(connect(db_path), write_wxr(wxr(item(1, "Plain", "<p>no files here</p>"))))
    result = CliRunner().invoke(cli, ["media", "--db", str(db_path)])
    assert result.exit_code == 0 and result.stdout == "http://fixture.example: media: none used\n"


def test_an_empty_file_is_not_made_into_an_archive(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert "an empty file, not an archive" in one_line(CliRunner().invoke(cli, ["media", "--db", str(empty)]))
    assert empty.stat().st_size == 0


@pytest.mark.parametrize("offline", [False, True])
def test_a_media_folder_that_cannot_be_made_stops_the_run_in_one_line(imported, db_path, site, tmp_path, offline):
    (tmp_path / f"{db_path.stem}.media").write_text("in the way")
    args = ["--uploads", str(tmp_path)] if offline else ["--allow-private", "--delay", "0"]
    line = one_line(CliRunner().invoke(cli, ["media", "--db", str(db_path), *args]))
    assert line == f"error: {db_path.parent / (db_path.stem + '.media')}: not a folder, and the archive's " \
                   "media files go there; move it away"
    assert site.requests == []


def test_import_media_that_cannot_be_stored_keeps_the_text_and_exits_2(site, db_path, write_wxr):
    (db_path.parent / f"{db_path.stem}.media").write_text("in the way")
    result = CliRunner().invoke(cli, ["import", "--db", str(db_path), str(write_wxr(export(site.base, site.other))),
                                      "--media", "--allow-private", "--quiet"])
    assert result.exit_code == 2 and "not a folder" in one_line(result, 2)
    assert value(connect(db_path), "SELECT count(*) FROM posts") == 2 and site.requests == []


def test_uploads_must_be_a_folder(imported, db_path, tmp_path):
    afile = tmp_path / "uploads.zip"
    afile.write_bytes(b"PK")
    for uploads in (afile, tmp_path / "nowhere"):
        result = CliRunner().invoke(cli, ["media", "--db", str(db_path), "--uploads", str(uploads)])
        assert result.exit_code == 2 and "Invalid value for '--uploads'" in result.stderr
