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
    """A WARC file that cannot be read (corrupt, truncated, not a WARC)."""

    exit_code = 1


class NotInIndex(MediarchiveError):
    """A URL or record that the index does not hold."""

    exit_code = 1
