"""Downloader middleware that writes every HTTP exchange to WARC.

Placed at order 950, closer to the network than ``HttpCompressionMiddleware``
(590) and ``RedirectMiddleware`` (600): it sees bodies still content-encoded,
and every redirect, error page and retry attempt, each of which is archived.
Robots.txt fetches pass through it too.

Files are written in segments (growing from ``ARCHIVE_WARC_FIRST_SIZE`` to
``ARCHIVE_WARC_MAX_SIZE`` bytes, or ``ARCHIVE_WARC_MAX_AGE`` seconds,
whichever comes first: :class:`~archive.warc.write.RollingWarcWriter`); each closed one is
announced with the :data:`warc_file_closed` signal (argument ``path``), so
that it can be indexed while the crawl goes on.

Settings: ``ARCHIVE_WARC_ENABLED``, ``ARCHIVE_WARC_DIR``,
``ARCHIVE_WARC_FIRST_SIZE``, ``ARCHIVE_WARC_MAX_SIZE``, ``ARCHIVE_WARC_MAX_AGE``,
``ARCHIVE_WARC_GZIP``, ``ARCHIVE_WARC_GZIP_LEVEL``,
``ARCHIVE_OPERATOR``.
"""

from __future__ import annotations

import email.utils
import logging
import time
from datetime import datetime, timezone
from http import HTTPStatus
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from archive.errors import DiskFull
from archive.mementos.memento import Memento, digest_check, outlet_headers
from archive.warc.records import IDENTICAL_PAYLOAD_DIGEST, SERVER_NOT_MODIFIED, RevisitOf, payload_digest
from archive.warc.write import RollingWarcWriter
from crawler.middlewares.bodycap import TRUNCATED_META
from crawler.rawhead import RAW_HEAD_META
from crawler.spiders.source import MEMENTO_META, PREVIOUS_META, ROLE_META, NotArchived

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http.headers import Headers
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

START_META = "archive_fetch_start"
#: The close reason of a crawl stopped by a full disk.
DISK_FULL = "disk_full"
STAT = "archive/{}"
#: Sent with ``path`` when a WARC file of the crawl is closed (complete, renamed).
warc_file_closed = object()
#: Set on a request whose role holds wherever it redirects (``add``'s pages: where one leads is the page asked for).
ROLE_HOLDS_META = "archive_role_holds"


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Every header value, repeated ones kept, decoded as latin-1 (bytes as sent)."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()  # each name with all its values
        for value in values
    ]


def revisit_for(request: Request, response: Response) -> RevisitOf | None:
    """A revisit when a re-fetch brought nothing new: a 304 to a conditional
    request, or a 200 whose payload is the one already archived."""
    previous = request.meta.get(PREVIOUS_META)
    if previous is None or previous.url != request.url or not previous.payload_digest or not previous.warc_date:
        return None
    if response.status == 304:
        profile = SERVER_NOT_MODIFIED
    elif 200 <= response.status < 300 and payload_digest(response.body) == previous.payload_digest:
        profile = IDENTICAL_PAYLOAD_DIGEST
    else:
        return None
    return RevisitOf(
        profile=profile,
        payload_digest=previous.payload_digest,
        refers_to_uri=previous.url,
        refers_to_date=previous.warc_date,
        refers_to=previous.record_id,
    )


