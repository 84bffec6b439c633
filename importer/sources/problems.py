"""How live sources report what they could not read: in-band, as Problem records."""
from ..errors import FetchError
from ..model import Problem


def skipped(error: FetchError, what: str = "") -> Problem:
    """A URL that could not be read: the run goes on without it."""
    return Problem(f"{error.url}: {what}{error.reason}", "skipped; the run went on")
