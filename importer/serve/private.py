"""What commenters gave WordPress but did not publish: their e-mail, IP address and browser.

Datasette's permissions cannot hide a column, and custom SQL could read it anyway, so the
plugin installs this SQLite authorizer on every connection when its configuration says
{"wparchive": {HIDE_SETTING: true}}: a read of a private column answers SQLITE_IGNORE, which
SQLite turns into NULL in table views, canned queries and custom SQL alike.
"""
import ipaddress
import sqlite3

PRIVATE_COLUMNS = frozenset({("comments", "author_email"), ("comments", "author_ip"), ("comments", "agent"),
                             ("authors", "email")})
HIDE_SETTING = "hide_private_columns"


def hide_private_columns(action, table, column, _schema, _trigger) -> int:
    if action == sqlite3.SQLITE_READ and table and column and (table.lower(), column.lower()) in PRIVATE_COLUMNS:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


def is_loopback(host: str) -> bool:
    """Only this machine can connect: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
