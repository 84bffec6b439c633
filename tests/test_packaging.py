"""The wheel alone makes a working wparchive: schema/ ships inside it as package data."""
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import REPO, run_import
from importer import connect
from importer.archive.migrations import LATEST

SAMPLE = REPO / "samples" / "sample-blog.xml"


def checkout_copy(dest: Path) -> Path:
    """The working tree's files (tracked, and new ones git does not ignore), so the build leaves
    nothing behind in the checkout and sees the code as it is now."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def run(command, **options):
    done = subprocess.run(command, capture_output=True, text=True, **options)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def counts(path) -> dict[str, int]:
    """Rows in every table, and the schema version."""
    conn = sqlite3.connect(path)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
    found["user_version"] = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return found


def test_an_installed_wheel_imports_the_sample(tmp_path):
    source = checkout_copy(tmp_path / "src")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)])
    [wheel] = (tmp_path / "dist").glob("wparchive-*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])  # no system site-packages: nothing from this checkout
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)])

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SAMPLE, elsewhere / "sample-blog.xml")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    installed = run([str(venv / "bin" / "python"), "-c", "import importer.schema; print(importer.schema.__file__)"],
                    cwd=elsewhere, env=env)
    assert Path(installed.strip()).is_relative_to(venv)
    run([str(venv / "bin" / "wparchive"), "import", "sample-blog.xml", "--db", "archive.db", "--quiet"],
        cwd=elsewhere, env=env)

    conn = connect(tmp_path / "expected.db")
    run_import(conn, SAMPLE)
    conn.close()
    expected = counts(tmp_path / "expected.db")
    assert expected["posts"] > 0 and expected["user_version"] == LATEST
    assert counts(elsewhere / "archive.db") == expected
