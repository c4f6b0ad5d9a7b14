"""Running ``mediarchive add``: single pages archived now, through the one
way in.

Like a crawl (:func:`crawler.run.routine_run`) and ``recover``
(:mod:`crawler.recovery`): the data directory locked, what a killed run
left mended and indexed first; then the add spider
(:mod:`crawler.spiders.add`) for each group of URLs filed under one source,
its segments indexed as it goes, and the one finishing step (replay index
included). Each URL is filed under the source whose domains hold it, else
the one named, else none: those are fetched by a source made for them, with
the sources file's defaults, and their WARC files are named ``added-…``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.errors import UsageError
from archive.index.ingest import Ingest
from archive.index.runs import RunReport
from archive.paths import DataDir
from archive.sources import Config, Source
from archive.urls import SCHEMES
from crawler.progress import CrawlDisplay
from crawler.run import crawl_and_index, crawler_settings
from crawler.spiders.add import Added, add_spider_class

#: The spider and WARC file prefix of the pages of no source.
UNLISTED = "added"


def plan(config: Config, urls: Sequence[str], source_name: str | None = None) -> dict[str, Added]:
    """Each URL given, once, with the source it is filed under: the one whose
    domains hold it, else ``source_name`` (which must be a source of the
    file), else none. :class:`UsageError` for a URL that is not http(s)."""
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme.lower() not in SCHEMES or not parts.hostname:
            raise UsageError(f"{url!r} is not an http(s) URL: add archives web pages, e.g. https://example.org/story.html")
    named = config.source(source_name).name if source_name else None  # ConfigError (exit 2) naming the known ones
    return {url: Added(url, config.source_for_url(url) or named) for url in dict.fromkeys(urls)}


def sources_to_fetch(config: Config, pages: Mapping[str, Added]) -> list[tuple[Source, bool]]:
    """A source per group of pages filed alike, and whether it is the sources
    file's: its domains widened to the pages' hosts (``--source`` may name one
    for a page elsewhere) and no page limit (a page's requisites are all fetched)."""
    groups: dict[str | None, list[str]] = {}
    for added in pages.values():
        groups.setdefault(added.source, []).append(added.url)
    chosen = []
    for name, urls in groups.items():
        source = config.source(name) if name else config.unlisted_source(UNLISTED, tuple(urls))
        hosts = tuple(urlsplit(url).hostname for url in urls)
        domains = tuple(dict.fromkeys(source.allowed_domains + hosts))
        chosen.append((replace(source, allowed_domains=domains, max_pages=None), name is not None))
    return chosen


def add_run(
    config: Config,
    pages: Mapping[str, Added],
    datadir: DataDir,
    *,
    settings_overrides: Mapping[str, Any] | None = None,
    page_timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
    display: CrawlDisplay | None = None,
) -> RunReport:
    """Archive ``pages`` (from :func:`plan`) with their requisites, index
    them and bring the replay index up to date; blocks. Fills in each
    :class:`Added` (status, requisites, title); a page not archived below
    400 is one of the report's failures. Raises
    :class:`~archive.errors.AlreadyRunning`, :class:`~archive.errors.Interrupted`
    and :class:`~archive.errors.DiskFull`."""
    progress = progress or (lambda message: None)
    with Ingest(datadir, config=config, page_timeout=page_timeout, progress=progress) as ingest:
        report = RunReport(started=ingest.started, command="add", recheck="none")
        before = ingest.index_pending()
        report.indexed_before = {"files": before.files, "captures": before.captures, "pages": before.pages}
        overrides = dict(settings_overrides or {})
        if config.path is not None:  # Scrapy's spider loader reads it
            overrides.setdefault("ARCHIVE_SOURCES_FILE", str(Path(config.path).resolve()))
        else:
            overrides.setdefault("SPIDER_LOADER_CLASS", "scrapy.spiderloader.DummySpiderLoader")
        settings = crawler_settings(datadir.warcs, overrides)
        chosen = sources_to_fetch(config, pages)
        classes = {id(source): add_spider_class(source, listed=listed) for source, listed in chosen}
        crawl_and_index(
            ingest, report, [source for source, _ in chosen], settings, None, index=True,
            spider_for=lambda source: classes[id(source)], display=display, pages=pages,
        )
        ingest.index_pending()
        ingest.finish()
        for added in pages.values():
            _read_back(ingest, config, added)
        report.failures += [f"{added.url}: {added.problem}" for added in pages.values() if not added.archived]
        ingest.report("add", report)
    return report


def _read_back(ingest: Ingest, config: Config, added: Added) -> None:
    """The page's title and its capture's replay address, as the index holds
    them now (under the URL the indexer files it by: where it led, in its
    source's form)."""
    from archive.serve.replay import replay_url

    if added.status is None:
        return  # nothing fetched: what the index holds is older
    url = added.final_url or added.url
    canonical = config.canonical_url(config.source_for_url(url), url)
    page = ingest.index.page(canonical)
    captures = ingest.index.captures_of(canonical)
    if page is not None:
        added.title = page.get("title")
    if captures:
        newest = captures[-1]
        added.replay_url = replay_url(newest["target_uri"] or newest["url"], newest["captured_at"])
