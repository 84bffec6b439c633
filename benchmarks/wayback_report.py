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
from importer.jobs.scrape import scrape  # noqa: E402
from importer.web import Fetcher  # noqa: E402

SETS = {"public posts and pages": "SELECT wp_id FROM posts WHERE status = 'publish' AND type IN ('post', 'page')",
        "approved comments": "SELECT wp_id FROM comments WHERE status = 'approved'",
        "terms": "SELECT taxonomy || ':' || slug FROM terms",
        "authors": "SELECT coalesce(nicename, login) FROM authors"}


def main():
    folder = Path(tempfile.mkdtemp())
    crawls = crawl_between_edits(folder)
    server = CDXServer()
    server.add(*crawls.warcs)
    with server.serve() as base:
        got = connect(folder / "wayback.db")
        report = scrape(got, crawls.url, via="wayback", fetcher=Fetcher(crawls.url, sleep=lambda s: None),
                        wayback={"wayback_url": base})
    want = connect(folder / "export.db")
    import_input(want, expand([str(wordpress_export("wayback", folder / "wp.xml"))])[0])
    for name, sql in SETS.items():
        a, b = {r[0] for r in want.execute(sql)}, {r[0] for r in got.execute(sql.replace(" WHERE status = 'approved'", ""))}
        print(f"{name}: export {len(a)}, recovered {len(b)}, both {len(a & b)}; "
              f"only in export {sorted(a - b)}; only recovered {sorted(b - a)}")
    posts = got.execute("SELECT count(*) FROM posts WHERE wp_id IS NOT NULL").fetchone()[0]
    print(f"requests: {server.requests['cdx']} CDX + {server.requests['capture']} captures "
          f"for {posts} posts: {(server.requests['cdx'] + server.requests['capture']) / max(posts, 1):.1f} per post "
          f"(fetcher counted {report.requests})")
    print(f"versions: {got.execute('SELECT count(*) FROM post_versions').fetchone()[0]} post, "
          f"{got.execute('SELECT count(*) FROM comment_versions').fetchone()[0]} comment; "
          f"captures recorded {got.execute('SELECT count(*) FROM captures').fetchone()[0]}")


if __name__ == "__main__":
    main()
