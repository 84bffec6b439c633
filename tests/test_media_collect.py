"""What a site's media is: attachment files, sizes, originals, and what HTML references; which
hosts may serve it; `_wp_attachment_metadata` as real exports carry it (broken ones included)."""
import re

import pytest

from conftest import corpus_dir

from importer.media.collect import (Attachment, Use, attachment_uses, html_uses, is_uploaded_file, srcset_urls,
                                    unscaled_name)
from importer.media.hosts import MediaHosts
from importer.web.download import Fetchers
from importer.media.metadata import BrokenMetadata, attachment_metadata, recounted

SITE = "http://blog.example"
POST_URL = "http://blog.example/2020/01/hello/"


def kinds(uses):
    return sorted((use.kind, use.url) for use in uses)


def test_img_src_and_every_srcset_candidate():
    markup = ('<p><img src="/wp-content/uploads/2020/01/a-300x200.jpg" '
              'srcset="http://blog.example/wp-content/uploads/2020/01/a-300x200.jpg 300w, '
              '/wp-content/uploads/2020/01/a-1024x683.jpg 1024w,/wp-content/uploads/2020/01/a.jpg 2x" alt="A"></p>')
    assert kinds(html_uses(markup, POST_URL, post_id=7)) == [
        ("img", "http://blog.example/wp-content/uploads/2020/01/a-300x200.jpg"),
        ("srcset", "http://blog.example/wp-content/uploads/2020/01/a-1024x683.jpg"),
        ("srcset", "http://blog.example/wp-content/uploads/2020/01/a-300x200.jpg"),
        ("srcset", "http://blog.example/wp-content/uploads/2020/01/a.jpg"),
    ]
    assert {use.post_id for use in html_uses(markup, POST_URL, post_id=7)} == {7}


def test_srcset_candidates_keep_commas_inside_urls():
    srcset = "https://i0.wp.com/blog.example/a.jpg?resize=300,200 300w, https://i0.wp.com/blog.example/a.jpg?w=1024 1024w"
    assert srcset_urls(srcset) == ["https://i0.wp.com/blog.example/a.jpg?resize=300,200",
                                   "https://i0.wp.com/blog.example/a.jpg?w=1024"]


def test_links_to_uploaded_files_but_not_to_pages():
    markup = ('<a href="/wp-content/uploads/2020/01/report.pdf">PDF</a> <a href="/about/">About</a> '
              '<a href="http://blog.example/wp-content/uploads/2020/01/">folder</a> '
              '<a href="https://blog.files.wordpress.com/2020/01/song.mp3">mp3</a> <a href="#top">top</a>')
    assert kinds(html_uses(markup, POST_URL)) == [
        ("link", "http://blog.example/wp-content/uploads/2020/01/report.pdf"),
        ("link", "https://blog.files.wordpress.com/2020/01/song.mp3"),
    ]


def test_audio_video_source_and_poster():
    markup = ('<audio src="/wp-content/uploads/a.mp3"></audio>'
              '<video poster="/wp-content/uploads/p.jpg"><source src="/wp-content/uploads/v.mp4" type="video/mp4">'
              '</video><picture><source srcset="/wp-content/uploads/x.webp"><img src="/wp-content/uploads/x.jpg">'
              '</picture>')
    assert kinds(html_uses(markup, POST_URL)) == [
        ("audio", "http://blog.example/wp-content/uploads/a.mp3"),
        ("img", "http://blog.example/wp-content/uploads/p.jpg"),
        ("img", "http://blog.example/wp-content/uploads/x.jpg"),
        ("srcset", "http://blog.example/wp-content/uploads/x.webp"),
        ("video", "http://blog.example/wp-content/uploads/v.mp4"),
    ]


def test_what_is_no_web_file_is_left_out():
    markup = ('<img src="data:image/png;base64,AAAA"><img src="javascript:alert(1)"><img src="">'
              '<img src="//cdn.example/i.png#frag"><img src="mailto:a@b">')
    assert kinds(html_uses(markup, POST_URL)) == [("img", "http://cdn.example/i.png")]


@pytest.mark.parametrize("markup", [None, "", "plain text, no markup", "<", "<img>", "<img src>", "<<<>>>\x00"])
def test_html_that_holds_nothing_yields_nothing(markup):
    assert list(html_uses(markup, POST_URL)) == []


def test_a_comment_use_names_its_comment():
    uses = list(html_uses('<img src="/wp-content/uploads/c.png">', POST_URL, post_id=3, comment_id=9))
    assert uses == [Use("http://blog.example/wp-content/uploads/c.png", "img", 3, 9)]


def test_attachment_sizes_and_original_from_its_metadata():
    value = ('a:5:{s:5:"width";i:2560;s:6:"height";i:1707;s:4:"file";s:25:"2020/01/photo-scaled.jpg";'
             's:5:"sizes";a:2:{s:6:"medium";a:3:{s:4:"file";s:20:"photo-300x200.jpg";s:5:"width";i:300;'
             's:6:"height";i:200;}s:5:"large";a:3:{s:4:"file";s:21:"photo-1024x683.jpg";s:5:"width";i:1024;'
             's:6:"height";i:683;}}s:14:"original_image";s:9:"photo.jpg";}')
    value = recounted(value)  # the lengths above are written by hand
    metadata = attachment_metadata(value)
    uses = attachment_uses(Attachment(5, "http://blog.example/wp-content/uploads/2020/01/photo-scaled.jpg", metadata))
    assert kinds(uses) == [
        ("attachment", "http://blog.example/wp-content/uploads/2020/01/photo-scaled.jpg"),
        ("original", "http://blog.example/wp-content/uploads/2020/01/photo.jpg"),
        ("size", "http://blog.example/wp-content/uploads/2020/01/photo-1024x683.jpg"),
        ("size", "http://blog.example/wp-content/uploads/2020/01/photo-300x200.jpg"),
    ]


