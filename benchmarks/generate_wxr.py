"""Write a deterministic WXR export of any size: posts with realistic HTML bodies, threaded comments,
categories, tags and postmeta. Written at run time, never committed.

    python benchmarks/generate_wxr.py OUT.xml --posts 20000 --comments-per-post 10
"""
import argparse
import random

WORDS = ("the of and to in is was for on with as by at from that this it an be are were has have had not but "
         "curlew estuary tide marsh heron wader reed wind river bridge harbour mountain valley forest meadow "
         "bicycle gear climb descent rain storm summer winter morning evening light shadow stone water field "
         "garden kitchen bread flour oven recipe notebook letter story memory history village city road "
         "København Zürich São Paulo naïve café déjà vu Ελλάδα Москва 東京").split()


def sentence(rng, low=6, high=18) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def paragraph(rng) -> str:
    text = " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))
    if rng.random() < 0.3:
        text = text.replace(" the ", ' the <a href="https://example.org/x?a=1&amp;b=2">link</a> ', 1)
    if rng.random() < 0.3:
        text = text.replace(" and ", " <strong>and</strong> ", 1)
    return f"<!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph -->"


def body(rng, paragraphs) -> str:
    parts = [paragraph(rng) for _ in range(paragraphs)]
    if rng.random() < 0.2:
        parts.insert(1, '[caption id="attachment_1" align="alignright" width="300"]<img src="https://example.org/a.jpg" /> A caption[/caption]')
    return "\n\n".join(parts)


def header(out, categories, tags):
    out.write('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
              'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
              'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
              'xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n<title>Generated Blog</title>\n'
              '<link>https://generated.example</link>\n<description>Benchmark data</description>\n'
              '<pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate>\n<language>en</language>\n'
              '<wp:wxr_version>1.2</wp:wxr_version>\n<wp:base_site_url>https://generated.example</wp:base_site_url>\n'
              '<wp:base_blog_url>https://generated.example</wp:base_blog_url>\n')
    for i in range(1, 6):
        out.write(f"<wp:author><wp:author_id>{i}</wp:author_id><wp:author_login><![CDATA[author{i}]]></wp:author_login>"
                  f"<wp:author_email><![CDATA[author{i}@generated.example]]></wp:author_email>"
                  f"<wp:author_display_name><![CDATA[Author {i}]]></wp:author_display_name>"
                  "<wp:author_first_name><![CDATA[]]></wp:author_first_name>"
                  "<wp:author_last_name><![CDATA[]]></wp:author_last_name></wp:author>\n")
    for i in range(categories):
        parent = f"cat-{i // 5}" if i >= 5 else ""
        out.write(f"<wp:category><wp:term_id>{i + 1}</wp:term_id><wp:category_nicename><![CDATA[cat-{i}]]>"
                  f"</wp:category_nicename><wp:category_parent><![CDATA[{parent}]]></wp:category_parent>"
                  f"<wp:cat_name><![CDATA[Category {i}]]></wp:cat_name></wp:category>\n")
    for i in range(tags):
        out.write(f"<wp:tag><wp:term_id>{1000 + i}</wp:term_id><wp:tag_slug><![CDATA[tag-{i}]]></wp:tag_slug>"
                  f"<wp:tag_name><![CDATA[Tag {i}]]></wp:tag_name></wp:tag>\n")


def comment(out, rng, comment_id, parent, day):
    out.write(f"""<wp:comment>
<wp:comment_id>{comment_id}</wp:comment_id>
<wp:comment_author><![CDATA[Reader {rng.randint(1, 5000)}]]></wp:comment_author>
<wp:comment_author_email><![CDATA[reader{rng.randint(1, 5000)}@mail.example]]></wp:comment_author_email>
<wp:comment_author_url>https://reader.example</wp:comment_author_url>
<wp:comment_author_IP><![CDATA[192.0.2.{rng.randint(1, 254)}]]></wp:comment_author_IP>
<wp:comment_date><![CDATA[{day} 12:{rng.randint(10, 59)}:00]]></wp:comment_date>
<wp:comment_date_gmt><![CDATA[{day} 11:{rng.randint(10, 59)}:00]]></wp:comment_date_gmt>
<wp:comment_content><![CDATA[{" ".join(sentence(rng) for _ in range(rng.randint(1, 4)))}]]></wp:comment_content>
<wp:comment_approved><![CDATA[{rng.choice("1111111110")}]]></wp:comment_approved>
<wp:comment_type><![CDATA[comment]]></wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent>
<wp:comment_user_id>0</wp:comment_user_id>
<wp:commentmeta><wp:meta_key><![CDATA[akismet_result]]></wp:meta_key><wp:meta_value><![CDATA[false]]></wp:meta_value></wp:commentmeta>
</wp:comment>
""")


