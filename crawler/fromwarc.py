"""A download handler that answers from WARC files instead of the network.

With ``ARCHIVE_FROM_WARC`` set to a list of WARC files, every http(s)
request is answered with the newest archived response for its URL, exactly
as stored (status line, headers, body still content-encoded, so the rest of
Scrapy works as on a live crawl). URLs the files do not hold answer 404 and
are logged and counted (``archive/from_warc/missing``). Used by
``mediarchive crawl --from-warc``: offline spider tests against captures of
the real sites, debugging a source, re-deriving from old captures.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from archive.warc.read import iter_records, read_record, transfer_decoded

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
#: Headers that described the stored message's framing, not its content.
FRAMING_HEADERS = {b"transfer-encoding", b"content-length", b"connection", b"keep-alive"}


@dataclass(frozen=True)
class ArchivedResponse:
    path: Path
    offset: int
    length: int
    captured_at: str


def url_index(paths: list[Path]) -> dict[str, ArchivedResponse]:
    """The newest ``response`` record of each URL in ``paths``."""
    newest: dict[str, ArchivedResponse] = {}
    for path in paths:
        for record in iter_records(path):
            if record.record_type != "response" or not record.url or record.status is None:
                continue
            current = newest.get(record.url)
            if current is None or (record.captured_at or "") >= current.captured_at:
                newest[record.url] = ArchivedResponse(path, record.offset, record.length, record.captured_at or "")
    return newest


class WarcReplayDownloadHandler(BaseDownloadHandler):
    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        paths = [Path(p) for p in crawler.settings.getlist("ARCHIVE_FROM_WARC")]
        if not paths:
            raise NotConfigured("ARCHIVE_FROM_WARC names no file")
        self.responses = url_index(paths)
        self.stats = crawler.stats
        logger.info("answering from %d archived URLs in %d WARC file(s)", len(self.responses), len(paths))

    async def download_request(self, request: Request) -> Response:
        archived = self.responses.get(request.url)
        if archived is None:
            self.stats.inc_value("archive/from_warc/missing")
            missing = self.stats.get_value("archive/from_warc/missing_urls") or []
            self.stats.set_value("archive/from_warc/missing_urls", [*missing, request.url])
            logger.info("not in the archive: %s (answered 404)", request.url)
            return Response(request.url, status=404, body=b"", request=request, flags=["from_warc", "missing"])
        record = read_record(archived.path, archived.offset, archived.length)
        headers = Headers()
        for name, value in record.http_headers.headers:
            if name.lower().encode("latin-1") not in FRAMING_HEADERS:
                headers.appendlist(name, value)
        body = transfer_decoded(record.raw_body or b"", record.http_headers)
        self.stats.inc_value("archive/from_warc/served")
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return cls(
            url=request.url, status=record.status or 200, headers=headers, body=body, request=request,
            flags=["from_warc"], protocol="HTTP/1.1",
        )
