"""Schema versions: archives from earlier wparchives upgrade in place, newer ones are refused."""
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_import, value
from importer import connect
from importer.archive import migrations
from importer.archive.migrations import LATEST, MIGRATIONS, Migration
from importer.errors import NewerSchemaError

FIXTURE = Path(__file__).parent / "fixtures" / "archive-0.1.0.sql"
SAMPLE = REPO / "samples" / "sample-blog.xml"


def load_fixture(path: Path) -> Path:
    """The archive wparchive 0.1.0 made of the sample (user_version 0, no schema_migrations)."""
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text())
    conn.close()
    return path


def table_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
    conn.close()
    return counts


def some_values(path: Path) -> list:
    conn = sqlite3.connect(path)
    found = [conn.execute("SELECT id, wp_id, title, content, date_gmt FROM posts ORDER BY id").fetchall(),
             conn.execute("SELECT id, post_id, parent_id, author_name, content FROM comments ORDER BY id").fetchall(),
             conn.execute("SELECT id, source_file, sha256, started, counts FROM import_runs ORDER BY id").fetchall(),
             conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'curlew' ORDER BY rowid").fetchall()]
    conn.close()
    return found


def shape(conn) -> dict[tuple[str, str], set[str]]:
    """Every table, index, view and trigger, with a table's columns (their order aside)."""
    objects = conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
    return {(kind, name): {row[1] for row in conn.execute(f"PRAGMA table_info({name})")} if kind == "table" else set()
            for kind, name in objects}


def newer_archive(path: Path) -> Path:
    connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    return path


def test_fixture_is_an_archive_from_before_schema_versions(tmp_path):
    conn = sqlite3.connect(load_fixture(tmp_path / "old.db"))
    assert value(conn, "PRAGMA user_version") == 0
    assert value(conn, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") == 0
    assert value(conn, "SELECT count(*) FROM posts") > 0


def test_a_fresh_archive_gets_the_latest_version_and_lists_every_migration(db_path):
    conn = connect(db_path)
    assert value(conn, "PRAGMA user_version") == LATEST
    assert conn.execute("SELECT id, name FROM schema_migrations ORDER BY id").fetchall() == [
        (migration.number, migration.name) for migration in MIGRATIONS]


def test_an_archive_from_0_1_0_upgrades_in_place_and_keeps_every_row(tmp_path):
    path = load_fixture(tmp_path / "old.db")
    counts, values = table_counts(path), some_values(path)
    conn = connect(path)
    assert value(conn, "PRAGMA user_version") == LATEST
    assert [row[0] for row in conn.execute("SELECT id FROM schema_migrations ORDER BY id")] == [
        migration.number for migration in MIGRATIONS]
    assert shape(conn) == shape(connect(tmp_path / "fresh.db"))
    assert value(conn, "PRAGMA integrity_check") == "ok"
    conn.close()
    after = table_counts(path)
    assert {table: after[table] for table in counts} == counts
    assert after["schema_migrations"] == len(MIGRATIONS)
    assert some_values(path) == values


def test_an_archive_from_before_import_runs_size_gets_the_column(tmp_path):
    path = load_fixture(tmp_path / "older.db")
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE import_runs DROP COLUMN size")
    conn.close()
    counts, values = table_counts(path), some_values(path)
    conn = connect(path)
    assert "size" in {row[1] for row in conn.execute("PRAGMA table_info(import_runs)")}
    assert value(conn, "SELECT count(*) FROM import_runs WHERE size IS NULL") == counts["import_runs"]
    assert value(conn, "PRAGMA user_version") == LATEST
    conn.close()
    assert {table: n for table, n in table_counts(path).items() if table in counts} == counts
    assert some_values(path) == values


def test_an_upgraded_archive_imports_the_sample_again_without_changing_it(tmp_path):
    path = load_fixture(tmp_path / "old.db")
    counts = table_counts(path)
    conn = connect(path)
    [report] = run_import(conn, SAMPLE)
    assert report.status == "unchanged"  # its sha256 is in import_runs already
    [forced] = run_import(conn, SAMPLE, force=True)
    assert forced.error is None
    assert all(row["added"] == row["updated"] == 0 for row in forced.counts.values())
    conn.close()
    after = table_counts(path)
    assert after["import_runs"] == counts["import_runs"] + 1  # the forced run is recorded
    assert {table: n for table, n in after.items() if table in counts and table != "import_runs"} == {
        table: n for table, n in counts.items() if table != "import_runs"}


def test_a_newer_archive_is_refused_and_left_untouched(tmp_path):
    path = newer_archive(tmp_path / "newer.db")
    before = path.read_bytes()
    with pytest.raises(NewerSchemaError) as refused:
        connect(path)
    assert str(refused.value) == (f"{path}: schema version {LATEST + 1} is newer than this wparchive "
                                  f"({LATEST}); upgrade wparchive")
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", [["info"], ["import", str(SAMPLE)]])
def test_the_cli_refuses_a_newer_archive_in_one_line(tmp_path, command):
    newer_archive(tmp_path / "newer.db")
    done = subprocess.run([sys.executable, "-m", "importer", *command, "--db", "newer.db"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [  # the CLI's one-line form of every user error
        f"error: newer.db: schema version {LATEST + 1} is newer than this wparchive ({LATEST}); upgrade wparchive"]


def test_connecting_to_a_current_archive_writes_nothing(db_path, monkeypatch):
    conn = connect(db_path)
    run_import(conn, SAMPLE)
    conn.close()
    before, mtime = db_path.read_bytes(), db_path.stat().st_mtime_ns
    traced = []
    real_connect = sqlite3.connect

    def traced_connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        if str(args[0]) == str(db_path):  # the archive's statements, not the schema check's in-memory copy
            conn.set_trace_callback(traced.append)
        return conn
    monkeypatch.setattr(sqlite3, "connect", traced_connect)
    conn = connect(db_path)
    assert conn.total_changes == 0
    assert traced and all(statement.startswith("PRAGMA ") for statement in traced)
    assert not [statement for statement in traced if "user_version =" in statement]
    conn.close()
    assert db_path.read_bytes() == before
    assert db_path.stat().st_mtime_ns == mtime


def test_a_migration_added_to_the_list_runs_once_and_is_recorded(db_path, monkeypatch):
    connect(db_path).close()
    calls = []

    def add_note(conn):
        calls.append(1)
        conn.execute("ALTER TABLE sites ADD COLUMN note TEXT")
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, Migration(LATEST + 1, "sites_note", add_note)))
    monkeypatch.setattr(migrations, "LATEST", LATEST + 1)
    connect(db_path).close()
    conn = connect(db_path)
    assert calls == [1]
    assert value(conn, "PRAGMA user_version") == LATEST + 1
    assert value(conn, "SELECT name FROM schema_migrations WHERE id = ?", LATEST + 1) == "sites_note"
    assert "note" in {row[1] for row in conn.execute("PRAGMA table_info(sites)")}


def test_a_failing_migration_leaves_the_archive_as_it_was(db_path, monkeypatch):
    connect(db_path).close()
    before = table_counts(db_path)

    def half_done(conn):
        conn.execute("ALTER TABLE sites ADD COLUMN note TEXT")
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, Migration(LATEST + 1, "sites_note", half_done)))
    monkeypatch.setattr(migrations, "LATEST", LATEST + 1)
    with pytest.raises(sqlite3.OperationalError):
        connect(db_path)
    conn = sqlite3.connect(db_path)
    assert value(conn, "PRAGMA user_version") == LATEST
    assert "note" not in {row[1] for row in conn.execute("PRAGMA table_info(sites)")}
    assert table_counts(db_path) == before
