"""The archive's media read offline: the sanitiser pointing HTML at archived copies (no Datasette),
and a real Datasette (0.65 and 1.0) serving the stored bytes by sha256 and rendering posts with them."""
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
import requests

from conftest import comment, item, run_import, wxr
from datasette_server import DATASETTES, png, served
from importer import connect
from importer.serve.sanitise import references, sanitised

UPLOADS = "http://fixture.example/wp-content/uploads/2020/01"
POST = (f'<p><img src="{UPLOADS}/photo.png" srcset="{UPLOADS}/photo.png 640w, {UPLOADS}/photo-300x200.png 300w" '
        f'alt="A photo" width="640"> and <img src="{UPLOADS}/gone.png" alt="Gone picture"></p>'
        f'<p><a href="{UPLOADS}/drawing.svg">the drawing</a>, <a href="https://elsewhere.example/">a page</a></p>')
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="4"/></svg>'


# --- the sanitiser, as the reader's pages call it ------------------------------------------------

def route(url: str) -> str:
    return "/-/wparchive/media/" + hashlib.sha256(url.encode()).hexdigest()


def test_archived_image_and_srcset_point_at_the_archive_and_the_rest_is_dropped():
    held = {f"{UPLOADS}/photo.png": route("photo")}
    html = sanitised(POST, media=held.get)
    assert f'src="{route("photo")}"' in html
    assert f'srcset="{route("photo")} 640w"' in html  # the 300w candidate is not archived
    assert "photo-300x200" not in html


def test_a_srcset_candidate_whose_url_holds_commas_is_matched_whole():
    """i0.wp.com's resized copies (`?resize=300,200`): the media run collects the whole URL, so
    the page must look the whole URL up too, not its pieces at each comma."""
    resized = "https://i0.wp.com/fixture.example/wp-content/uploads/2020/01/photo.png?resize=300,200"
    html = sanitised(f'<img src="{UPLOADS}/photo.png" srcset="{resized} 300w, {UPLOADS}/photo.png 640w" alt="p">',
                     media={resized: route("resized"), f"{UPLOADS}/photo.png": route("photo")}.get)
    assert f'srcset="{route("resized")} 300w, {route("photo")} 640w"' in html


def test_file_not_archived_shows_alt_text_and_original_url_as_a_link():
    html = sanitised(POST)
    assert "[Gone picture]" in html and "[A photo]" in html
    assert f'<a href="{UPLOADS}/gone.png" rel="noopener noreferrer nofollow ugc">{UPLOADS}/gone.png</a>' in html
    assert "<img" not in html


def test_srcset_candidate_stands_in_for_a_src_not_archived():
    html = sanitised(f'<img src="{UPLOADS}/a.png" srcset="{UPLOADS}/a-300.png 300w" alt="a">',
                     media={f"{UPLOADS}/a-300.png": route("a-300")}.get)
    assert f'<img src="{route("a-300")}"' in html


def test_links_to_archived_files_point_at_the_archive_keeping_the_original_as_title():
    html = sanitised(POST, media={f"{UPLOADS}/drawing.svg": route("svg")}.get)
    assert f'href="{route("svg")}" title="{UPLOADS}/drawing.svg"' in html
    assert 'href="https://elsewhere.example/"' in html


def test_audio_and_video_keep_archived_sources_and_poster_and_get_controls():
    html = sanitised(f'<video poster="{UPLOADS}/poster.jpg"><source src="{UPLOADS}/v.webm" type="video/webm">'
                     f'<source src="{UPLOADS}/v.mp4" type="video/mp4"></video><audio src="{UPLOADS}/a.mp3"></audio>',
                     media={f"{UPLOADS}/v.mp4": route("mp4"), f"{UPLOADS}/poster.jpg": route("poster"),
                            f"{UPLOADS}/a.mp3": route("mp3")}.get)
    assert f'<video poster="{route("poster")}" controls=""><source src="{route("mp4")}" type="video/mp4"></video>' in html
    assert f'<audio src="{route("mp3")}" controls=""></audio>' in html
    assert "v.webm" not in html


def test_media_not_archived_become_links_to_every_original():
    html = sanitised(f'<audio><source src="{UPLOADS}/a.mp3"><source src="{UPLOADS}/a.ogg">fallback</audio>')
    assert "<audio" not in html and "[audio]" in html
    assert f'href="{UPLOADS}/a.mp3"' in html and f'href="{UPLOADS}/a.ogg"' in html


def test_picture_keeps_its_image_when_only_the_image_is_archived():
    html = sanitised(f'<picture><source srcset="{UPLOADS}/p.webp"><img src="{UPLOADS}/p.jpg" alt="p"></picture>',
                     media={f"{UPLOADS}/p.jpg": route("jpg")}.get)
    assert f'<picture><img src="{route("jpg")}" alt="p"></picture>' in html


