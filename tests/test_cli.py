"""The command line: exit codes, one-line errors, the summary and `info`."""
import subprocess
import sys

from click.testing import CliRunner

from conftest import item, wxr
from importer.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


def test_import_prints_summary_and_info_describes(tmp_path, write_wxr):
    path, db = write_wxr(wxr(item(1), item(2))), tmp_path / "a.db"
    result = invoke("import", path, "--db", db)
    assert result.exit_code == 0, result.output
    assert "posts                  2         0          0" in result.output
    again = invoke("import", path, "--db", db)
    assert "unchanged since import run 1, skipped" in again.output
    info = invoke("info", "--db", db)
    assert "site 1: Fixture Blog <http://fixture.example>  1 author, 0 terms, 2 posts, 0 comments" in info.output


def test_bad_input_is_one_line_and_non_zero(tmp_path, write_wxr):
    db = tmp_path / "a.db"
    result = invoke("import", write_wxr(b"not xml at all", "junk.xml"), "--db", db)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "junk.xml:1: not XML" in errors[0]
    missing = invoke("import", tmp_path / "nope.xml", "--db", db)
    assert missing.exit_code == 1 and "nope.xml: no such file or directory" in missing.output
    assert "Traceback" not in result.output + missing.output


def test_quiet_prints_nothing_on_success(tmp_path, write_wxr):
    result = invoke("import", write_wxr(wxr(item(1))), "--db", tmp_path / "a.db", "--quiet")
    assert result.exit_code == 0 and result.output == ""


def test_python_dash_m_is_the_same_command(tmp_path, write_wxr):
    db = tmp_path / "a.db"
    done = subprocess.run([sys.executable, "-m", "importer", "import", str(write_wxr(wxr(item(1)))), "--db", str(db)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "imported" in done.stdout


def test_errors_are_printed_once_by_the_group(tmp_path, write_wxr):
    """In-process too (click's runner): a WparchiveError from any command is one `error:` line."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not an archive")
    for args in (["import", write_wxr(wxr(item(1))), "--db", notes], ["info", "--db", notes],
                 ["discover", "myblog.example"]):
        result = invoke(*args)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert [line for line in result.output.splitlines() if line] == [
            line for line in result.output.splitlines() if line.startswith("error: ")], result.output
    assert invoke("sync", "--db", notes).exit_code == 2
