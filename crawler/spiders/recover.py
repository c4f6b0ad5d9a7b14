"""The spider of ``mediarchive recover``: a source's articles from the
mementos other web archives hold of them.

It asks each archive which captures it holds of the source's domains (a
CDX query, page after page; or, for an archive that speaks only Memento, a
TimeMap per known URL), keeps the article captures not yet held
(:mod:`archive.mementos.select`), and fetches each one's raw form. Every
exchange is written to WARC by the capture middleware as for a crawl: the
archive's answer at the memento's URL, a metadata record of where it came
from, and, for a memento holding a page, that page at its original URL
(:class:`archive.warc.records.PageOfMemento`). The spider yields no items.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from archive.mementos.cdx import parse_answer, query_url
from archive.mementos.memento import Archive, Memento, digest_check
from archive.mementos.select import Selection, bound, choose
from archive.mementos.timemap import parse_timemap, timemap_url
from archive.sources import Source
from crawler.spiders.source import MEMENTO_META, ROLE_META, NotArchived

STAT = "archive/{}"
#: Roles of the exchanges with an archive (the capture's metadata record says which).
CDX_ROLE, TIMEMAP_ROLE, MEMENTO_ROLE = "cdx", "timemap", "memento"


def recover_spider_class(source: Source) -> type[RecoverSpider]:
    """A recovery spider bound to one source, named after it (its WARC files are the source's)."""
    return type(f"RecoverSpider_{source.name}", (RecoverSpider,), {"name": source.name, "source": source})


class RecoverSpider(Spider):
    name = "recover"
    source: Source

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        source = getattr(cls, "source", None)
        if source is not None:
            settings.set("USER_AGENT", source.user_agent, priority="spider")

    def __init__(
        self,
        *args: Any,
        archives: Sequence[Archive] = (),
        domains: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        is_held: Callable[[str, Memento], bool] | None = None,
        known_urls: Sequence[str] = (),
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.archives = tuple(archives)
        self.domains = tuple(domains)
        self.since, self.until = since, until
        self.is_held = is_held or (lambda url, memento: False)
        #: URLs to ask the TimeMap archives about (grows with what the CDX archives list)
        self._timemap_asked: set[str] = set()
        self._known_urls = tuple(known_urls)
        self.selection = Selection()

    # -- requests --------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for archive in self.archives:
            if archive.kind == "cdx":
                for domain in self.domains:
                    yield self._cdx_request(archive, domain)
        for url in self._known_urls:
            for request in self._timemap_requests(url):
                yield request

    def _cdx_request(self, archive: Archive, domain: str, resume_key: str | None = None) -> Request:
        self._count("cdx_queries")
        url = query_url(archive, domain, self.since, self.until, resume_key)
        meta = {ROLE_META: CDX_ROLE, "archive": archive, "domain": domain, "resume_key": resume_key}
        return Request(url, callback=self.parse_cdx, errback=self.failed, priority=10, meta=meta, dont_filter=True)

    def _timemap_requests(self, original: str) -> Iterator[Request]:
        if original in self._timemap_asked:
            return
        self._timemap_asked.add(original)
        for archive in self.archives:
            if archive.kind == "timemap":
                meta = {ROLE_META: TIMEMAP_ROLE, "archive": archive, "original": original}
                yield Request(
                    timemap_url(archive, original), callback=self.parse_timemap, errback=self.failed, priority=10, meta=meta
                )

    def _memento_requests(self, mementos: list[Memento]) -> Iterator[Request]:
        chosen = choose(
            mementos, self.selection, canonical=self.source.url_form.canonical, is_article=self.source.is_article_url,
            is_held=self.is_held, since=bound(self.since, end=False), until=bound(self.until, end=True),
        )
        for url, memento in chosen:
            self._count("found")
            self._count("found/article")
            yield Request(
                memento.raw_url, callback=self.parse_memento, errback=self.failed,
                meta={
                    ROLE_META: MEMENTO_ROLE, MEMENTO_META: memento,
                    # the archive's redirect or error is a capture of that, kept as it came
                    "dont_redirect": True, "handle_httpstatus_all": True,
                },
            )
            yield from self._timemap_requests(url)

    # -- callbacks -------------------------------------------------------

    def parse_cdx(self, response: Response) -> Iterator[Request]:
        archive: Archive = response.meta["archive"]
        if response.status != 200:
            self._count("cdx_failed")
            self.logger.error("%s: the CDX server %s answered HTTP %s", self.name, archive.url, response.status)
            return
        answer = parse_answer(response.body, archive)
        self._count_n("cdx_captures", len(answer.mementos))
        if answer.malformed:
            self._count_n("cdx_malformed", len(answer.malformed))
            self.logger.warning(
                "%s: %d line(s) of %s's CDX answer unreadable, left out; the first: %r",
                self.name, len(answer.malformed), archive.url, answer.malformed[0],
            )
        yield from self._memento_requests(answer.mementos)
        if answer.resume_key and answer.resume_key != response.meta.get("resume_key"):
            yield self._cdx_request(archive, response.meta["domain"], answer.resume_key)

    def parse_timemap(self, response: Response) -> Iterator[Request]:
        if response.status != 200:
            return  # 404: the archive holds nothing of that URL
        found = parse_timemap(response.body, response.meta["archive"], response.meta["original"])
        if found.malformed:
            self._count_n("timemap_malformed", len(found.malformed))
        yield from self._memento_requests(found.mementos)

    def parse_memento(self, response: Response) -> Iterator[Request]:
        if response.status == 200:
            self._count("recovered")
            if digest_check(response.meta[MEMENTO_META].digest, response.body) == "mismatch":
                self._count("recovered/digest_mismatch")
                self.logger.warning(
                    "%s: %s does not match the digest its archive gives: stored, and flagged", self.name, response.url
                )
        elif response.status == 429 or response.status >= 500:
            # the archive failing (after the retries), not a capture it holds: asked again next run
            self._count("failed")
            self._count(f"failed/http_{response.status}")
            self.logger.warning("%s: %s answered HTTP %s; asked again by the next run", self.name, response.url, response.status)
        else:
            self._count("memento_not_a_page")
            self.logger.info("%s: %s is the archive's capture of HTTP %s: kept, not an article", self.name, response.url, response.status)
        return iter(())

    def failed(self, failure: Failure) -> Iterator[Request]:
        request = failure.request
        if failure.check(NotArchived):
            return iter(())
        if failure.check(IgnoreRequest):
            self._count("skipped")
            self.logger.info("%s: skipped %s: %s", self.name, request.url, failure.getErrorMessage())
        else:
            self._count("failed")
            self._count(f"failed/{failure.type.__name__}")
            self.logger.error("%s: cannot fetch %s: %s", self.name, request.url, failure.getErrorMessage() or failure.type.__name__)
        return iter(())

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(STAT.format(key))

    def _count_n(self, key: str, n: int) -> None:
        self.crawler.stats.inc_value(STAT.format(key), n)

    def closed(self, reason: str) -> None:
        for why, n in self.selection.left_out.items():
            self.crawler.stats.set_value(STAT.format(f"left_out/{why}"), n)
