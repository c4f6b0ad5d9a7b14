"""The one generic spider: crawls a source of the sources file.

Discovery starts from the source's start pages, feeds and sitemaps; links are
followed inside ``allowed_domains`` by the source's patterns (see
:mod:`crawler.discovery`). The spider yields no items: every exchange is
written to WARC by :class:`crawler.middlewares.warccapture.WarcCaptureMiddleware`, and the
index is built from the WARC files afterwards.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import date
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.selector import Selector
from twisted.python.failure import Failure

from archive.sources import Source
from archive.index.frontier import SUFFIX as FRONTIER_SUFFIX, Frontier
from archive.index.schedule import Known
from crawler.discovery import (
    LinkFinder, Role, classify_entry, denied, feed_entries, in_domains, requisite_allowed, requisites_in, sitemap_entries,
)
from crawler.failures import count_failure

ROLE_META = "archive_role"
#: How many listing pages away from a seed a page is.
DEPTH_META = "archive_listing_depth"
#: The start page a listing page was reached from (its routine run's budget of listings is that seed's).
SEED_META = "archive_seed"
#: (template, number, pages in a row with nothing new) of a numbered archive page.
PAGE_META = "archive_page"
#: A backfill stops after this many numbered pages in a row held nothing new.
BACKFILL_PATIENCE = 10
#: A start page linking at least this many of a backfill's monthly archive
#: pages lists the site's archive: months older than its newest that it does
#: not link are months the site has no page for (a "recent months" box links fewer).
ARCHIVE_LIST_MIN = 24
#: The archive's newest full capture of a URL fetched again (an archive.index.schedule.Known).
PREVIOUS_META = "archive_previous"
STAT = "archive/{}"
#: The memento (archive.mementos.memento.Memento) a request of ``recover`` fetches.
MEMENTO_META = "archive_memento"

if TYPE_CHECKING:
    from lxml import etree


def backfill_seeds(templates: tuple[str, ...], since: str | None, today: date) -> Iterator[tuple[str, tuple | None]]:
    """The first pages of a backfill: every month back to ``since`` for
    templates with {year}/{month}; page 1 for templates with {page} (the
    next page is asked for while a page holds something new)."""
    first = date.fromisoformat(since) if since else date(today.year - 1, today.month, 1)
    for template in templates:
        if "{page" in template:
            yield template.format(page=1), (template, 1, 0)
            continue
        year, month = today.year, today.month
        while (year, month) >= (first.year, first.month):
            yield template.format(year=year, month=month), None
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)


class NotArchived(IgnoreRequest):
    """A response that could not be written to WARC (a full disk): the URL
    stays in the frontier, for the next run."""


def finishes(callback: Callable[..., Iterator[Request]]) -> Callable[..., Iterator[Request]]:
    """A callback whose response counts as finished in the frontier once
    every request it yields has been scheduled (and so journaled)."""

    @wraps(callback)
    def wrapper(self: SourceSpider, response: Response) -> Iterator[Request]:
        yield from callback(self, response)
        self._finish(response.request, response.meta)

    return wrapper


def page_tree(response: TextResponse) -> etree._Element:
    """The page's one lxml tree, for everything the spider reads of it:
    Scrapy's own selector's (parsed once, kept with the response) for an HTML
    response, an HTML parse of the text for any other (XHTML served as XML,
    a page served as text/plain), as links on such pages were always read."""
    selector = response.selector if isinstance(response, HtmlResponse) else Selector(response, type="html")
    return selector.root


def spider_class_for(source: Source) -> type[SourceSpider]:
    """A spider class bound to one source, named after it."""
    return type(
        f"SourceSpider_{source.name}",
        (SourceSpider,),
        {"name": source.name, "source": source, "allowed_domains": list(source.allowed_domains)},
    )


class SourceSpider(Spider):
    name = "source"
    source: Source

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        source = getattr(cls, "source", None)
        if source is None:
            return
        per_source = {
            "DOWNLOAD_DELAY": source.delay,
            # delay 0 asks for no politeness pause at all (local sites, tests)
            "AUTOTHROTTLE_ENABLED": source.delay > 0,
            "AUTOTHROTTLE_START_DELAY": max(source.delay, 0.01),
            "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrency,
            "DOWNLOAD_TIMEOUT": source.timeout,
            "ARCHIVE_MAX_BODY_SIZE": source.max_body_size,
            "DOWNLOAD_WARNSIZE": min(16 * 1024 * 1024, source.max_body_size),
            "USER_AGENT": source.user_agent,
            "ROBOTSTXT_OBEY": source.obey_robots,
        }
        if source.max_pages:
            per_source["CLOSESPIDER_PAGECOUNT"] = source.max_pages
        queues = settings.get("ARCHIVE_QUEUE_DIR")
        if queues:  # requests wait on disk, not in memory (see crawler.settings)
            per_source["JOBDIR"] = str(Path(queues) / source.name)
        settings.setdict(per_source, priority="spider")

    def __init__(
        self,
        *args: Any,
        state: Mapping[str, Known] | None = None,
        backfill: bool = False,
        since: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()
        #: What the archive already holds of this source (from the index).
        self.state: Mapping[str, Known] = state or {}
        #: A backfill walks archives and pagination back to ``since``;
        #: a routine run reads only the first ``routine_pages`` listing pages.
        self.backfill = backfill
        self.since = since or self.source.backfill_since
        #: What was discovered and not finished, this run and the ones before
        #: (see archive.index.frontier); None when ARCHIVE_FRONTIER_DIR is unset.
        self.frontier: Frontier | None = None
        #: The source's links on a page, memoised across pages.
        self.link_finder = LinkFinder(self.source)
        #: In a routine run, the listing pages each start page may still lead to
        #: (``routine_pages`` in all: a sidebar of every monthly archive is for a backfill).
        self._listings_left: dict[str, int] = {}
        #: A backfill's monthly archive pages (per template, newest first), held
        #: until a start page says which months the site has; None once released.
        self._held_months: dict[str, list[str]] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        folder = crawler.settings.get("ARCHIVE_FRONTIER_DIR")
        if folder:
            spider.frontier = Frontier(Path(folder) / f"{spider.name}{FRONTIER_SUFFIX}")
            crawler.signals.connect(spider._close_frontier, signal=signals.spider_closed)
        return spider

    def _close_frontier(self, reason: str) -> None:
        self.frontier.close(completed=reason == "finished")

    async def start(self) -> AsyncIterator[Request]:
        for url in self.source.start_urls:
            request = self._request(url, Role.LISTING, hops=0)
            request.meta[SEED_META] = url
            yield request
        for url in self.source.feeds:
            yield self._request(url, Role.FEED, hops=0)
        for url in self.source.sitemaps:
            yield self._request(url, Role.SITEMAP, hops=0)
        if self.backfill:
            months: dict[str, list[str]] = {}
            for template in self.source.backfill_urls:
                for url, page in backfill_seeds((template,), self.since, date.today()):
                    if page is None:
                        months.setdefault(template, []).append(url)
                        continue
                    request = self._request(url, Role.LISTING, hops=0)
                    request.meta[PAGE_META] = page
                    yield request
            self._held_months = months
            if not self.source.start_urls:
                for request in self._release_months(set()):
                    yield request
        # what an earlier run found and did not finish (it stopped early)
        if self.frontier is not None and self.frontier.resumed:
            self.logger.info("%s: resuming %d URL(s) an earlier run found", self.name, len(self.frontier.resumed))
            for url, role in list(self.frontier.pending.items()):
                for request in self._new(url, Role(role), hops=1):
                    request.meta[DEPTH_META] = 1
                    yield request
        # known articles due for a re-check, found on a listing page or not
        for known in self.state.values():
            if known.is_article and known.due and known.url not in self._seen:
                yield self._request(known.url, Role.ARTICLE, hops=0)

    # -- callbacks -------------------------------------------------------

    @finishes
    def parse_page(self, response: Response) -> Iterator[Request]:
        """A listing or an article: follow the links the patterns allow.

        Article links are always followed. Listing links (pagination,
        archives) are followed while the listing holds something new, and in
        a routine run only to ``routine_pages`` listings from a seed, in all
        (not a page: a start page's sidebar may link every monthly archive)."""
        is_start = response.meta.get(SEED_META) == response.url
        if not isinstance(response, TextResponse):
            if is_start:
                yield from self._release_months(set())
            return
        hops = response.meta.get("archive_hops", 0) + 1
        depth = response.meta.get(DEPTH_META, 0)
        tree = page_tree(response)
        links = self.link_finder.links(tree, response.url)
        if is_start:
            yield from self._release_months({url for url, role in links if role is Role.LISTING})
        fresh = any(role is Role.ARTICLE and url not in self.state for url, role in links)
        is_listing = response.meta.get(ROLE_META) == Role.LISTING.value
        follow_listings = (fresh or depth == 0) and (self.backfill or depth < self.source.routine_pages)
        if is_listing and not fresh and depth > 0:
            self._count("listing_nothing_new")
        if is_listing:  # what the listings yield, run after run (archive.index.drift)
            self.crawler.stats.inc_value(STAT.format("listing_articles"), sum(role is Role.ARTICLE for _, role in links))
        page = response.meta.get(PAGE_META) or self._numbered_page(response.url)
        if page is not None:
            # numbered archive pages: go on while they list articles, until
            # BACKFILL_PATIENCE pages in a row held nothing new
            template, number, stale = page
            stale = 0 if fresh else stale + 1
            if stale < BACKFILL_PATIENCE and any(role is Role.ARTICLE for _, role in links):
                for request in self._new(template.format(page=number + 1), Role.LISTING, hops):
                    request.meta[PAGE_META] = (template, number + 1, stale)
                    yield request
            else:
                self.logger.info("%s: backfill of %s stops at page %d", self.name, template, number)
        from_article = response.meta.get(ROLE_META) == Role.ARTICLE.value
        if from_article and self.source.requisites:
            yield from self._requisites(tree, response.url, hops)
        seed = response.meta.get(SEED_META) or response.url
        for url, role in links:
            if role is Role.LISTING and (not follow_listings or page is not None):
                continue  # a numbered page's own pagination is driven by its template
            if role is Role.LISTING and not self.backfill and not self._listings_left.setdefault(seed, self.source.routine_pages):
                self._count("listing_budget_spent")
                continue
            if role is Role.ARTICLE and from_article and self.source.byline:
                continue  # an author's source finds its articles on the author's pages, not in "related" links
            for request in self._new(url, role, hops):
                request.meta[DEPTH_META] = depth + 1
                request.meta[SEED_META] = seed
                if role is Role.LISTING and not self.backfill:
                    self._listings_left[seed] -= 1
                yield request


    @finishes
    def parse_requisite(self, response: Response) -> Iterator[Request]:
        """A stylesheet, image or script: archived, nothing to follow."""
        yield from ()

    @finishes
    def parse_feed(self, response: Response) -> Iterator[Request]:
        if response.status == 304:
            return
        try:
            urls = feed_entries(response.body, response.url)
        except ValueError as exc:
            self._count("feed_errors")
            self.logger.warning("%s: %s is not a readable feed (%s)", self.name, response.url, exc)
            return
        for url in urls:
            url = self.link_finder.canonical(url)
            role = classify_entry(url, self.source)
            if role is Role.ARTICLE:
                self._count("feed_articles")
            if role is not None:
                yield from self._new(url, role, 1)

    @finishes
    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if response.status == 304:
            return
        try:
            entries = sitemap_entries(response.body, response.url)
        except ValueError as exc:
            self._count("sitemap_errors")
            self.logger.warning("%s: %s is not a readable sitemap (%s)", self.name, response.url, exc)
            return
        for url in entries.urls:
            if entries.is_index:
                yield from self._new(url, Role.SITEMAP, 1)
                continue
            url = self.link_finder.canonical(url)
            role = classify_entry(url, self.source)
            if role is not None:
                yield from self._new(url, role, 1)

    def failed(self, failure: Failure) -> Iterator[Request]:
        request = failure.request
        if request.meta.get(SEED_META) == request.url:
            yield from self._release_months(set())  # the start page cannot say which months exist
        if failure.check(NotArchived):
            return  # counted and said once by the WARC capture; fetched again next run
        self._finish(request, request.meta)
        count_failure(failure, self._count, self.logger, self.name)

    def _release_months(self, listed: set[str]) -> Iterator[Request]:
        """The backfill's monthly archive pages, once: those of the months the
        site has, when ``listed`` (a start page's listing links) names
        enough of them to be the site's own list of its archive."""
        held, self._held_months = self._held_months, None
        for template, months in (held or {}).items():
            said = [url for url in months if url in listed]
            if len(said) >= ARCHIVE_LIST_MIN:
                newest = months.index(said[0])  # months after the newest listed may be newer than the page
                kept = months[:newest] + said
                skipped = len(months) - len(kept)
                if skipped:
                    self.crawler.stats.inc_value(STAT.format("backfill_months_not_listed"), skipped)
                    self.logger.info("%s: the archive lists no page for %d month(s) of %s; not asked for",
                                     self.name, skipped, template)
                months = kept
            for url in months:
                yield from self._new(url, Role.LISTING, 0)

    def _numbered_page(self, url: str) -> tuple[str, int, int] | None:
        """(template, number, 0) when a backfill is on and ``url`` is one of
        the source's numbered archive pages, however it was reached."""
        if not self.backfill:
            return None
        for template in self.source.backfill_urls:
            if "{page}" in template:
                pattern = re.escape(template).replace(re.escape("{page}"), r"(\d+)")
                match = re.fullmatch(pattern, url)
                if match:
                    return template, int(match.group(1)), 0
        return None

    def role_of_redirect_target(self, url: str) -> str:
        """The role of a page a redirect led to, by the source's rules."""
        role = self.link_finder.classify(url)
        return role.value if role is not None else "redirect-target"

    # -- helpers ---------------------------------------------------------

    def _requisites(self, tree: etree._Element, page_url: str, hops: int) -> Iterator[Request]:
        """The page's stylesheets, images, fonts and scripts the source lets it fetch, not yet asked for."""
        for url, kind in requisites_in(tree, page_url):
            own = in_domains(url, self.source)
            if url not in self._seen and not denied(url, self.source) and (own or requisite_allowed(url, kind, self.source)):
                request = self._request(url, Role.REQUISITE, hops)
                request.meta["allow_offsite"] = not own  # a CDN's: as politely, its robots.txt obeyed too
                yield request

    def _new(self, url: str, role: Role, hops: int) -> Iterator[Request]:
        if url in self._seen:
            return
        known = self.state.get(url)
        if role is Role.ARTICLE and known is not None and not known.due:
            self._seen.add(url)
            self._count("known")  # archived already, no re-check due
            if self.frontier is not None:
                self.frontier.finish(url)
            return
        yield self._request(url, role, hops)

    def _request(self, url: str, role: Role, hops: int) -> Request:
        self._seen.add(url)
        self._count("found")
        if role is Role.ARTICLE:
            self._count("found/article")
        callback = {
            Role.FEED: self.parse_feed, Role.SITEMAP: self.parse_sitemap, Role.REQUISITE: self.parse_requisite,
        }.get(role, self.parse_page)
        priority = 10 if role in (Role.FEED, Role.SITEMAP) else (0 if role is Role.ARTICLE else 5)
        meta: dict[str, Any] = {ROLE_META: role.value, "archive_hops": hops}
        headers: dict[str, str] = {}
        known = self.state.get(url)
        # a page an earlier run captured but had not read to its end is read
        # again in full: a 304 would hide the links it holds
        unread = self.frontier is not None and url in self.frontier.resumed and role is not Role.ARTICLE
        if self.frontier is not None:
            self.frontier.add(url, role.value)
        if known is not None and known.record_id and not unread:
            # a re-fetch: ask conditionally; the capture becomes a revisit if unchanged
            meta[PREVIOUS_META] = known
            meta["handle_httpstatus_list"] = [304]
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
            self._count("rechecked")
        return Request(url, callback=callback, errback=self.failed, priority=priority, meta=meta, headers=headers)

    def _finish(self, request: Request, meta: Mapping[str, Any]) -> None:
        if self.frontier is not None:
            for url in (*meta.get("redirect_urls", ()), request.url):
                self.frontier.finish(url)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(STAT.format(key))
