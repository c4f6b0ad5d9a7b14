"""What long commands show while they run: for those that crawl (`crawl`,
`recover`, `add`) their log options, the live table or progress lines and
the Scrapy log settings that go with them; for `reindex`, `import`,
`export` and `verify`, progress bars on a terminal (:func:`command_progress`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from archive.progress import Progress, Task
from crawler.logsetup import FILE_LEVEL

log_level_option = click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Detail of the log: DATA/logs/mediarchive.log gets this level (default INFO), and so does the terminal,"
         " above the live progress table (default WARNING).",
)
progress_interval_option = click.option(
    "--progress-interval", "progress_interval", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
    metavar="SECONDS", help="Without a terminal (cron): how often a line per source says how the crawl goes.",
)


def scrapy_log_settings(log_level: str | None) -> dict[str, Any]:
    """Scrapy's own log settings for a run at ``log_level`` (None: the
    defaults): the log file has its stats dump, and the terminal only when
    asked for INFO or DEBUG."""
    return {"LOG_LEVEL": (log_level or FILE_LEVEL).upper()}


def crawl_display(interactive: bool, interval: float):
    """The live table on a terminal, else a line per source every ``interval`` seconds on stdout."""
    from crawler.progress import LiveTable, ProgressLines

    if interactive:
        return LiveTable()
    return ProgressLines(click.echo, interval)


def command_progress(lines: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """A command's progress: bars and lines on a terminal
    (:class:`TerminalProgress`, to be closed), else ``lines`` (None: silent)."""
    return TerminalProgress() if sys.stderr.isatty() else lines


def closing_bars(shown: Any) -> Any:
    """A context that closes ``shown``'s bars, if it has any, when left."""
    from contextlib import nullcontext

    return shown if isinstance(shown, TerminalProgress) else nullcontext()


class TerminalProgress(Progress):
    """Counted tasks as bars on stderr (rich), the lines printed above them.
    Close it (or use it as a context manager) before printing the result."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self._bars: Any = None

    def __call__(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False, soft_wrap=True)

    def task(self, label: str, total: float, unit: str = "") -> Task:
        if not total:
            return Task()  # nothing to count: no bar
        if self._bars is None:
            self._bars = _bars(self.console)
            self._bars.start()
        return _Bar(self._bars, self._bars.add_task(label, total=total, unit=unit))

    def close(self) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Bar(Task):
    def __init__(self, bars: Any, task_id: Any):
        self.bars, self.task_id = bars, task_id

    def advance(self, amount: float = 1) -> None:
        self.bars.advance(self.task_id, amount)

    def update(self, completed: float) -> None:
        self.bars.update(self.task_id, completed=completed)

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:  # done: whatever was skipped on the way counts as done
            task = self.bars.tasks[self.bars.task_ids.index(self.task_id)]
            self.bars.update(self.task_id, completed=task.total or task.completed)
        self.bars.stop_task(self.task_id)


def _bars(console: Any) -> Any:
    from rich.filesize import decimal
    from rich.progress import BarColumn, Progress as Bars, ProgressColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class Done(ProgressColumn):
        """Done of total, in MB for bytes, and the rate."""

        def render(self, task: Any) -> Text:
            unit = task.fields.get("unit", "")
            speed = task.finished_speed or task.speed
            if unit == "bytes":
                rate = f" {decimal(int(speed))}/s" if speed else ""
                return Text(f"{decimal(int(task.completed))}/{decimal(int(task.total or 0))}{rate}")
            rate = f" {speed:,.0f}/s" if speed else ""
            return Text(f"{int(task.completed):,}/{int(task.total or 0):,} {unit}{rate}")

    return Bars(
        TextColumn("{task.description:<20}"), BarColumn(), TaskProgressColumn(), Done(), TimeRemainingColumn(),
        console=console, redirect_stdout=sys.stdout.isatty(), redirect_stderr=True,
    )
