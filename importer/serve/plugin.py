"""Datasette plugin: shows post and comment HTML rendered, but sanitised (serve/sanitise.py), with
its images and media pointing at the archive's own copies (serve/media.py, which also serves them),
and can hide what commenters did not publish (serve/private.py).
"""
from datasette import hookimpl
from markupsafe import Markup

from .access import add_templates
from .cells import field, search_box, short_cell, table_views
from .media import archived_copies
from .media import routes as media_routes
from .private import HIDE_SETTING, hide_private_columns
from .reader import reader_routes
from .sanitise import sanitised
from .search import search_routes

HTML_COLUMNS = {("posts", "content"), ("comments", "content"), ("post_versions", "content"),
                ("comment_versions", "content"), (None, "content")}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    short = short_cell(row, value, column, table)
    if short is not None:
        return short
    if (table, column) in HTML_COLUMNS and isinstance(value, str) and ("<" in value or "&" in value):
        async def rendered():
            copies = await archived_copies(datasette, database, value, field(row, "site_id"))
            return Markup(f'<div class="wparchive-html">{sanitised(value, copies.get)}</div>')
        return rendered
    return None


@hookimpl
def prepare_connection(conn, datasette):
    if (datasette.plugin_config("wparchive") or {}).get(HIDE_SETTING):
        conn.set_authorizer(hide_private_columns)


@hookimpl
def register_routes():
    return [*reader_routes(), *media_routes(), *search_routes()]


@hookimpl
def startup(datasette):
    add_templates(datasette)


@hookimpl
def extra_template_vars(template, request):
    return search_box(template, request)


@hookimpl
def asgi_wrapper():
    return table_views
