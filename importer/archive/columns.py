"""The columns each record fills, in one list per table: row tuples and SQL are built from these.

Fields a record holds as-is come first (read with one attrgetter); columns the archive derives
(the author's row id, plain text for search) follow.
"""
from operator import attrgetter

POST_FIELDS = ("type", "status", "title", "slug", "url", "guid", "date", "date_gmt", "modified", "modified_gmt",
               "author_login", "parent_wp_id", "menu_order", "content", "excerpt", "comment_status",
               "ping_status", "password", "sticky", "attachment_url")
POST_COLUMNS = POST_FIELDS + ("author_id", "content_text")

COMMENT_FIELDS = ("parent_wp_id", "user_wp_id", "author_name", "author_email", "author_url", "author_ip", "date",
                  "date_gmt", "content", "type", "status", "karma", "agent")
COMMENT_COLUMNS = ("post_id",) + COMMENT_FIELDS + ("content_text",)

AUTHOR_COLUMNS = ("wp_id", "login", "display_name", "email", "first_name", "last_name", "url", "nicename")
TERM_COLUMNS = ("wp_id", "name", "description", "parent_slug")
SITE_COLUMNS = ("url", "title", "description", "language", "base_site_url", "wxr_version", "generator")

TABLES = ("sites", "authors", "terms", "posts", "comments", "post_terms", "postmeta", "commentmeta",
          "termmeta")

post_fields = attrgetter(*POST_FIELDS)
comment_fields = attrgetter(*COMMENT_FIELDS)
author_fields = attrgetter(*AUTHOR_COLUMNS)
term_fields = attrgetter(*TERM_COLUMNS)
site_fields = attrgetter(*SITE_COLUMNS)


def values_of(columns: tuple[str, ...], getter, record) -> dict:
    """A record's values by column name, for the single-row statements."""
    return dict(zip(columns, getter(record)))