def memento_fields(memento: Memento, response: Response) -> list[tuple[str, str]]:
    """What the metadata record of a memento's exchange says of it: the
    original URL, the archive's capture time, the archive, its digest, and
    whether the body received matches that digest."""
    fields = [
        ("mementoOf", memento.original),
        ("mementoDatetime", memento_datetime(memento, response).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("archive", memento.archive.name),
    ]
    if memento.digest:
        fields.append(("archiveDigest", memento.digest))
    if response.status == 200:
        fields.append(("payloadCheck", digest_check(memento.digest, response.body)))
    return fields


def memento_datetime(memento: Memento, response: Response) -> datetime:
    """The archive's capture time of what it served: its ``Memento-Datetime``
    (pywb serves the nearest capture to a time it does not hold exactly),
    else the time its index gave."""
    stated = response.headers.get("Memento-Datetime")
    if stated:
        try:
            moment = email.utils.parsedate_to_datetime(stated.decode("latin-1"))
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is not None:
            return moment.replace(tzinfo=moment.tzinfo or timezone.utc).astimezone(timezone.utc)
    return datetime.strptime(memento.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def gzip_setting(settings: BaseSettings) -> int | bool:
    """``ARCHIVE_WARC_GZIP_LEVEL`` (1 fastest, 9 smallest) when ``ARCHIVE_WARC_GZIP`` is on, else False."""
    if not settings.getbool("ARCHIVE_WARC_GZIP"):
        return False
    level = settings.getint("ARCHIVE_WARC_GZIP_LEVEL")
    if not 1 <= level <= 9:
        raise ValueError(f"ARCHIVE_WARC_GZIP_LEVEL must be a zlib level from 1 to 9, got {level}")
    return level


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class WarcCaptureMiddleware:
    def __init__(self, crawler: Crawler, writer: RollingWarcWriter):
        self.crawler = crawler
        self.stats = crawler.stats
        self.writer = writer
        writer.on_close = self._closed_file
        #: what the metadata records file the captures under: the spider's
        #: ``archive_source_name`` ("" for pages of no source: ``add``), else its name
        self.source_name = getattr(crawler.spider, "archive_source_name", crawler.spider.name) if crawler.spider else None
        #: a slow crawl's file is closed by age even between writes
        self._ager = LoopingCall(writer.roll_if_old) if writer.max_age else None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_WARC_ENABLED"):
            raise NotConfigured("ARCHIVE_WARC_ENABLED is off")
        prefix = crawler.spider.name if crawler.spider else settings.get("BOT_NAME")
        fields = {
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "isPartOf": prefix,
            "description": f"mediarchive crawl of source {prefix}",
        }
        if settings.get("ARCHIVE_OPERATOR"):
            fields["operator"] = settings.get("ARCHIVE_OPERATOR")
        writer = RollingWarcWriter(
            settings.get("ARCHIVE_WARC_DIR"),
            prefix,
            max_size=settings.getint("ARCHIVE_WARC_MAX_SIZE"),
            max_age=settings.getfloat("ARCHIVE_WARC_MAX_AGE") or None,
            first_size=settings.getint("ARCHIVE_WARC_FIRST_SIZE") or None,
            # a zlib level stands for "gzip, at this level" (archive.warc.serialize.gzip_level)
            gzip=gzip_setting(settings),
            warcinfo_fields=fields,
            min_free=settings.getint("ARCHIVE_MIN_FREE_MB") * 1024 * 1024,
        )
        return cls(crawler, writer)

    def process_request(self, request: Request) -> None:
        request.meta.setdefault(START_META, time.monotonic())

    def process_response(self, request: Request, response: Response) -> Response:
        started = request.meta.pop(START_META, None)
        received_head = request.meta.pop(RAW_HEAD_META, None)
        metadata = [("source", self.source_name or "")]
        role = request.meta.get(ROLE_META) or ("robots" if request.url.endswith("/robots.txt") else None)
        if (role and request.meta.get("redirect_urls") and not request.meta.get(ROLE_HOLDS_META)
                and hasattr(self.crawler.spider, "role_of_redirect_target")):
            # the meta of a redirected request is its origin's: judge the target by its own URL
            role = self.crawler.spider.role_of_redirect_target(request.url)
        if role:
            metadata.append(("role", role))
        referer = request.headers.get("Referer")
        if referer:
            metadata.append(("via", referer.decode("latin-1")))
        if "archive_hops" in request.meta:
            metadata.append(("hopsFromSeed", str(request.meta["archive_hops"])))
        if started is not None:
            metadata.append(("fetchTimeMs", str(round((time.monotonic() - started) * 1000))))
        revisit = revisit_for(request, response)
        memento = request.meta.get(MEMENTO_META)
        memento_of = None
        if memento is not None:
            metadata += memento_fields(memento, response)
            if response.status == 200:  # a redirect or an error the archive holds is no page
                memento_of = (memento.original, memento_datetime(memento, response), outlet_headers(header_pairs(response.headers)))
        try:
            self._write(request, response, metadata, revisit, memento_of, received_head)
        except DiskFull as exc:
            self._disk_full(exc)
            raise NotArchived(f"not archived: {exc.message}") from None
        self.stats.inc_value(STAT.format("captured"))
        self.stats.inc_value(STAT.format(f"captured/role/{role or 'other'}"))  # articles, requisites, the rest: apart
        if request.meta.pop(TRUNCATED_META, None):
            self.stats.inc_value(STAT.format("truncated"))
        if revisit is not None:
            self.stats.inc_value(STAT.format("revisits"))
        if response.status < 400 and role != "robots":
            self.stats.inc_value(STAT.format("captured/ok"))
        self.stats.inc_value(STAT.format(f"captured/status_{response.status}"))
        self.stats.set_value(STAT.format("warc_bytes"), self.writer.bytes_written)
        return response

    def _write(
        self, request: Request, response: Response, metadata: list, revisit: RevisitOf | None, memento_of=None, received_head=None
    ) -> None:
        cap = request.meta.get(TRUNCATED_META)  # the body went past the source's max_body_size: kept up to it
        self.writer.write_exchange(
            url=request.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body,
            status=response.status,
            reason=reason_phrase(response.status),
            protocol=response.protocol or "HTTP/1.1",
            response_headers=header_pairs(response.headers),
            received_head=received_head,
            body=response.body[:cap] if cap else response.body,
            truncated="length" if cap else None,
            ip_address=str(response.ip_address) if response.ip_address else None,
            metadata=metadata,
            revisit=revisit,
            memento_of=memento_of,
        )

    def _disk_full(self, exc: DiskFull) -> None:
        """Stop this source's crawl: fetching on would archive nothing."""
        if self.stats.get_value(STAT.format("disk_full")) is None:
            self.stats.set_value(STAT.format("disk_full"), exc.message)
            logger.error("%s; stopping the crawl", exc.message)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=DISK_FULL))

    def _closed_file(self, path) -> None:
        self.crawler.signals.send_catch_log(warc_file_closed, path=path)

    def spider_opened(self) -> None:
        if self._ager is not None:
            self._ager.start(min(self.writer.max_age, 5.0), now=False)

    def spider_closed(self) -> None:
        if self._ager is not None and self._ager.running:
            self._ager.stop()
        self.writer.close()
        self.stats.set_value(STAT.format("warc_files"), len(self.writer.files_written))
        self.stats.set_value(STAT.format("warc_bytes"), self.writer.bytes_written)
