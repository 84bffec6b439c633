"""wparchive: archive WordPress blogs into one normalized SQLite database, ready for Datasette."""
__version__ = "0.1.0"
from .errors import DamagedInputError, HostileInputError, InputError, NotWXRError, WparchiveError
from .jobs.imports import FileReport, import_input
from .inputs import Input, expand
from .archive import Writer, connect

__all__ = ["DamagedInputError", "FileReport", "HostileInputError", "Input", "InputError", "NotWXRError",
           "WparchiveError", "Writer", "connect", "expand", "import_input"]
