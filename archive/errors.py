"""Errors a user can cause, each with the exit code the CLI turns it into."""

from __future__ import annotations


class MediarchiveError(Exception):
    """A problem worth one clear line to the user, never a traceback."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(MediarchiveError):
    """The sources file is missing, malformed or invalid."""

    exit_code = 2


class UsageError(MediarchiveError):
    """A bad argument: an unknown source, a malformed date, a bad query."""

    exit_code = 2


class WarcReadError(MediarchiveError):
    """A WARC file that cannot be read (corrupt, truncated, not a WARC).

    ``offset`` is where the readable part of the file ends: the records
    before it are whole (0: none is)."""

    exit_code = 1

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.offset = offset


class NotAnArchive(MediarchiveError):
    """A file that is neither WARC, ARC nor WACZ: refused before anything is copied."""

    exit_code = 1


class AlreadyRunning(MediarchiveError):
    """Another command holds the data directory."""

    exit_code = 3


class IndexDamaged(MediarchiveError):
    """The index file is not a readable SQLite database."""

    exit_code = 1


class DiskFull(MediarchiveError):
    """No room left to write in the data directory."""

    exit_code = 1


class Interrupted(MediarchiveError):
    """Stopped by a signal (Ctrl-C, SIGTERM): exit 128 + its number."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum


class NotInIndex(MediarchiveError):
    """A URL or record that the index does not hold."""

    exit_code = 1
