"""Where a run's log goes: the terminal when there is one, else a rotating
file in ``DATA/logs/`` (cron), with only the run's summary on stdout."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


class _LogFile(logging.handlers.RotatingFileHandler):
    """The run's log file; when it cannot be written (a full disk), it says
    so once on stderr and goes quiet, instead of a traceback per record."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.failed:
            self.failed = True
            import sys

            exc = sys.exc_info()[1]
            print(f"warning: the log {self.baseFilename} cannot be written ({exc}); logging stops", file=sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)
LOG_FILE_BYTES = 10_000_000
LOG_FILE_BACKUPS = 5


def configure(logs_dir: Path, level: str, interactive: bool) -> Path | None:
    """Send log records to stderr (interactive) or to ``logs_dir/mediarchive.log``.
    Returns the log file's path, if one is used."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(level)
    formatter = logging.Formatter(LOG_FORMAT)
    if interactive:
        handler: logging.Handler = logging.StreamHandler()
        path = None
    else:
        logs_dir.mkdir(parents=True, exist_ok=True)  # a full disk: DiskFull, by the caller
        path = logs_dir / "mediarchive.log"
        handler = _LogFile(
            path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
        )
    handler.setFormatter(formatter)
    # the level is the handler's, not only the root's: Scrapy sets its own
    # loggers to DEBUG (dictConfig), which a root level alone does not hold back
    handler.setLevel(level)
    root.addHandler(handler)
    return path
