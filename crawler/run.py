"""Running the crawl of some sources in one Scrapy process and reporting on it.

Each source is its own crawler (its own delay, concurrency, User-Agent and
WARC files) and all run together in one reactor, which can run only once per
process: call :func:`run_crawl` once.
"""

from __future__ import annotations

import shutil
import signal
from contextlib import nullcontext
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings

from archive.errors import Interrupted
from archive.index.indexer import IndexStats
from archive.index.ingest import Ingest
from archive.index import drift
from archive.index.runs import RunReport, latest_reports
from archive.index.schedule import Known, crawl_state
from archive.index.segments import SegmentIndexer
from archive.paths import DataDir
from archive.resources import disk_full
from archive.sources import Config, Source
from crawler.failures import summary
from crawler.middlewares.warccapture import warc_file_closed
from crawler.progress import CrawlDisplay
from crawler.spiders.source import ROLE_META, spider_class_for

HANDLER = "crawler.fromwarc.WarcReplayDownloadHandler"
#: Roles of the requests whose responses are pages to extract (a crawl's articles, ``recover``'s mementos).
PAGE_ROLES = ("article", "memento")
#: Close reasons of a crawl that ran to its end or to a configured limit.
COMPLETED = {"finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout"}


@dataclass
class SourceReport:
    name: str
    found: int = 0
    articles_found: int = 0
    known: int = 0
    rechecked: int = 0
    revisits: int = 0
    captured: int = 0
    captured_ok: int = 0
    failed: int = 0
    warc_bytes: int = 0
    finish_reason: str | None = None
    served_from_warc: int = 0
    missing_from_warc: int = 0
    missing_urls: list[str] = field(default_factory=list)
    disk_full: str | None = None
    #: articles the feeds and the listing pages listed (archive.index.drift compares them run to run)
    feed_articles: int = 0
    listing_articles: int = 0
    #: ``recover``: mementos fetched that hold a page, of those whose body
    #: did not match the archive's digest (stored, flagged), CDX lines unreadable
    recovered: int = 0
    digest_mismatches: int = 0
    cdx_malformed: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    #: why requests failed, by cause (crawler.failures.cause_of), and bodies cut at max_body_size
    causes: dict[str, int] = field(default_factory=dict)
    truncated: int = 0
    #: captures and failures by the request's role: article, requisite, listing, feed, sitemap, robots, other
    captured_by_role: dict[str, int] = field(default_factory=dict)
    failed_by_role: dict[str, int] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        """It ran to its end and its site answered (at least one page below 400)."""
        return self.finish_reason in COMPLETED and (self.captured_ok > 0 or self.served_from_warc > 0)

    @property
    def problem(self) -> str | None:
        if self.succeeded:
            return None
        if self.finish_reason not in COMPLETED:
            return f"stopped: {self.finish_reason or 'did not start'}"
        causes = {cause: n for cause, n in self.causes.items() if cause != "dropped by a rule"}
        answered = any(cause.startswith("HTTP ") for cause in causes)
        problem = "the site answered only errors" if answered else "no page could be fetched"
        return f"{problem}: {summary(causes)}" if causes else problem


#: Under ``frontier/``: the scheduler's disk queues of the run going on.
QUEUE_FOLDER = "queues"


def _fresh_queue_dir(folder: Path) -> Path:
    """An empty folder for this run's request queues. A killed run's are
    dropped: what it had not finished is in its frontier journal, which
    the spider schedules again (Scrapy's own resume would fetch it twice)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def crawler_settings(warc_dir: Path, overrides: Mapping[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_WARC_DIR", str(warc_dir), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(
    sources: Sequence[Source],
    settings: Settings,
    states: Mapping[str, Mapping[str, Known]] | None = None,
    on_first_article: Callable[[], None] | None = None,
    on_warc_closed: Callable[[Path], None] | None = None,
    spider_for: Callable[[Source], type] = spider_class_for,
    display: CrawlDisplay | None = None,
    **spider_arguments: Any,
) -> tuple[list[SourceReport], int | None]:
    """Crawl every source to its end (blocks); one report per source, and
    the signal that stopped the crawl early (SIGINT, SIGTERM), if one did.
    ``states`` gives, per source, what the archive already holds;
    ``on_first_article`` is called once, when the first article arrives
    (the indexer starts its extraction workers then: a run that fetches no
    article, such as a recheck of an unchanged site, starts none);
    ``on_warc_closed`` with the path of each WARC segment closed;
    ``spider_for`` gives each source's spider class (the crawl's, or ``recover``'s);
    ``display`` shows the crawl as it goes (:mod:`crawler.progress`)."""
    settings = settings.copy()
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # our handlers: crawler.logsetup
    process = _CrawlerProcess(settings)
    crawlers = []
    first_article = _Once(on_first_article) if on_first_article else None
    for source in sources:
        crawler = process.create_crawler(spider_for(source))
        if first_article is not None:
            crawler.signals.connect(first_article.response_received, signal=signals.response_received)
        if on_warc_closed is not None:
            crawler.signals.connect(_PathOf(on_warc_closed), signal=warc_file_closed, weak=False)
        crawlers.append((source, crawler))
        process.crawl(crawler, state=(states or {}).get(source.name), **spider_arguments)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    if display is not None:
        display.watch([(source.name, crawler) for source, crawler in crawlers])
        display.start()
    try:
        process.start()
    finally:
        if display is not None:
            display.stop()
        for signum, handler in handlers.items():  # Scrapy's are for the crawl only
            signal.signal(signum, handler)
    return [_report(source.name, crawler.stats.get_stats()) for source, crawler in crawlers], process.stopped_by


class _CrawlerProcess(CrawlerProcess):
    """Scrapy's process, remembering the signal that stopped it (the first
    stops the crawl gracefully, a second at once: Scrapy's own handling)."""

    stopped_by: int | None = None

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self.stopped_by = self.stopped_by or signum
        super()._signal_shutdown(signum, frame)