def test_picture_shows_its_archived_source_when_its_image_is_not_archived():
    html = sanitised(f'<picture><source srcset="{UPLOADS}/p.webp 1x, {UPLOADS}/p@2x.webp 2x" type="image/webp">'
                     f'<img src="{UPLOADS}/p.jpg" alt="p"></picture>', media={f"{UPLOADS}/p@2x.webp": route("webp")}.get)
    assert f'<source srcset="{route("webp")} 2x" type="image/webp">' in html
    assert f'<img src="{route("webp")}" alt="p">' in html and "[p]" not in html and UPLOADS not in html


def test_picture_with_nothing_archived_shows_the_images_alt_text_and_url():
    html = sanitised(f'<picture><source srcset="{UPLOADS}/p.webp"><img src="{UPLOADS}/p.jpg" alt="p"></picture>')
    assert "<img" not in html and "<source" not in html
    assert f'[p] <a href="{UPLOADS}/p.jpg"' in html


LOADING = re.compile(r'\b(src|srcset|poster|background|data|action|formaction|xlink:href)\s*=\s*"([^"]*)"', re.I)
HOSTILE = [
    '<noscript><img src="http://e.example/1"></noscript>',
    '<math><mtext><table><mglyph><style><img src="http://e.example/2">',
    '<svg><image href="http://e.example/3"/><use xlink:href="http://e.example/4#x"/></svg>',
    '<img srcset="http://e.example/5 1x, /-/wparchive/media/x 2x">',
    '<img src="/-/wparchive/media/not-handed-out">',
    '<video><source src="http://e.example/6"><track src="http://e.example/7"></video>',
    '<div style="background:url(http://e.example/8)">x</div><table background="http://e.example/9"><tr><td>t',
    '<input type="image" src="http://e.example/10"><object data="http://e.example/11"></object>',
    '<iframe src="http://e.example/12"></iframe><embed src="http://e.example/13"><link rel="stylesheet" href="http://e.example/14">',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>"><img src=//e.example/15><IMG SRC="http://e.example/16">',
    '<?xml encoding="latin-1"?><img src="http://e.example/17">',
    '<p><img src="http://e.example/18" onerror="alert(1)"</p><img/src="http://e.example/19">',
]


@pytest.mark.parametrize("html", HOSTILE)
def test_nothing_loads_but_the_routes_handed_out(html):
    held = {"http://e.example/5": "/-/wparchive/media/five"}
    out = sanitised(html, media=held.get)
    for attribute, value in LOADING.findall(out):
        assert value.startswith("/-/wparchive/media/five"), (attribute, value, out)
    assert "onerror" not in out and "<script" not in out and "<iframe" not in out


def test_references_lists_what_a_page_would_load_or_link():
    assert references(POST) == {f"{UPLOADS}/photo.png", f"{UPLOADS}/photo-300x200.png", f"{UPLOADS}/gone.png",
                                f"{UPLOADS}/drawing.svg", "https://elsewhere.example/"}


# --- a real Datasette ------------------------------------------------------------------------------

def keep(conn, db_path: Path, site_id: int, url: str, data: bytes, mime_type: str) -> str:
    """A file as the media job leaves it: under <stem>.media/<sha[:2]>/<sha>, its rows fetched."""
    sha = hashlib.sha256(data).hexdigest()
    path = f"{db_path.stem}.media/{sha[:2]}/{sha}"
    (db_path.parent / path).parent.mkdir(parents=True, exist_ok=True)
    (db_path.parent / path).write_bytes(data)
    file_id = conn.execute("INSERT INTO media_files (sha256, bytes, mime_type, path, first_seen) VALUES (?, ?, ?, ?, "
                           "'2026-01-01T00:00:00Z')", (sha, len(data), mime_type, path)).lastrowid
    url_id = conn.execute("INSERT INTO media_urls (site_id, url, file_id, status, http_status, attempts) "
                          "VALUES (?, ?, ?, 'fetched', 200, 1)", (site_id, url, file_id)).lastrowid
    return sha, url_id


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media-served")
    path = folder / "archive.db"
    export = folder / "export.xml"
    export.write_text(wxr(item(7, title="Pictures", content=POST, extra=comment(70, content=f'<img src="{UPLOADS}/photo.png">'))))
    conn = connect(path)
    run_import(conn, export)
    conn.close()
    conn = sqlite3.connect(path)
    [(site_id, post_id)] = conn.execute("SELECT site_id, id FROM posts WHERE wp_id = 7").fetchall()
    photo, photo_url = keep(conn, path, site_id, f"{UPLOADS}/photo.png", png(64, 40), "image/png")
    svg, svg_url = keep(conn, path, site_id, f"{UPLOADS}/drawing.svg", SVG, "image/svg+xml")
    gone = conn.execute("INSERT INTO media_urls (site_id, url, status, http_status, attempts, last_error) "
                        f"VALUES (?, '{UPLOADS}/gone.png', 'failed', 404, 1, 'HTTP 404')", (site_id,)).lastrowid
    for url_id, kind in ((photo_url, "img"), (svg_url, "link"), (gone, "img")):
        conn.execute("INSERT INTO media_uses (url_id, post_id, kind) VALUES (?, ?, ?)", (url_id, post_id, kind))
    (folder / "secret.txt").write_text("not media")
    conn.execute("INSERT INTO media_files (sha256, bytes, mime_type, path, first_seen) VALUES (?, 9, 'text/plain', "
                 "'secret.txt', '2026-01-01T00:00:00Z')", ("f" * 64,))
    conn.commit()
    conn.close()
    return path, {"photo": photo, "svg": svg, "post_id": post_id}


