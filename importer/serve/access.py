"""What differs between Datasette 0.65 and 1.0 for pages of our own: permission checks and the
Jinja environment the templates are loaded into."""
from pathlib import Path

from jinja2 import FileSystemLoader

TEMPLATES = Path(__file__).parent / "templates"


def environment(datasette):
    return datasette.get_jinja_environment() if hasattr(datasette, "get_jinja_environment") else datasette.jinja_env


def add_templates(datasette) -> None:
    """Let Datasette's Jinja find the reader's templates (plugins found by module, as this one is,
    get no templates folder of their own); the loader is added once."""
    loader = environment(datasette).loader
    if not any(getattr(each, "searchpath", None) == [str(TEMPLATES)] for each in loader.loaders):
        loader.loaders.append(FileSystemLoader(str(TEMPLATES)))


async def ensure_can_read(datasette, actor, database: str, table: str) -> None:
    """Raise Datasette's Forbidden unless the actor may view the table (and so its database)."""
    if hasattr(datasette, "ensure_permission"):
        from datasette.resources import TableResource
        await datasette.ensure_permission(action="view-table", resource=TableResource(database, table), actor=actor)
    else:
        await datasette.ensure_permissions(actor, [("view-table", (database, table)), ("view-database", database),
                                                   "view-instance"])
