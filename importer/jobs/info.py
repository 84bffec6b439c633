"""A plain-text description of what an archive holds, for `wparchive info`."""
import sqlite3
from pathlib import Path

from ..archive import TABLES
from ..archive import read
from ..archive.migrations import LATEST, refuse_newer
from ..archive.session import read_only_uri
from ..archive.shape import check_shape
from ..errors import InputError


def describe(db_path) -> str:
    if not Path(db_path).exists():
        raise InputError(str(db_path), "no archive here; run `wparchive import` first")
    conn = sqlite3.connect(read_only_uri(Path(db_path)), uri=True)  # reads only: works on a read-only disk
    try:
        if refuse_newer(conn, str(db_path)) == LATEST:  # an older archive gets its columns at its next write
            check_shape(conn, str(db_path))
        lines = [f"{db_path}"]
        for site in read.site_summaries(conn):
            lines.append(f"site {site['id']}: {site['title'] or '(untitled)'} <{site['url']}>  "
                         + ", ".join(_counted(n, t) for t, n in site["counts"].items()))
        lines.append("rows: " + ", ".join(f"{t} {n}" for t, n in read.table_counts(conn, TABLES).items()))
        for run_id, source_file, status, finished in read.last_imports(conn):
            lines.append(f"import run {run_id}: {status} {finished or ''} {source_file}")
        problems = read.problem_count(conn)
        if problems:
            lines.append(f"import problems recorded: {problems}")
        return "\n".join(lines)
    finally:
        conn.close()


def _counted(n: int, table: str) -> str:
    """'1 author', '2 authors'."""
    return f"{n} {table[:-1] if n == 1 else table}"
