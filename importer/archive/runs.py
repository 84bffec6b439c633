"""What the archive remembers of its runs: the import report (runs and problems), which inputs
it has read, re-sync runs, and the state a site's next sync starts from."""
import json

from .clock import now_utc

MAX_PROBLEMS = 10_000


def previous_import(conn, sha256: str) -> int | None:
    """The last finished import of exactly these bytes, if any: a damaged file read to its damage
    counts too, so reading it again would only add its problems again."""
    row = conn.execute("SELECT id FROM import_runs WHERE sha256 = ? AND status IN ('ok', 'damaged') "
                       "ORDER BY id DESC LIMIT 1",
                       (sha256,)).fetchone()
    return row[0] if row else None


def imported_size_before(conn, size: int) -> bool:
    """Whether a finished import had this many bytes: only then is hashing up front worth it."""
    return conn.execute("SELECT 1 FROM import_runs WHERE size = ? AND status IN ('ok', 'damaged') LIMIT 1",
                        (size,)).fetchone() is not None


def start_import_run(conn, source_file: str, sha256: str | None, size: int | None) -> int:
    return conn.execute(
        "INSERT INTO import_runs (source_file, sha256, size, started, status) VALUES (?, ?, ?, ?, 'running')",
        (source_file, sha256, size, now_utc())).lastrowid


def set_run_site(conn, run_id: int, site_id: int):
    conn.execute("UPDATE import_runs SET site_id = ? WHERE id = ?", (site_id, run_id))


def set_run_sha256(conn, run_id: int, sha256: str):
    conn.execute("UPDATE import_runs SET sha256 = ? WHERE id = ?", (sha256, run_id))


def record_problem(conn, run_id: int, source_file: str, problem):
    conn.execute("INSERT INTO import_problems (run_id, file, line, problem, action) VALUES (?, ?, ?, ?, ?)",
                 (run_id, source_file, problem.line, problem.problem, problem.action))


def finish_import_run(conn, run_id: int, source_file: str, status: str, counts: dict, problems: int,
                      error: str | None, requests: int | None):
    """The run's outcome; problems past MAX_PROBLEMS are summed up in one row."""
    if problems > MAX_PROBLEMS:
        conn.execute("INSERT INTO import_problems (run_id, file, problem, action) VALUES (?, ?, ?, ?)",
                     (run_id, source_file, f"{problems - MAX_PROBLEMS} more problems", "not recorded one by one"))
    report = {**counts, "problems": problems, **({"requests": requests} if requests is not None else {})}
    conn.execute("UPDATE import_runs SET finished = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                 (now_utc(), status, json.dumps(report), error, run_id))


def sync_state(conn, site_id: int) -> dict[str, str]:
    """Where the site's next sync starts: its source, REST root, cursors, feed validators."""
    return dict(conn.execute("SELECT key, value FROM sync_state WHERE site_id = ?", (site_id,)))


def save_sync_state(conn, site_id: int, state: dict[str, str]):
    conn.executemany("INSERT INTO sync_state (site_id, key, value) VALUES (?, ?, ?) ON CONFLICT (site_id, key) "
                     "DO UPDATE SET value = excluded.value", [(site_id, k, v) for k, v in state.items()])


def start_sync_run(conn, site_id: int) -> int:
    return conn.execute("INSERT INTO sync_runs (site_id, started) VALUES (?, ?)", (site_id, now_utc())).lastrowid


def finish_sync_run(conn, run_id: int, report, import_run_id: int | None):
    conn.execute("UPDATE sync_runs SET source = ?, finished = ?, requests = ?, added = ?, updated = ?, deleted = ?, "
                 "error = ? , import_run_id = ? WHERE id = ?",
                 (report.source, now_utc(), report.requests, report.added, report.updated, report.deleted,
                  report.error, import_run_id, run_id))
