"""Back off when a server says so: 429 and 503 responses with ``Retry-After``.

Scrapy's ``RetryMiddleware`` retries 429/503 at once; a polite archive waits
as long as the server asks (up to ``ARCHIVE_RETRY_AFTER_MAX`` seconds), and
slows every later request to that host to at least that pace. Responses
without ``Retry-After`` are left to ``RetryMiddleware``. Placed at 555 so it
sees the response before ``RetryMiddleware`` (550).

With ``ARCHIVE_RETRY_BACKOFF`` (seconds, 0: off) a 429 or 503 without
``Retry-After`` is retried here too, after a wait that doubles with each
attempt (``recover`` turns it on: web archives answer a busy spell so).
"""

from __future__ import annotations

import email.utils
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_to_future
from twisted.internet.task import deferLater

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)
BACKOFF_CODES = (429, 503)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an
    HTTP-date. None when absent or unreadable."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler, max_wait: float, max_retry_times: int, backoff: float = 0.0):
        self.crawler = crawler
        self.max_wait = max_wait
        self.max_retry_times = max_retry_times
        self.backoff = backoff

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_ENABLED is off")
        return cls(
            crawler, settings.getfloat("ARCHIVE_RETRY_AFTER_MAX"), settings.getint("RETRY_TIMES"),
            settings.getfloat("ARCHIVE_RETRY_BACKOFF"),
        )

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in BACKOFF_CODES or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        asked = wait is not None
        if wait is None:
            if not self.backoff:
                return response
            wait = min(self.backoff * 2 ** request.meta.get("retry_times", 0), self.max_wait)
        if wait > self.max_wait:
            logger.warning("%s asks to wait %.0f s (more than ARCHIVE_RETRY_AFTER_MAX=%.0f): not retrying", request.url, wait, self.max_wait)
            return response
        if asked:
            self._slow_down(request, wait)
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=f"{response.status} Retry-After {wait:.0f}s" if asked else f"{response.status} back-off {wait:.0f}s",
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
        )
        if retry is None:
            return response
        self.crawler.stats.inc_value("archive/retry_after" if asked else "archive/backoff")
        logger.info(
            "%s answered %s: waiting %.1f s %s", request.url, response.status, wait,
            "as Retry-After asks" if asked else "before asking again",
        )
        from twisted.internet import reactor  # the installed one, never at import time

        await deferred_to_future(deferLater(reactor, wait, lambda: None))
        return retry

    def _slow_down(self, request: Request, wait: float) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, min(wait, self.max_wait))