class _PathOf:
    """A signal handler handing the ``path`` argument on."""

    def __init__(self, action: Callable[[Path], None]):
        self.action = action

    def __call__(self, path: Path, **_: Any) -> None:
        self.action(path)


class _Once:
    """Calls ``action`` on the first 2xx article response of any crawler."""

    def __init__(self, action: Callable[[], None]):
        self.action: Callable[[], None] | None = action

    def response_received(self, response: Response, request: Request) -> None:
        if self.action is not None and request.meta.get(ROLE_META) in PAGE_ROLES and 200 <= response.status < 300:
            action, self.action = self.action, None
            action()


def routine_run(
    config: Config,
    sources: Sequence[Source],
    datadir: DataDir,
    *,
    settings_overrides: Mapping[str, Any] | None = None,
    recheck: str = "due",
    from_warc: Sequence[Path] = (),
    backfill: bool = False,
    since: str | None = None,
    index: bool = True,
    page_timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
    display: CrawlDisplay | None = None,
) -> RunReport:
    """One run, as cron starts it, through the one way in
    (:class:`~archive.index.ingest.Ingest`): lock the data directory, mend
    what a crash left (cut ``.open`` files back, index unindexed files),
    crawl what is new or due and what a stopped run had found, index it,
    finish (revisits, reprints, replay index) and write the run's report.

    With ``from_warc``, the spiders are answered from those WARC files
    instead of the network and write no WARC of their own: the files are
    imported into the archive (once) and the report says what the spiders
    found in them and what they missed.

    With ``index=False`` the run only captures: it writes WARC files and
    indexes nothing, neither what an earlier run left nor what it fetched
    (no extraction at all). The next run that indexes takes those files
    first, before it crawls.

    Raises :class:`Interrupted` after SIGINT or SIGTERM (the captures are
    kept, closed, and indexed by the next run) and :class:`DiskFull` when
    the disk filled up."""
    if from_warc and not index:
        raise ValueError("WARC files given to answer the spiders are imported, that is indexed: not with index=False")
    progress = progress or (lambda message: None)
    with Ingest(datadir, config=config, page_timeout=page_timeout, progress=progress) as ingest:
        report = RunReport(started=ingest.started, recheck=recheck)
        before = ingest.index_pending() if index else IndexStats()
        report.indexed_before = {"files": before.files, "captures": before.captures, "pages": before.pages}
        overrides = dict(settings_overrides or {})
        if config.path is not None:  # Scrapy's spider loader reads it too
            overrides.setdefault("ARCHIVE_SOURCES_FILE", str(Path(config.path).resolve()))
        if from_warc:
            ingest.import_files([Path(p) for p in from_warc])
            overrides.update(
                ARCHIVE_FROM_WARC=[str(Path(p).resolve()) for p in from_warc],
                ARCHIVE_WARC_ENABLED=False,
                DOWNLOAD_HANDLERS={"http": HANDLER, "https": HANDLER},
                # no server to be polite to
                DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, CONCURRENT_REQUESTS_PER_DOMAIN=16,
            )
            states = {}  # discover everything the files hold
        else:
            overrides.setdefault("ARCHIVE_FRONTIER_DIR", str(datadir.frontier))
            overrides.setdefault("ARCHIVE_QUEUE_DIR", str(_fresh_queue_dir(datadir.frontier / QUEUE_FOLDER)))
            states = {
                source.name: crawl_state(ingest.index, source.name, schedule=source.recheck, mode=recheck)
                for source in sources
            }
        settings = crawler_settings(datadir.warcs, overrides)
        reports = crawl_and_index(
            ingest, report, sources, settings, states, index=index and not from_warc,
            backfill=backfill, since=since, display=display,
        )
        if index:
            ingest.index_pending()
            ingest.finish()
            note_drift(report, ingest.stats.health, latest_reports(datadir.runs))
        report.failures += [f"{r.name}: {r.problem}" for r in reports if not r.succeeded]
        ingest.report("crawl", report)
    return report


