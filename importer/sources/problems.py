"""How live sources report what they could not read: in-band, as Problem records."""
from ..errors import FetchError
from ..model import Problem


def skipped(error: FetchError, what: str = "") -> Problem:
    """A URL that could not be read: the run goes on without it."""
    return Problem(f"{error.url}: {what}{error.reason}", "skipped; the run went on")


def problems_of(entries, kept: list):
    """Yield the Problems among `entries` (in-band, as they come) and keep the rest in `kept`:
    for a listing that must be complete before it is used."""
    for entry in entries:
        if isinstance(entry, Problem):
            yield entry
        else:
            kept.append(entry)
