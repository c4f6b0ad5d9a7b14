"""Running the crawl of some sources in one Scrapy process and reporting on it.

Each source is its own crawler (its own delay, concurrency, User-Agent and
WARC files) and all run together in one reactor, which can run only once per
process: call :func:`run_crawl` once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.config import Source
from crawler.spiders.source import spider_class_for

#: Close reasons of a crawl that ran to its end or to a configured limit.
COMPLETED = {"finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout"}


@dataclass
class SourceReport:
    name: str
    found: int = 0
    articles_found: int = 0
    captured: int = 0
    captured_ok: int = 0
    failed: int = 0
    warc_bytes: int = 0
    finish_reason: str | None = None

    @property
    def succeeded(self) -> bool:
        """It ran to its end and its site answered (at least one page below 400)."""
        return self.finish_reason in COMPLETED and self.captured_ok > 0

    @property
    def problem(self) -> str | None:
        if self.succeeded:
            return None
        if self.finish_reason not in COMPLETED:
            return f"stopped: {self.finish_reason or 'did not start'}"
        return "no page could be fetched" if not self.captured else "the site answered only errors"


def crawler_settings(warc_dir: Path, overrides: Mapping[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_WARC_DIR", str(warc_dir), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(sources: Sequence[Source], settings: Settings) -> list[SourceReport]:
    """Crawl every source to its end (blocks); one report per source."""
    process = CrawlerProcess(settings, install_root_handler=True)
    crawlers = []
    for source in sources:
        crawler = process.create_crawler(spider_class_for(source))
        crawlers.append((source, crawler))
        process.crawl(crawler)
    process.start()
    return [_report(source.name, crawler.stats.get_stats()) for source, crawler in crawlers]


def _report(name: str, stats: Mapping[str, Any]) -> SourceReport:
    def get(key: str) -> int:
        return int(stats.get(f"archive/{key}", 0))

    return SourceReport(
        name=name,
        found=get("found"),
        articles_found=get("found/article"),
        captured=get("captured"),
        captured_ok=get("captured/ok"),
        failed=get("failed"),
        warc_bytes=get("warc_bytes"),
        finish_reason=stats.get("finish_reason"),
    )