def crawl_and_index(
    ingest: Ingest,
    report: RunReport,
    sources: Sequence[Source],
    settings: Settings,
    states: Mapping[str, Mapping[str, Known]] | None,
    *,
    index: bool,
    spider_for: Callable[[Source], type] = spider_class_for,
    display: CrawlDisplay | None = None,
    **spider_arguments: Any,
) -> list[SourceReport]:
    """Crawl (:func:`run_crawl`) with, when ``index``, an indexer process
    taking each closed WARC segment as the crawl goes; the sources' entries
    into ``report``. Raises :class:`DiskFull` when the disk filled up, and
    :class:`Interrupted` (the report written) after SIGINT or SIGTERM."""
    # an indexer process only for a crawl that writes segments and indexes them
    with SegmentIndexer(ingest) if index else nullcontext() as segments:
        reports, stopped_by = run_crawl(
            sources, settings, states,
            on_first_article=segments.warm_up if segments else None,
            on_warc_closed=segments.closed if segments else None,
            spider_for=spider_for,
            display=display,
            **spider_arguments,
        )
        if settings.get("ARCHIVE_QUEUE_DIR"):
            shutil.rmtree(settings.get("ARCHIVE_QUEUE_DIR"), ignore_errors=True)  # scratch space of this run only
        if segments and stopped_by is None and not any(r.disk_full for r in reports):
            segments.finish()  # what it had left, then any error it met
    report.sources = [asdict(r) | {"succeeded": r.succeeded, "problem": r.problem} for r in reports]
    report.warc_bytes = sum(r.warc_bytes for r in reports)
    full = next((r.disk_full for r in reports if r.disk_full), None)
    if full:
        raise disk_full(ingest.data.root)
    if stopped_by is not None:
        name = "Ctrl-C" if stopped_by == signal.SIGINT else signal.Signals(stopped_by).name
        report.interrupted_by = name
        report.exit_code = 128 + stopped_by
        ingest.report(report.command, report)
        raise Interrupted(f"{name}: the crawl stopped; what it captured is kept and indexed by the next run", stopped_by)
    return reports


def note_drift(report: RunReport, health: drift.Health, earlier: list[dict[str, Any]]) -> None:
    """Each source's rule figures into its entry of the report, and a
    warning where one fell below half of the source's last run
    (:mod:`archive.index.drift`): in the entry, the report and the summary."""
    for entry in report.sources:
        entry["rules"] = health.get(entry["name"], {})
        entry["drift"] = drift.warnings(entry["name"], entry, drift.previous_entry(earlier, entry["name"])) if entry["succeeded"] else []
        report.warnings += entry["drift"]


def _report(name: str, stats: Mapping[str, Any]) -> SourceReport:
    def get(key: str) -> int:
        return int(stats.get(f"archive/{key}", 0))

    return SourceReport(
        name=name,
        found=get("found"),
        articles_found=get("found/article"),
        known=get("known"),
        rechecked=get("rechecked"),
        revisits=get("revisits"),
        captured=get("captured"),
        captured_ok=get("captured/ok"),
        failed=get("failed"),
        warc_bytes=get("warc_bytes"),
        served_from_warc=get("from_warc/served"),
        missing_from_warc=get("from_warc/missing"),
        missing_urls=list(stats.get("archive/from_warc/missing_urls", [])),
        finish_reason=stats.get("finish_reason"),
        disk_full=stats.get("archive/disk_full"),
        feed_articles=get("feed_articles"),
        listing_articles=get("listing_articles"),
        recovered=get("recovered"),
        digest_mismatches=get("recovered/digest_mismatch"),
        cdx_malformed=get("cdx_malformed"),
        left_out={
            key.removeprefix("archive/left_out/"): int(value)
            for key, value in stats.items() if key.startswith("archive/left_out/")
        },
        causes={key.removeprefix("archive/cause/"): int(value) for key, value in stats.items() if key.startswith("archive/cause/")},
        truncated=get("truncated"),
        captured_by_role=_by_prefix(stats, "archive/captured/role/"),
        failed_by_role=_by_prefix(stats, "archive/failed/role/"),
    )


def _by_prefix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {key.removeprefix(prefix): int(value) for key, value in stats.items() if key.startswith(prefix)}