@pytest.fixture(scope="module", params=DATASETTES)
def server(request, archive_path):
    with served(request.param, archive_path[0]) as base:
        yield base


def test_served_bytes_are_the_stored_file_with_its_type(server, archive_path):
    path, held = archive_path
    response = requests.get(f"{server}/-/wparchive/media/{held['photo']}", timeout=10)
    assert response.status_code == 200
    assert response.content == (path.parent / f"archive.media/{held['photo'][:2]}/{held['photo']}").read_bytes()
    assert response.headers["content-type"].startswith("image/png")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_archived_svg_cannot_run_script(server, archive_path):
    response = requests.get(f"{server}/-/wparchive/media/{archive_path[1]['svg']}", timeout=10)
    assert response.content == SVG
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy


@pytest.mark.parametrize("tail", ["0" * 64, "f" * 64, "../../archive.db", "F" * 64, "abc"])
def test_unknown_hashes_and_paths_outside_the_media_folder_are_404(server, tail):
    assert requests.get(f"{server}/-/wparchive/media/{tail}", timeout=10).status_code == 404


def test_a_range_request_gets_those_bytes(server, archive_path):
    path, held = archive_path
    stored = (path.parent / f"archive.media/{held['photo'][:2]}/{held['photo']}").read_bytes()
    url = f"{server}/-/wparchive/media/{held['photo']}"
    assert requests.get(url, timeout=10).headers["accept-ranges"] == "bytes"
    for asked, first, last in [("bytes=2-5", 2, 5), ("bytes=10-", 10, len(stored) - 1), ("bytes=-4", len(stored) - 4,
                               len(stored) - 1), (f"bytes=3-{len(stored) * 2}", 3, len(stored) - 1)]:
        response = requests.get(url, headers={"Range": asked}, timeout=10)
        assert response.status_code == 206, asked
        assert response.content == stored[first:last + 1], asked
        assert response.headers["content-range"] == f"bytes {first}-{last}/{len(stored)}"
        assert response.headers["x-content-type-options"] == "nosniff"
    past = requests.get(url, headers={"Range": f"bytes={len(stored)}-"}, timeout=10)
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(stored)}"
    several = requests.get(url, headers={"Range": "bytes=0-1,4-5"}, timeout=10)
    assert several.status_code == 200 and several.content == stored


def test_a_file_held_is_revalidated_with_304(server, archive_path):
    sha = archive_path[1]["photo"]
    response = requests.get(f"{server}/-/wparchive/media/{sha}", headers={"If-None-Match": f'"{sha}"'}, timeout=10)
    assert response.status_code == 304 and not response.content


def test_rendered_post_points_at_the_archive_and_names_what_is_missing(server, archive_path):
    held = archive_path[1]
    page = requests.get(f"{server}/archive/posts/{held['post_id']}", timeout=10).text
    assert f'<img src="/-/wparchive/media/{held["photo"]}"' in page
    assert f'href="/-/wparchive/media/{held["svg"]}"' in page
    assert "[Gone picture]" in page and f'<a href="{UPLOADS}/gone.png"' in page
    assert not re.search(r'(src|srcset)="[^"]*fixture\.example', page)
    images = re.findall(r'<img src="([^"]+)"', page)
    assert images and all(requests.get(server + src, timeout=10).status_code == 200 for src in images)


def test_media_query_lists_a_post_s_files_by_archive_id_and_by_wordpress_id(server, archive_path):
    held = archive_path[1]
    by_id = requests.get(f"{server}/archive/media.json", params={"post_id": held["post_id"], "wp_id": "", "site": "",
                                                                  "_shape": "array"}, timeout=10).json()
    by_wp = requests.get(f"{server}/archive/media.json", params={"post_id": "", "wp_id": 7, "site": "fixture.example",
                                                                  "_shape": "array"}, timeout=10).json()
    assert by_id == by_wp
    assert {(row["url"].rsplit("/", 1)[1], row["status"], row["sha256"]) for row in by_id} == {
        ("photo.png", "fetched", held["photo"]), ("drawing.svg", "fetched", held["svg"]), ("gone.png", "failed", None)}
