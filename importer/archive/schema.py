"""The archive's schema as the SQL files in schema/ give it: the single source of truth.

schema/ ships as the package `importer.schema` (see pyproject.toml), so it is read as package
data: the same files from a checkout, an editable install or a wheel.
"""
import re
import sqlite3
from importlib.resources import files


def schema_text(name: str) -> str:
    """One file of schema/ (schema.sql, fts.sql, metadata.json)."""
    return files("importer.schema").joinpath(name).read_text(encoding="utf-8")


def schema_sql() -> str:
    return schema_text("schema.sql") + schema_text("fts.sql")


def statements(script: str):
    """The statements of an SQL script, to run one by one inside an open transaction."""
    pending = ""
    for line in script.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""


def secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE statement) of the non-unique indexes, which a bulk load builds after the rows.
    Partial indexes stay: they hold only the few rows waiting to be resolved."""
    return [(re.search(r"EXISTS (\w+)", statement).group(1), statement)
            for statement in statements(schema_text("schema.sql"))
            if statement.lstrip().startswith("CREATE INDEX") and " WHERE " not in statement]
