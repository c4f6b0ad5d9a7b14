"""Where a run's log goes: always a rotating file in ``DATA/logs/``, at the
level asked for (INFO unless told); on a terminal also the terminal, at
WARNING unless a level was asked for, above the live progress display
(:mod:`crawler.progress`). Off a terminal (cron) stdout gets only the
progress lines and the run's summary."""

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


class _Terminal(logging.StreamHandler):
    """stderr as it is when a record is written: under a live display, the
    proxy through which rich prints the line above the display."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # type: ignore[override]
        import sys

        return sys.stderr


#: The log file's level when none is asked for, and the terminal's.
FILE_LEVEL = "INFO"
TERMINAL_LEVEL = "WARNING"


def configure(logs_dir: Path, level: str | None, interactive: bool) -> Path:
    """Send log records to ``logs_dir/mediarchive.log`` at ``level`` (INFO
    when None) and, when ``interactive``, to stderr at ``level`` (WARNING
    when None). Returns the log file's path."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if isinstance(handler, (_LogFile, _Terminal)):
            handler.close()  # an earlier run's of this process: its file closed
    formatter = logging.Formatter(LOG_FORMAT)
    logs_dir.mkdir(parents=True, exist_ok=True)  # a full disk: DiskFull, by the caller
    path = logs_dir / "mediarchive.log"
    handlers: list[tuple[logging.Handler, str]] = [
        (_LogFile(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"), level or FILE_LEVEL),
    ]
    if interactive:
        handlers.append((_Terminal(), level or TERMINAL_LEVEL))
    for handler, handler_level in handlers:
        handler.setFormatter(formatter)
        # the level is the handler's, not only the root's: Scrapy sets its own
        # loggers to DEBUG (dictConfig), which a root level alone does not hold back
        handler.setLevel(handler_level)
        root.addHandler(handler)
    root.setLevel(min(logging.getLevelName(handler_level) for _, handler_level in handlers))
    return path
