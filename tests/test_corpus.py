"""Every real export in the shared corpus imports, or fails, as it deserves; counts are checked
against stats.json and against a plain lxml tree read (not the streaming parser under test)."""
import re
from collections import Counter

import pytest
from lxml import etree

from conftest import corpus_dir, corpus_stats, rows, run_import, value

STATS = corpus_stats() or [{"file": "(corpus missing)"}]
DAMAGED = ("Premature end of data", "Opening and ending tag mismatch")


def expected_outcome(stats) -> str:
    error = stats.get("xml_error") or ""
    if stats.get("wellformed"):
        return "imported"
    if any(marker in error for marker in DAMAGED):
        return "damaged"
    if stats["items"] and stats.get("wxr_version") is None and "dc on creator" in error:
        return "failed"  # a bare <item> fragment, no channel: not an export
    return "imported"  # damage the importer repairs: bare &, undeclared prefix, raw ]]>, bad xmlns IRI


def tree_counts(path):
    """Posts, comments and postmeta as a whole-tree XPath read sees them (duplicated ids merged)."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, huge_tree=True)
    root = etree.parse(str(path), parser).getroot()
    wp = "starts-with(namespace-uri(), 'http') and contains(namespace-uri(), 'wordpress.org/export/1.')"
    posts, comments, meta = {}, set(), {}
    for node in root.iterfind("channel/item"):
        post_id = (node.xpath(f"string(*[local-name()='post_id' and {wp}])").strip()
                   or node.findtext("guid") or node.findtext("link"))
        body = (node.xpath(f"string(*[local-name()='post_type' and {wp}])"), node.findtext("title") or "",
                node.xpath("string(*[local-name()='encoded' and namespace-uri()='http://purl.org/rss/1.0/modules/content/'])"))
        if post_id in posts and posts[post_id] != body:
            post_id = (node.findtext("guid") or node.findtext("link"), body[1])  # a reused id: its own post
        posts.setdefault(post_id, body)
        for c in node.xpath(f"*[local-name()='comment' and {wp}]"):
            comments.add(c.xpath(f"string(*[local-name()='comment_id' and {wp}])").strip())
        keys = Counter()
        first = post_id not in meta
        known = meta.setdefault(post_id, set())
        for m in node.xpath(f"*[local-name()='postmeta' and {wp}]"):
            key = m.xpath(f"string(*[local-name()='meta_key' and {wp}])").strip()
            if first or not any(k == key for k, _ in known):
                known.add((key, keys[key]))
            keys[key] += 1
    return len(posts), len(comments), sum(len(v) for v in meta.values())


@pytest.mark.parametrize("stats", STATS, ids=[s["file"] for s in STATS])
def test_corpus_file(stats, archive):
    path = corpus_dir() / stats["file"]
    [report] = run_import(archive, path)
    assert report.status == expected_outcome(stats), report.error
    if report.status == "failed":
        assert value(archive, "SELECT count(*) FROM posts") == 0
        assert value(archive, "SELECT count(*) FROM import_runs") == 0
        return
    if not stats.get("wellformed"):
        assert report.problems >= 1
        assert value(archive, "SELECT count(*) FROM import_problems WHERE line IS NOT NULL") >= 1
    if report.status == "damaged":
        assert re.search(r":\d+: ", report.error), "the error names the line"
        return
    if len(stats.get("wp_ns", [])) > 1:
        return  # namespace trickery: tests/test_wxr_namespaces.py checks it record by record
    posts, comments, postmeta = tree_counts(path)
    assert value(archive, "SELECT count(*) FROM posts") == posts
    assert value(archive, "SELECT count(*) FROM comments") == comments == stats["comments"]
    assert value(archive, "SELECT count(*) FROM postmeta") == postmeta
    assert value(archive, "SELECT count(*) FROM commentmeta") == stats["commentmeta"]
    if posts == stats["items"]:
        assert dict(rows(archive, "SELECT type, count(*) FROM posts GROUP BY type")) == {
            None if k in ("(none)", "null") else k: v for k, v in stats["post_types"].items()}
        assert value(archive, "SELECT count(*) FROM posts WHERE sticky = 1") == stats["sticky"]
        assert value(archive, "SELECT count(*) FROM posts WHERE password != ''") == stats["password"]
    types = Counter()
    for kind, count in stats["comment_types"].items():
        types["comment" if kind == "(empty)" else kind] += count
    assert Counter(dict(rows(archive, "SELECT type, count(*) FROM comments GROUP BY type"))) == types
    statuses = {"1": "approved", "0": "pending", "(none)": None, "null": None}
    assert dict(rows(archive, "SELECT status, count(*) FROM comments GROUP BY status")) == {
        statuses.get(k, k): v for k, v in stats["comment_approved"].items()}
    assert value(archive, "SELECT count(*) FROM comments WHERE parent_wp_id > 0") == stats["nested_comments"]
    assert value(archive, "SELECT count(*) FROM comments c JOIN comments p ON p.id = c.parent_id "
                          "WHERE p.wp_id != c.parent_wp_id OR p.post_id != c.post_id") == 0
    assert value(archive, "SELECT count(*) FROM authors") >= stats["authors"]


@pytest.mark.parametrize("stats", [s for s in STATS if s.get("wellformed")],
                         ids=[s["file"] for s in STATS if s.get("wellformed")])
def test_corpus_reimport_changes_nothing(stats, archive):
    path = corpus_dir() / stats["file"]
    run_import(archive, path)
    tables = ("sites", "authors", "terms", "posts", "comments", "post_terms", "postmeta", "commentmeta",
              "termmeta", "post_versions", "comment_versions")
    before = {t: rows(archive, f"SELECT * FROM {t} ORDER BY id") for t in tables}
    [report] = run_import(archive, path, force=True)
    assert report.status == "imported"
    assert {t: rows(archive, f"SELECT * FROM {t} ORDER BY id") for t in tables} == before
    assert all(c["added"] == c["updated"] == 0 for c in report.counts.values())
