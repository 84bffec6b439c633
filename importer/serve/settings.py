"""Datasette settings for an archive, generated from schema/metadata.json.

Datasette 0.65 reads everything from metadata.json; 1.0 moved table settings and canned queries
into a configuration file and keeps metadata for titles and descriptions. Both are written from
the one source, so the archive reads the same under either.
"""
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..archive.schema import schema_text
from ..errors import SetupError
from .private import HIDE_SETTING

TABLE_SETTINGS = ("label_column", "facets", "sort", "sort_desc", "fts_table", "fts_pk", "hidden")


def datasette_major() -> int | None:
    try:
        return int(version("datasette").split(".")[0])
    except PackageNotFoundError:
        return None


def source() -> dict:
    return json.loads(schema_text("metadata.json"))


def settings_for(database: str, major: int, hide_private: bool = False) -> tuple[dict, dict | None]:
    """(metadata, config) for a database of that name; config is None for Datasette before 1.0.
    hide_private has the plugin read commenters' emails, IPs and user agents as NULL."""
    spec = source()
    plugins = {"plugins": {"wparchive": {HIDE_SETTING: True}}} if hide_private else {}
    tables_meta, tables_config = {}, {}
    for table, entry in spec["tables"].items():
        meta = {"description": entry["description"]} if "description" in entry else {}
        if entry.get("columns"):
            meta["columns"] = entry["columns"]
        config = {key: entry[key] for key in TABLE_SETTINGS if key in entry}
        tables_meta[table] = meta
        tables_config[table] = config
    for table in spec.get("hidden", []):
        tables_config.setdefault(table, {})["hidden"] = True
    top = {"title": spec["title"], "description": spec["description"]}
    if major < 1:
        tables = {t: {**tables_meta.get(t, {}), **tables_config.get(t, {})} for t in {*tables_meta, *tables_config}}
        return {**top, **plugins, "databases": {database: {"tables": tables, "queries": spec["queries"]}}}, None
    metadata = {**top, "databases": {database: {"tables": tables_meta}}}
    config = {**plugins, "databases": {database: {"tables": {t: c for t, c in tables_config.items() if c},
                                                  "queries": spec["queries"]}}}
    return metadata, config


def write_settings(db_path, out_dir, major: int | None = None, hide_private: bool = False) -> list[str]:
    """Write metadata.json (and config.json for Datasette 1.0) for the archive; returns the
    Datasette options that load them."""
    major = datasette_major() if major is None else major
    if major is None:
        raise SetupError("datasette", "not installed: pip install -e '.[serve]'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metadata, config = settings_for(Path(db_path).stem, major, hide_private)
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False))
    options = ["--metadata", str(out / "metadata.json")]
    if config is not None:
        (out / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False))
        options += ["--config", str(out / "config.json")]
    return options
