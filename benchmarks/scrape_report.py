"""Scrape the test WordPress instances through each path and compare with the import of their own
WXR exports: requests, seconds, rows per table, and every field that differs (and how often).

    python benchmarks/scrape_report.py        (needs tests/wordpress/start-all.sh)
"""
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from importer import connect, expand, import_input  # noqa: E402
from importer.web.fetcher import Fetcher  # noqa: E402
from importer.jobs.scrape import scrape  # noqa: E402
from importer.text import comparable  # noqa: E402

PATHS = [(8765, "rest", "classic theme, REST at /wp-json/"), (8765, "html", "classic theme, feed+sitemap+pages"),
         (8766, "rest", "block theme, plain permalinks, ?rest_route="), (8766, "html", "block theme, pages"),
         (8767, "auto", "REST off, comment pages, pages")]
POST_FIELDS = ("type", "status", "title", "slug", "url", "date", "date_gmt", "modified_gmt", "parent_wp_id",
               "menu_order", "content_text", "excerpt", "comment_status", "sticky")
COMMENT_FIELDS = ("parent_wp_id", "author_name", "author_url", "date", "date_gmt", "type", "status", "content_text")


def rows(conn, table, fields, where):
    return {r[0]: dict(zip(fields, r[1:])) for r in conn.execute(
        f"SELECT t.wp_id, {', '.join('t.' + f for f in fields)} FROM {table} t {where}")}


def compare(wxr, scraped, rest):
    posts_where = ("WHERE (t.status = 'publish' AND t.type IN ('post', 'page'))"
                   + (" OR t.type = 'attachment'" if rest else ""))
    comments_where = ("JOIN posts p ON p.id = t.post_id WHERE t.status = 'approved' AND p.status = 'publish' "
                      "AND coalesce(p.password, '') = ''")
    report = {}
    for table, fields, where in (("posts", POST_FIELDS, posts_where), ("comments", COMMENT_FIELDS, comments_where)):
        want, got = rows(wxr, table, fields, where), rows(scraped, table, fields, where)
        differ = Counter()
        for wp_id in set(want) & set(got):
            for field in fields:
                a, b = want[wp_id][field], got[wp_id][field]
                if a != b:
                    differ[(field, "same text" if comparable(str(a)) == comparable(str(b)) else
                            "unknown to the scrape" if b is None else "differs")] += 1
        report[table] = (len(want), len(got), len(set(want) - set(got)), len(set(got) - set(want)), differ)
    return report


def main():
    work = Path(tempfile.mkdtemp())
    for port, via, label in PATHS:
        url = f"http://127.0.0.1:{port}/"
        export = work / f"{port}.xml"
        subprocess.run(["php", str(ROOT / "tests/wordpress/export.php"), str(export)], check=True,
                       capture_output=True, env={**os.environ, "WP_LOCAL_PORT": str(port)})
        wxr = connect(work / f"wxr-{port}-{via}.db")
        import_input(wxr, expand([str(export)])[0])
        scraped = connect(work / f"scrape-{port}-{via}.db")
        result = scrape(scraped, url, via=via, fetcher=Fetcher(url, delay=0))
        print(f"\n{url} via {result.via} ({label}): {result.requests} requests, {result.seconds:.2f} s")
        for table, (want, got, missing, extra, differ) in compare(wxr, scraped, result.via == "rest").items():
            print(f"  {table}: export {want} public, scrape {got}; missing {missing}, extra {extra}")
            for (field, kind), count in sorted(differ.items()):
                print(f"    {field}: {count} rows {kind}")
        for table in ("authors", "terms", "post_terms"):
            print(f"  {table}: export {scalar(wxr, table)}, scrape {scalar(scraped, table)}")


def scalar(conn, table):
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


if __name__ == "__main__":
    main()
