"""The spider of ``mediarchive add``: single pages archived now, each with
its requisites, like ``wget URL``.

Each URL given is fetched as an article (so its capture's metadata says
``role=article`` and the indexer extracts it, whatever its source's
``article_pattern`` says), unconditionally: no ``If-None-Match`` from what
the archive holds, so adding a page twice archives it twice. Its
stylesheets, images, fonts and scripts are fetched as a crawl fetches an
article's (by the source's ``requisites`` and ``requisite_domains``), its
links never. What became of each URL is kept in its :class:`Added`, handed
in by the run (:mod:`crawler.adding`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.sources import Source
from crawler.discovery import Role
from crawler.failures import cause_of
from crawler.middlewares.warccapture import ROLE_HOLDS_META
from crawler.spiders.source import ROLE_META, NotArchived, SourceSpider, page_tree

#: The URL given to ``add`` a request is for: the page's own, its redirects' and its requisites'.
ADDED_META = "archive_added"


@dataclass
class Added:
    """One URL given to ``add``, and what became of it."""

    url: str
    #: the source it is filed under (None: no source)
    source: str | None = None
    status: int | None = None
    #: where it led (a redirect's target), once fetched
    final_url: str | None = None
    #: why it could not be fetched, or its error status (``HTTP 404``)
    error: str | None = None
    requisites_archived: int = 0
    requisites_failed: int = 0
    #: from the index, once the run has indexed it
    title: str | None = None
    replay_url: str | None = None

    @property
    def archived(self) -> bool:
        """Archived with a status below 400."""
        return self.status is not None and self.status < 400

    @property
    def problem(self) -> str | None:
        if self.archived:
            return None
        if self.status is not None:
            return f"HTTP {self.status} (archived)"
        return self.error or "not fetched"


def add_spider_class(source: Source, *, listed: bool) -> type[AddSpider]:
    """An add spider bound to ``source``, named after it (its WARC files'
    prefix); ``listed``: a source of the sources file, else the pages are
    filed under no source."""
    return type(
        f"AddSpider_{source.name}",
        (AddSpider,),
        {
            "name": source.name, "source": source, "allowed_domains": list(source.allowed_domains),
            "archive_source_name": source.name if listed else "",
        },
    )


class AddSpider(SourceSpider):
    name = "add"
    #: the ``source`` field of the capture's metadata record (crawler.middlewares.warccapture)
    archive_source_name = ""

    def __init__(self, *args: Any, pages: Mapping[str, Added] | None = None, state: Any = None, **kwargs: Any):
        super().__init__(*args, state=None, **kwargs)  # nothing known: every page fetched in full, never a 304
        #: this spider's pages: those filed under its source (every spider of the run is handed them all)
        self.pages = {url: added for url, added in (pages or {}).items() if (added.source or "") == self.archive_source_name}

    async def start(self) -> AsyncIterator[Request]:
        for added in self.pages.values():
            # each URL fetched, even one another URL given redirects to; where it leads, whatever
            # the host, is the page asked for (as wget follows a redirect)
            request = self._request(added.url, Role.ARTICLE, hops=0).replace(dont_filter=True)
            request.meta.update({ADDED_META: added.url, ROLE_HOLDS_META: True, "allow_offsite": True})
            yield request

    def parse_page(self, response: Response) -> Iterator[Request]:
        """The page given: its requisites, never its links."""
        added = self.pages.get(response.meta.get(ADDED_META))
        if added is not None:
            added.status, added.final_url = response.status, response.url
        if not isinstance(response, TextResponse) or not self.source.requisites:
            return
        for request in self._requisites(page_tree(response), response.url, response.meta.get("archive_hops", 0) + 1):
            request.meta[ADDED_META] = response.meta.get(ADDED_META)
            yield request

    def parse_requisite(self, response: Response) -> Iterator[Request]:
        added = self.pages.get(response.meta.get(ADDED_META))
        if added is not None:
            added.requisites_archived += 1
        yield from ()

    def failed(self, failure: Failure) -> Iterator[Request]:
        meta = failure.request.meta
        added = self.pages.get(meta.get(ADDED_META))
        if added is not None and meta.get(ROLE_META) == Role.ARTICLE.value:
            if failure.check(HttpError):  # archived, with its error status
                response = failure.value.response
                added.status, added.final_url = response.status, response.url
            added.error = failure.getErrorMessage() if failure.check(NotArchived) else cause_of(failure)
        elif added is not None:
            added.requisites_failed += 1
        yield from super().failed(failure)
