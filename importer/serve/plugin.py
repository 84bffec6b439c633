"""Datasette plugin: shows post and comment HTML rendered, but sanitised, and can hide what
commenters did not publish (serve/private.py).

Archived HTML comes from strangers (comments) and from the web (scraped pages). nh3 (the Rust
ammonia sanitiser) removes scripts, event handlers, styles and anything that would load remote
content when the page is viewed: images, frames, media and embeds.
"""
import nh3
from datasette import hookimpl
from markupsafe import Markup

from .private import HIDE_SETTING, hide_private_columns

HTML_COLUMNS = {("posts", "content"), ("comments", "content"), ("post_versions", "content"),
                ("comment_versions", "content"), (None, "content")}
REMOTE = {"img", "picture", "video", "audio", "source", "track", "iframe", "embed", "object", "map", "area"}
TAGS = (nh3.ALLOWED_TAGS - REMOTE) | {"figure", "figcaption"}


def sanitised(html: str) -> str:
    return nh3.clean(html, tags=TAGS, link_rel="noopener noreferrer nofollow ugc",
                     url_schemes={"http", "https", "mailto"})


@hookimpl
def render_cell(value, column, table):
    if (table, column) in HTML_COLUMNS and isinstance(value, str) and ("<" in value or "&" in value):
        return Markup(f'<div class="wparchive-html">{sanitised(value)}</div>')
    return None


@hookimpl
def prepare_connection(conn, datasette):
    if (datasette.plugin_config("wparchive") or {}).get(HIDE_SETTING):
        conn.set_authorizer(hide_private_columns)
