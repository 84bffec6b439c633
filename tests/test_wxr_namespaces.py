"""Namespace trickery from the WordPress importer's own test file, record by record."""
from conftest import corpus_dir, rows, run_import


def test_only_wordpress_export_namespaces_count(archive):
    [report] = run_import(archive, corpus_dir() / "wxr" / "importer-namespace-edge-cases.xml")
    assert report.status == "imported"
    assert rows(archive, "SELECT wp_id, title FROM posts ORDER BY wp_id") == [
        (1, "Mixed Namespaces"), (2, "No Prefix"), (3, "Empty Namespace"), (4, "Unicode Namespace"),
        (6, "Namespace Bomb")]
    assert rows(archive, "SELECT login FROM authors ORDER BY login") == [("real_user",), ("version_conflict",)]
    assert rows(archive, "SELECT wp_id, slug FROM terms ORDER BY wp_id") == [(100, "old-version"), (102, "new-version")]
    assert rows(archive, "SELECT key, value FROM postmeta") == [("normal_key", "normal_value")]
    problems = [p for (p,) in rows(archive, "SELECT problem FROM import_problems")]
    assert "<author> in namespace http://example.com/fake/ is not a WordPress export element" in problems
    assert "repeated <post_id> in one item" in problems
    assert "item without wp:post_id, guid or link" in problems
    assert any(p.startswith("namespace URI 'http://ëxämplë.com/") for p in problems)
