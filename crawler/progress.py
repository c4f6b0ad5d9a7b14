"""What a crawl shows while it runs: per source, the URLs found, the pages
fetched (answered below 400), the requests queued, those that failed (no
answer, or an error status), and pages a second.

On a terminal, :class:`LiveTable` draws one row per source under the log
(rich), redrawn a few times a second; off one (cron, a pipe),
:class:`ProgressLines` writes a line per source every ``interval`` seconds
(a minute by default), and the run's summary follows. Both read the
crawlers' stats in the reactor's thread, from a Twisted ``LoopingCall``:
nothing here runs beside the crawl.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: Seconds of fetching a live table's pages/s is the rate over.
RATE_WINDOW = 10.0
#: How often a live table is redrawn, in seconds.
LIVE_INTERVAL = 0.25
#: How often, off a terminal, a line per source is written, in seconds.
LINE_INTERVAL = 60.0


@dataclass
class Figures:
    """One source's crawl at one moment."""

    name: str
    found: int
    fetched: int
    queued: int
    failed: int
    pages_per_s: float
    #: "starting", "crawling", or why it finished ("finished", "closespider_pagecount", ...)
    state: str

    def line(self) -> str:
        return (
            f"{self.name}: {self.found} found, {self.fetched} fetched, {self.queued} queued, {self.failed} failed,"
            f" {self.pages_per_s:.1f} pages/s ({self.state})"
        )


class _Watched:
    """A source's crawler and its recent fetch counts (for the rate)."""

    def __init__(self, name: str, crawler: Any):
        self.name = name
        self.crawler = crawler
        self.samples: deque[tuple[float, int]] = deque()

    def figures(self, now: float, window: float) -> Figures:
        stats = self.crawler.stats
        fetched = _answered(stats.get_stats())
        samples = self.samples
        samples.append((now, fetched))
        while len(samples) > 2 and now - samples[1][0] >= window:
            samples.popleft()
        then, before = samples[0]
        rate = (fetched - before) / (now - then) if now > then else 0.0
        engine = self.crawler.engine
        queued = 0
        if engine is not None and engine.scheduler is not None:
            queued = len(engine.scheduler) + len(engine.downloader.active)
        reason = stats.get_value("finish_reason")
        state = reason or ("crawling" if self.crawler.crawling and engine is not None and engine.running else "starting")
        return Figures(
            self.name, int(stats.get_value("archive/found", 0)), fetched, queued,
            int(stats.get_value("archive/failed", 0)), rate, state,
        )


class CrawlDisplay:
    """Shows the crawl of the sources :meth:`watch` was given, every
    ``interval`` seconds from :meth:`start` to :meth:`stop`."""

    interval = LIVE_INTERVAL
    window = RATE_WINDOW

    def __init__(self) -> None:
        self._watched: list[_Watched] = []
        self._loop: Any = None
        self.started = time.monotonic()

    def watch(self, crawlers: Sequence[tuple[str, Any]]) -> None:
        self._watched = [_Watched(name, crawler) for name, crawler in crawlers]

    def start(self) -> None:
        from twisted.internet.task import LoopingCall

        self.started = time.monotonic()
        self._loop = LoopingCall(self._tick)
        self._loop.start(self.interval, now=False)

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None

    def figures(self) -> list[Figures]:
        now = time.monotonic()
        return [watched.figures(now, self.window) for watched in self._watched]

    def elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}"

    def _tick(self) -> None:
        raise NotImplementedError


class ProgressLines(CrawlDisplay):
    """Off a terminal: a line per source every ``interval`` seconds, to
    ``write``, and one more when the crawl ends."""

    def __init__(self, write: Callable[[str], None], interval: float = LINE_INTERVAL):
        super().__init__()
        self.write = write
        self.interval = self.window = interval

    def stop(self) -> None:
        """The last line per source, where the crawl ended."""
        running = self._loop is not None
        super().stop()
        if running:
            self._tick()

    def _tick(self) -> None:
        elapsed = self.elapsed()
        for figures in self.figures():
            self.write(f"[{elapsed}] {figures.line()}")


class LiveTable(CrawlDisplay):
    """On a terminal: a table of the sources, redrawn under the log lines
    (which rich prints above it), its last state left on the screen."""

    def __init__(self, console: Any = None):
        super().__init__()
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self._live: Any = None

    def start(self) -> None:
        import sys

        from rich.live import Live

        self._live = Live(
            self._table(), console=self.console, auto_refresh=False, transient=False,
            redirect_stderr=True, redirect_stdout=sys.stdout.isatty(),
        )
        self._live.start()
        super().start()

    def stop(self) -> None:
        super().stop()
        if self._live is not None:
            self._live.update(self._table(), refresh=True)
            self._live.stop()
            self._live = None

    def _tick(self) -> None:
        if self._live is not None:
            self._live.update(self._table(), refresh=True)

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, caption=f"elapsed {self.elapsed()}", caption_justify="left", pad_edge=False)
        table.add_column("source", style="bold")
        for column in ("found", "fetched", "queued", "failed", "pages/s"):
            table.add_column(column, justify="right")
        table.add_column("")
        for figures in self.figures():
            table.add_row(
                figures.name, str(figures.found), str(figures.fetched), str(figures.queued),
                f"[red]{figures.failed}[/]" if figures.failed else "0", f"{figures.pages_per_s:.1f}", figures.state,
            )
        return table


def _answered(stats: dict[str, Any]) -> int:
    """Responses below 400 (an error status is a failure: counted there),
    robots.txt left out (it is no URL found); each step of a redirect counts."""
    answered = 0
    for key, value in stats.items():
        prefix, _, status = key.rpartition("/")
        if prefix in ("downloader/response_status_count", "robotstxt/response_status_count") and status.isdigit() and int(status) < 400:
            answered += int(value) if prefix.startswith("downloader") else -int(value)
    return answered
