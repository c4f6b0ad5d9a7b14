"""A body archived up to a size cap, and marked so, instead of dropped.

Scrapy's own cap (``DOWNLOAD_MAXSIZE``) cancels a download that goes past
it and the page is lost; Heritrix keeps what it received and marks the
record ``WARC-Truncated: length``. This extension does that: once a
response's body passes ``ARCHIVE_MAX_BODY_SIZE`` bytes (a source's
``max_body_size``), the download stops (Scrapy's ``StopDownload``, with the
response kept) and the request is marked; the WARC capture stores the body
cut at the cap, with ``WARC-Truncated: length``. The bytes counted are those
stored: after chunked framing, before Content-Encoding.
"""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload

#: Request meta: the bytes of body received so far, and (once past it) the cap.
RECEIVED_META = "archive_body_received"
TRUNCATED_META = "archive_truncated_at"


class BodySizeCap:
    def __init__(self, cap: int):
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodySizeCap:
        cap = crawler.settings.getint("ARCHIVE_MAX_BODY_SIZE")
        if cap <= 0:
            raise NotConfigured("ARCHIVE_MAX_BODY_SIZE is 0: no cap of ours")
        extension = cls(cap)
        crawler.signals.connect(extension.headers_received, signal=signals.headers_received)
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        return extension

    def headers_received(self, request: Request) -> None:
        # a new response: a retry or a redirect's request carries the meta of the one before
        request.meta[RECEIVED_META] = 0
        request.meta.pop(TRUNCATED_META, None)

    def bytes_received(self, data: bytes, request: Request) -> None:
        received = request.meta.get(RECEIVED_META, 0) + len(data)
        request.meta[RECEIVED_META] = received
        if received > self.cap:
            request.meta[TRUNCATED_META] = self.cap
            raise StopDownload(fail=False)
