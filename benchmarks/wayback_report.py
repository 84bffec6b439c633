"""The dead-blog figures: the test WordPress on 8773 crawled by wget between edits, recovered
through the local CDX server, compared with its own WXR export. Prints which rows match, which
differ, the requests per post recovered and the versions recovered. Run: python3 benchmarks/wayback_report.py"""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from cdx_server import CDXServer  # noqa: E402
from conftest import wordpress_export  # noqa: E402
from wayback_site import crawl_between_edits  # noqa: E402

from importer.archive.connection import connect  # noqa: E402
from importer.inputs import expand  # noqa: E402
from importer.jobs.imports import import_input  # noqa: E402
from importer.jobs.media import MediaOptions, archive_media  # noqa: E402
from importer.jobs.scrape import scrape  # noqa: E402
from importer.web import Fetcher  # noqa: E402

SETS = {"public posts and pages": "SELECT wp_id FROM posts WHERE status = 'publish' AND type IN ('post', 'page')",
        "approved comments": "SELECT wp_id FROM comments WHERE status = 'approved'",
        "terms": "SELECT taxonomy || ':' || slug FROM terms",
        "authors": "SELECT coalesce(nicename, login) FROM authors"}
# why a row of the export is not recovered: what WordPress showed an anonymous visitor, and what was captured
HIDDEN_COMMENTS = ("SELECT c.wp_id FROM comments c JOIN posts p ON p.id = c.post_id "
                   "WHERE coalesce(p.password, '') != ''")


def reasons(want, captured: set[str], name: str, missing: set) -> dict:
    """Each row only the export has, with why a dead-blog recovery cannot have it."""
    if name == "approved comments":
        hidden = {r[0] for r in want.execute(HIDDEN_COMMENTS)}
        return {row: "on a password-protected post: WordPress shows its comments to no visitor" if row in hidden
                else "not on any captured page or feed" for row in missing}
    if name == "public posts and pages":
        urls = dict(want.execute("SELECT wp_id, url FROM posts"))
        return {row: "never captured" if urls.get(row) not in captured else "captured, not recovered"
                for row in missing}
    return {row: "not shown by any capture" for row in missing}


def compare_posts(want, got):
    """Of the posts both have: how many have the same title, date and text (words, whitespace aside)."""
    sql = "SELECT wp_id, title, date_gmt, content_text FROM posts WHERE status = 'publish' AND type IN ('post', 'page')"
    mine = {r[0]: r[1:] for r in got.execute(sql.replace(" WHERE status = 'publish' AND", " WHERE"))}
    fields = ("title", "date_gmt", "text")
    same = dict.fromkeys(fields, 0)
    differ = {f: [] for f in fields}
    for wp_id, *theirs in want.execute(sql):
        if wp_id not in mine:
            continue
        for name, a, b in zip(fields, theirs, mine[wp_id]):
            equal = " ".join((a or "").split()) == " ".join((b or "").split())
            same[name] += equal
            if not equal:
                differ[name].append(wp_id)
    print("posts both have, the same: " + ", ".join(f"{f} {same[f]} (differ: {differ[f] or 'none'})" for f in fields))


def media_from_captures(conn, db_path, url: str, server) -> str:
    """`wparchive media` on the recovered site (its files read from their captures), twice."""
    site_id, = conn.execute("SELECT id FROM sites").fetchone()
    options = MediaOptions(allow_private=True, sleep=lambda s: None)
    before = server.requests.copy()
    first = archive_media(conn, db_path, site_id, url, options)
    asked = server.requests - before
    second = archive_media(conn, db_path, site_id, url, options)
    return (f"media from captures: {first.fetched} fetched ({first.bytes / 1e6:.2f} MB), {first.failed} without a capture; "
            f"{asked['cdx']} CDX + {asked['capture']} captures; a second run: {second.requests} requests")


def main():
    folder = Path(tempfile.mkdtemp())
    crawls = crawl_between_edits(folder)
    server = CDXServer()
    server.add(*crawls.warcs)
    with server.serve() as base:
        got = connect(folder / "wayback.db")
        report = scrape(got, crawls.url, via="wayback", fetcher=Fetcher(crawls.url, sleep=lambda s: None),
                        wayback={"wayback_url": base})
        media = media_from_captures(got, folder / "wayback.db", crawls.url, server)
    want = connect(folder / "export.db")
    import_input(want, expand([str(wordpress_export("wayback", folder / "wp.xml"))])[0])
    captured = {c.original for c in server.captures}
    for name, sql in SETS.items():
        a, b = {r[0] for r in want.execute(sql)}, {r[0] for r in got.execute(sql.replace(" WHERE status = 'approved'", ""))}
        print(f"{name}: export {len(a)}, recovered {len(b)}, both {len(a & b)}; "
              f"only in export {reasons(want, captured, name, a - b) or 'none'}; only recovered {sorted(b - a) or 'none'}")
    print(f"captures in the index: {len(server.captures)} ({len(captured)} URLs)")
    compare_posts(want, got)
    posts = got.execute("SELECT count(*) FROM posts WHERE wp_id IS NOT NULL").fetchone()[0]
    print(f"requests: {server.requests['cdx']} CDX + {server.requests['capture']} captures "
          f"for {posts} posts: {(server.requests['cdx'] + server.requests['capture']) / max(posts, 1):.1f} per post "
          f"(fetcher counted {report.requests})")
    print(media)
    print(f"versions: {got.execute('SELECT count(*) FROM post_versions').fetchone()[0]} post, "
          f"{got.execute('SELECT count(*) FROM comment_versions').fetchone()[0]} comment; "
          f"captures recorded {got.execute('SELECT count(*) FROM captures').fetchone()[0]}")


if __name__ == "__main__":
    main()
