"""The archive: the only code that writes (and queries) the SQLite file."""
from .clock import now_utc
from .connection import connect
from .columns import TABLES
from .writer import Counts, Writer

__all__ = ["TABLES", "Counts", "Writer", "connect", "now_utc"]
