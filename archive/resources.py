"""What the machine can run out of, said in one line: disk space, and the
index file itself when it is damaged.

An unattended archiver meets a full disk sooner or later. The crawl checks
the free space before it opens each WARC file (:func:`check_free_space`),
and any ``ENOSPC`` or SQLite "disk is full" on the way is turned into
:class:`~archive.errors.DiskFull` naming the data directory and what is
free (:func:`domain_error`), so that the run stops with one clear line and
nothing already archived is touched.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from archive.errors import DiskFull, IndexDamaged, MediarchiveError

#: A crawl does not open a WARC file with less than this free (bytes).
DEFAULT_MIN_FREE = 100 * 1024 * 1024


def free_bytes(path: Path) -> int | None:
    for candidate in (Path(path), *Path(path).parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def describe_free(path: Path) -> str:
    free = free_bytes(path)
    return "free space unknown" if free is None else f"{free / 1e6:.1f} MB free"


def disk_full(root: Path) -> DiskFull:
    return DiskFull(f"{root}: the disk is full ({describe_free(root)}); the run stopped, what was archived is kept")


def check_free_space(directory: Path, minimum: int, root: Path | None = None) -> None:
    """Raise :class:`DiskFull` when ``directory`` has less than ``minimum`` bytes free."""
    free = free_bytes(directory)
    if minimum and free is not None and free < minimum:
        raise DiskFull(
            f"{root or directory}: only {free / 1e6:.1f} MB free, {minimum / 1e6:.0f} MB needed to open a WARC file;"
            " the run stopped, what was archived is kept"
        )


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc).lower()


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite's error says the file itself is broken (not a busy
    database or a bad query)."""
    message = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and ("malformed" in message or "not a database" in message)


def index_damaged(index_path: Path, exc: BaseException) -> IndexDamaged:
    return IndexDamaged(f"{index_path} is damaged ({exc}): `mediarchive reindex` rebuilds it from the WARC files")


def domain_error(exc: BaseException, root: Path, index_path: Path) -> MediarchiveError | None:
    """The user's version of a resource failure, or None for any other error."""
    if is_disk_full(exc):
        return disk_full(root)
    if is_damage(exc):
        return index_damaged(index_path, exc)
    return None