def post(out, rng, post_id, comments, categories, tags, next_comment):
    year, month, day_of = 2010 + post_id % 14, 1 + post_id % 12, 1 + post_id % 28
    day = f"{year}-{month:02d}-{day_of:02d}"
    title = sentence(rng, 3, 8)[:-1]
    slug = f"post-{post_id}"
    out.write(f"""<item>
<title><![CDATA[{title}]]></title>
<link>https://generated.example/{year}/{month:02d}/{slug}/</link>
<pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate>
<dc:creator><![CDATA[author{1 + post_id % 5}]]></dc:creator>
<guid isPermaLink="false">https://generated.example/?p={post_id}</guid>
<description></description>
<content:encoded><![CDATA[{body(rng, rng.randint(4, 12))}]]></content:encoded>
<excerpt:encoded><![CDATA[{sentence(rng) if rng.random() < 0.3 else ""}]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id>
<wp:post_date><![CDATA[{day} 10:00:00]]></wp:post_date>
<wp:post_date_gmt><![CDATA[{day} 09:00:00]]></wp:post_date_gmt>
<wp:post_modified><![CDATA[{day} 10:30:00]]></wp:post_modified>
<wp:post_modified_gmt><![CDATA[{day} 09:30:00]]></wp:post_modified_gmt>
<wp:comment_status><![CDATA[open]]></wp:comment_status>
<wp:ping_status><![CDATA[open]]></wp:ping_status>
<wp:post_name><![CDATA[{slug}]]></wp:post_name>
<wp:status><![CDATA[{rng.choice(["publish"] * 9 + ["draft"])}]]></wp:status>
<wp:post_parent>0</wp:post_parent>
<wp:menu_order>0</wp:menu_order>
<wp:post_type><![CDATA[post]]></wp:post_type>
<wp:post_password><![CDATA[]]></wp:post_password>
<wp:is_sticky>0</wp:is_sticky>
<category domain="category" nicename="cat-{rng.randrange(categories)}"><![CDATA[Category]]></category>
<category domain="post_tag" nicename="tag-{rng.randrange(tags)}"><![CDATA[Tag]]></category>
<category domain="post_tag" nicename="tag-{rng.randrange(tags)}"><![CDATA[Tag]]></category>
<wp:postmeta><wp:meta_key><![CDATA[_edit_last]]></wp:meta_key><wp:meta_value><![CDATA[1]]></wp:meta_value></wp:postmeta>
<wp:postmeta><wp:meta_key><![CDATA[_yoast_wpseo_metadesc]]></wp:meta_key><wp:meta_value><![CDATA[{sentence(rng)}]]></wp:meta_value></wp:postmeta>
<wp:postmeta><wp:meta_key><![CDATA[_wp_page_template]]></wp:meta_key><wp:meta_value><![CDATA[a:2:{{s:4:"file";s:7:"default";s:5:"width";i:{rng.randint(100, 999)};}}]]></wp:meta_value></wp:postmeta>
""")
    first = next_comment
    for n in range(comments):
        parent = 0 if n == 0 or rng.random() < 0.5 else rng.randrange(first, next_comment)
        comment(out, rng, next_comment, parent, day)
        next_comment += 1
    out.write("</item>\n")
    return next_comment


def generate(path, posts, comments_per_post, seed=42, categories=50, tags=400):
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        header(out, categories, tags)
        next_comment = 1
        for post_id in range(1, posts + 1):
            next_comment = post(out, rng, post_id, comments_per_post, categories, tags, next_comment)
        out.write("</channel>\n</rss>\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--comments-per-post", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    generate(args.out, args.posts, args.comments_per_post, args.seed)


if __name__ == "__main__":
    main()