def test_a_scaled_file_without_metadata_still_names_its_original():
    assert unscaled_name("http://b.example/wp-content/uploads/2020/01/big-scaled.jpeg") == "big.jpeg"
    assert unscaled_name("http://b.example/wp-content/uploads/2020/01/big.jpeg") is None
    uses = attachment_uses(Attachment(1, "http://b.example/wp-content/uploads/2020/01/big-scaled.jpeg"))
    assert kinds(uses) == [("attachment", "http://b.example/wp-content/uploads/2020/01/big-scaled.jpeg"),
                           ("original", "http://b.example/wp-content/uploads/2020/01/big.jpeg")]


def test_an_attachment_without_a_url_uses_nothing():
    assert list(attachment_uses(Attachment(1, None))) == []


def test_metadata_whose_string_lengths_a_search_and_replace_broke_is_recounted():
    # as in the corpus (pelican-wordpressexport.xml): 19 characters declared as 20
    value = 'a:2:{s:4:"file";s:20:"2012/02/pelican.png";s:5:"sizes";a:1:{s:5:"thumb";a:1:{s:4:"file";s:15:"pelican-150.png";}}}'
    metadata = attachment_metadata(value)
    assert metadata.repaired and metadata.sizes == ["pelican-150.png"]


@pytest.mark.parametrize("value", ["a:2:{garbage", "s:5:\"hello\";", "O:8:\"stdClass\":0:{}", "i:3;", "x" * 100])
def test_metadata_that_cannot_be_read_is_a_problem_not_a_crash(value):
    with pytest.raises(BrokenMetadata):
        attachment_metadata(value)


def test_size_file_names_that_would_leave_the_folder_are_ignored():
    value = recounted('a:1:{s:5:"sizes";a:2:{s:1:"a";a:1:{s:4:"file";s:1:"../../etc/passwd";}'
                      's:1:"b";a:1:{s:4:"file";s:1:"ok-10x10.png";}}}')
    assert attachment_metadata(value).sizes == ["ok-10x10.png"]


def _corpus_metadata():
    pattern = re.compile(r"<wp:meta_key>(?:<!\[CDATA\[)?_wp_attachment_metadata(?:\]\]>)?</wp:meta_key>\s*"
                         r"<wp:meta_value>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</wp:meta_value>", re.S)
    for path in sorted((corpus_dir() / "wxr").glob("*.xml")):
        for match in pattern.finditer(path.read_text("utf-8", "replace")):
            yield path.name, match.group(1)


def test_every_attachment_metadata_of_the_corpus_reads():
    values = list(_corpus_metadata())
    assert len(values) >= 10
    read = {name: attachment_metadata(value) for name, value in values}
    assert all(metadata is not None for metadata in read.values())
    sizes = [size for name, value in values for size in attachment_metadata(value).sizes]
    assert "IMG_2347-150x150.jpg" in sizes and "200px-Tux.svg_-150x150.png" in sizes
    assert any(attachment_metadata(value).repaired for name, value in values if name == "pelican-wordpressexport.xml")


def test_hosts_the_site_its_www_twin_and_wordpress_com_media_hosts():
    hosts = MediaHosts.of("https://www.blog.example/")
    assert hosts.allows("http://blog.example/wp-content/uploads/a.jpg")
    assert hosts.allows("https://www.blog.example/wp-content/uploads/a.jpg")
    assert hosts.allows("https://i2.wp.com/blog.example/wp-content/uploads/a.jpg?w=300")
    assert not hosts.allows("https://i2.wp.com/other.example/wp-content/uploads/a.jpg")
    assert not hosts.allows("https://i4.wp.com/blog.example/a.jpg")
    assert not hosts.allows("https://cdn.example/a.jpg")
    assert not hosts.allows("http://blog.example:8080/a.jpg")
    wpcom = MediaHosts.of("https://someblog.wordpress.com/")
    assert wpcom.allows("https://someblog.files.wordpress.com/2020/01/a.jpg")
    assert not wpcom.allows("https://otherblog.files.wordpress.com/2020/01/a.jpg")


def test_other_hosts_only_when_named():
    assert not MediaHosts.of("http://127.0.0.1:8769/").allows("http://localhost:8769/wp-content/uploads/a.png")
    named = MediaHosts.of("http://127.0.0.1:8769/", ["localhost:8769", " cdn.example "])
    assert named.allows("http://localhost:8769/wp-content/uploads/a.png")
    assert named.allows("https://cdn.example/a.png")
    assert not named.allows("http://localhost:9999/a.png")


def test_uploaded_files_are_told_from_pages():
    assert is_uploaded_file("http://b.example/wp-content/uploads/2020/01/a.zip")
    assert not is_uploaded_file("http://b.example/wp-content/uploads/index.php")
    assert not is_uploaded_file("http://b.example/2020/01/a-post/")


def test_what_is_collected_from_a_named_host_is_what_the_download_may_fetch():
    hosts = MediaHosts.of("https://blog.example/", ["cdn.example", "img.example:8080"])
    pool = Fetchers(hosts.names)
    for url, allowed in [("http://cdn.example:8080/a.jpg", True), ("https://cdn.example/a.jpg", True),
                         ("http://img.example:8080/a.jpg", True), ("http://img.example/a.jpg", False),
                         ("http://img.example:9090/a.jpg", False), ("https://blog.example/a.jpg", True),
                         ("http://blog.example:8080/a.jpg", False), ("ftp://cdn.example/a.jpg", False),
                         ("https://i1.wp.com/blog.example/a.jpg", True)]:
        assert hosts.allows(url) is allowed, url
        assert pool.allows(url) is allowed, url
