"""What the commands that crawl (`crawl`, `recover`, `add`) show while they
run: their log options, the live table or progress lines, and the Scrapy
log settings that go with them."""

from __future__ import annotations

from typing import Any

import click

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
