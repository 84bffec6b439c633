"""Errors a user can cause, under one root. The CLI prints them on one line and exits non-zero.

    WparchiveError
    ├── InputError              the input cannot be imported at all; the archive is untouched
    │   ├── NotWXRError         readable, but not a WordPress export
    │   └── HostileInputError   entity declarations, external entities and the like
    ├── DamagedInputError       the input breaks off or is malformed part-way; what came before is kept
    ├── FetchError              a URL could not be read (HTTP status, refused, off-site, robots.txt)
    ├── BudgetExhausted         --max-requests reached: the run stops, keeping what it has
    │   └── Blocked             the server refuses connections (how a web archive's block shows)
    ├── ArchiveError            the archive file cannot be used as asked
    │   ├── NewerSchemaError    written by a newer wparchive
    │   ├── ArchiveBusy         another wparchive holds it (a sync is running)
    │   └── DiskFull            the disk under it filled up; the run's transaction rolled back
    └── SetupError              something the command needs is not installed

BudgetExhausted (and Blocked) is not a FetchError, so no source mistakes it for one page that failed and
carries on.
"""


class WparchiveError(Exception):
    def __init__(self, where: str, message: str, line: int | None = None):
        self.where, self.message, self.line = where, message, line
        super().__init__(str(self))

    def __reduce__(self):
        return type(self), (self.where, self.message, self.line)

    def __str__(self) -> str:
        position = f":{self.line}" if self.line else ""
        return f"{self.where}{position}: {self.message}"


class InputError(WparchiveError):
    pass


class NotWXRError(InputError):
    pass


class HostileInputError(InputError):
    pass


class DamagedInputError(WparchiveError):
    pass


class FetchError(WparchiveError):
    def __init__(self, url: str, reason: str, status: int | None = None):
        self.url, self.reason, self.status = url, reason, status
        super().__init__(url, reason)

    def __reduce__(self):
        return type(self), (self.url, self.reason, self.status)


class BudgetExhausted(WparchiveError):
    def __init__(self, url: str, reason: str):
        self.url, self.reason = url, reason
        super().__init__(url, reason)

    def __reduce__(self):
        return type(self), (self.url, self.reason)


class Blocked(BudgetExhausted):
    """Refused connections: the run stops as when its budget is spent, keeping what it read."""


class ArchiveError(WparchiveError):
    pass


class NewerSchemaError(ArchiveError):
    pass


class ArchiveBusy(ArchiveError):
    pass


class DiskFull(ArchiveError):
    pass


class SetupError(WparchiveError):
    pass
