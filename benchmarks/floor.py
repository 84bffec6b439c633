"""The least work any importer must do: lxml iterparse pulling item and comment fields, and
executemany into two bare SQLite tables in one transaction (no normalization, no FTS).

    python benchmarks/floor.py EXPORT.xml DB
"""
import sqlite3
import sys

from lxml import etree

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
POST_FIELDS = ("title", CONTENT, WP + "post_id", WP + "post_date_gmt", WP + "status", WP + "post_type",
               WP + "post_name")
COMMENT_FIELDS = tuple(WP + f for f in ("comment_id", "comment_author", "comment_author_email",
                                        "comment_date_gmt", "comment_content", "comment_approved",
                                        "comment_parent"))


def floor(path, db_path):
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("CREATE TABLE posts (title, content, wp_id, date_gmt, status, type, slug)")
    conn.execute("CREATE TABLE comments (post_wp_id, wp_id, author, email, date_gmt, content, approved, parent)")
    conn.execute("BEGIN")
    posts, comments = [], []
    for _, item in etree.iterparse(path, events=("end",), tag="item"):
        values = {child.tag: child.text for child in item}
        posts.append(tuple(values.get(f) for f in POST_FIELDS))
        for c in item.iterfind(WP + "comment"):
            fields = {child.tag: child.text for child in c}
            comments.append((values.get(WP + "post_id"),) + tuple(fields.get(f) for f in COMMENT_FIELDS))
        item.clear()
        while item.getprevious() is not None:
            del item.getparent()[0]
        if len(posts) >= 500:
            conn.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?)", posts)
            conn.executemany("INSERT INTO comments VALUES (?, ?, ?, ?, ?, ?, ?, ?)", comments)
            posts, comments = [], []
    conn.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?)", posts)
    conn.executemany("INSERT INTO comments VALUES (?, ?, ?, ?, ?, ?, ?, ?)", comments)
    conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    floor(sys.argv[1], sys.argv[2])
