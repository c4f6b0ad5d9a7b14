"""Running ``mediarchive recover``: a source's articles from other web
archives, through the one way in.

Like a crawl (:func:`crawler.run.routine_run`): the data directory locked,
what a killed run left mended and indexed first, so that its captures count
as held and are not fetched again; then the recovery spider
(:mod:`crawler.spiders.recover`) with its segments indexed as it goes, and
the one finishing step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from archive.index.ingest import Ingest
from archive.index.runs import RunReport
from archive.mementos.held import HeldCopies, known_urls
from archive.mementos.memento import Archive
from archive.paths import DataDir
from archive.sources import Config, Source
from crawler.progress import CrawlDisplay
from crawler.run import crawl_and_index, crawler_settings
from crawler.spiders.recover import recover_spider_class

#: Politeness towards an archive unless asked otherwise: one request at a
#: time, this many seconds apart (the Wayback Machine asks for restraint).
DEFAULT_DELAY = 2.0
#: Retries of a failed fetch, each after a growing wait (ARCHIVE_RETRY_BACKOFF).
RETRIES = 5


def recover_run(
    config: Config,
    source: Source,
    datadir: DataDir,
    archives: Sequence[Archive],
    *,
    since: str | None = None,
    until: str | None = None,
    delay: float = DEFAULT_DELAY,
    timeout: float = 60.0,
    settings_overrides: Mapping[str, Any] | None = None,
    page_timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
    display: CrawlDisplay | None = None,
) -> RunReport:
    """Recover ``source``'s article captures from ``archives`` between
    ``since`` and ``until`` (``YYYY[-MM[-DD]]``); blocks. Raises
    :class:`~archive.errors.Interrupted` after SIGINT or SIGTERM (what was
    fetched is kept, and the next run fetches the rest) and
    :class:`~archive.errors.DiskFull`."""
    progress = progress or (lambda message: None)
    with Ingest(datadir, config=config, page_timeout=page_timeout, progress=progress) as ingest:
        report = RunReport(started=ingest.started, command="recover", recheck="none")
        before = ingest.index_pending()
        report.indexed_before = {"files": before.files, "captures": before.captures, "pages": before.pages}
        overrides = {
            "DOWNLOAD_DELAY": delay,
            "AUTOTHROTTLE_ENABLED": delay > 0,
            "AUTOTHROTTLE_START_DELAY": max(delay, 0.01),
            "CONCURRENT_REQUESTS_PER_DOMAIN": 1 if delay > 0 else 8,
            "DOWNLOAD_TIMEOUT": timeout,
            "RETRY_TIMES": RETRIES,
            "ARCHIVE_RETRY_BACKOFF": max(delay, 1.0) if delay > 0 else 0.0,
            "ROBOTSTXT_OBEY": True,
            **dict(settings_overrides or {}),
        }
        if config.path is not None:
            overrides.setdefault("ARCHIVE_SOURCES_FILE", str(Path(config.path).resolve()))
        settings = crawler_settings(datadir.warcs, overrides)
        reports = crawl_and_index(
            ingest, report, [source], settings, None, index=True, spider_for=recover_spider_class, display=display,
            archives=tuple(archives), domains=source.recover_domains, since=since, until=until,
            is_held=HeldCopies(ingest.index, source.name), known_urls=known_urls(ingest.index, source.name),
        )
        ingest.index_pending()
        ingest.finish()
        report.failures += [f"{r.name}: {r.problem}" for r in reports if not r.succeeded]
        ingest.report("recover", report)
    return report
