"""Errors a user can cause. The CLI prints them on one line and exits non-zero.

    WparchiveError
    ├── InputError          the input cannot be imported at all; the archive is untouched
    │   ├── NotWXRError     readable, but not a WordPress export
    │   └── HostileInputError   entity declarations, external entities and the like
    └── DamagedInputError   the input breaks off or is malformed part-way; what came before is kept
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
