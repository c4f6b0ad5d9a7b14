"""Where a run's log goes: the terminal when there is one, else a rotating
file in ``DATA/logs/`` (cron), with only the run's summary on stdout."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
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
        logs_dir.mkdir(parents=True, exist_ok=True)
        path = logs_dir / "mediarchive.log"
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
        )
    handler.setFormatter(formatter)
    root.addHandler(handler)
    return path
