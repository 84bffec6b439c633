"""A plain-text description of what an archive holds, for `wparchive info`."""
from pathlib import Path

import sqlite_utils

from ..errors import InputError
from ..archive import TABLES


def describe(db_path) -> str:
    if not Path(db_path).exists():
        raise InputError(str(db_path), "no archive here; run `wparchive import` first")
    db = sqlite_utils.Database(db_path)
    lines = [f"{db_path}"]
    for site in db.query("SELECT id, url, url_key, title FROM sites ORDER BY id"):
        counts = {table: db.execute(f"SELECT count(*) FROM {table} WHERE site_id = ?", [site["id"]]).fetchone()[0]
                  for table in ("authors", "terms", "posts", "comments")}
        lines.append(f"site {site['id']}: {site['title'] or '(untitled)'} <{site['url'] or site['url_key']}>  "
                     + ", ".join(f"{n} {t}" for t, n in counts.items()))
    lines.append("rows: " + ", ".join(f"{t} {db[t].count}" for t in TABLES))
    runs = list(db.query("SELECT id, source_file, status, finished FROM import_runs ORDER BY id DESC LIMIT 5"))
    for run in runs:
        lines.append(f"import run {run['id']}: {run['status']} {run['finished'] or ''} {run['source_file']}")
    problems = db["import_problems"].count
    if problems:
        lines.append(f"import problems recorded: {problems}")
    return "\n".join(lines)
