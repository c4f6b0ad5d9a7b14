"""Scrapy's HTTP/1.1 download handler, keeping each response's head as received.

Scrapy hands a middleware the response's headers as a dict: names
title-cased, their order among different names lost, the reason phrase
gone, and the hop-by-hop headers Twisted consumed (``Transfer-Encoding``)
missing. Heritrix and warcprox store the head as it came off the socket;
this handler makes that possible. Twisted's parser receives every line of
the head through ``lineReceived`` (Scrapy's ``_LenientHTTPClientParser``);
the parser here keeps those lines, and the handler puts them into
``request.meta[RAW_HEAD_META]`` before the body is read, for the WARC
capture middleware to store (:func:`archive.warc.received_head.received_response_head`).

It builds on private classes of ``scrapy.core.downloader.handlers.http11``
(there is no public hook for the parser): ``tests/test_raw_head.py`` crawls
a raw-socket server through it, so a Scrapy release that changes them fails
there. HTTP/2 responses have no such head; they are stored as before.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ScrapyAgent,
)
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.web._newclient import STATUS  # the parser's state before a status line

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

#: ``request.meta`` key: the response head's lines as received (a tuple of
#: bytes, each without its ``\n``: status line, header lines, blank line).
RAW_HEAD_META = "archive_raw_head"


class _RawHeadParser(_LenientHTTPClientParser):
    """Scrapy's lenient parser, keeping the lines of the head it parses.

    An instance is made by Twisted as an ``HTTPClientParser`` and given this
    class afterwards (as Scrapy itself does), so its state is made on first
    use. A 1xx head the parser skips is forgotten when the next status line
    arrives.
    """

    def lineReceived(self, line: bytes) -> None:
        if self.state == STATUS:
            self.received_head = []
        self.received_head.append(line)
        super().lineReceived(line)


class _RawHeadProtocol(_LenientHTTP11ClientProtocol):
    def request(self, request: Any) -> Deferred:
        d = super().request(request)
        parser = self._parser
        parser.__class__ = _RawHeadParser

        def attach(response: Any) -> Any:
            response._archive_raw_head = tuple(getattr(parser, "received_head", ()))
            return response

        d.addCallback(attach)
        return d


class _RawHeadFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr: Any) -> _RawHeadProtocol:
        return _RawHeadProtocol(self._quiescentCallback)


class _RawHeadAgent(_ScrapyAgent):
    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
        head = getattr(txresponse, "_archive_raw_head", None)
        if head:
            request.meta[RAW_HEAD_META] = head
        else:
            request.meta.pop(RAW_HEAD_META, None)
        return super()._cb_bodyready(txresponse, request)


class RawHeadDownloadHandler(HTTP11DownloadHandler):
    """``DOWNLOAD_HANDLERS`` for ``http`` and ``https``: Scrapy's, plus the head as received."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._pool._factory = _RawHeadFactory

    async def download_request(self, request: Request) -> Response:
        # HTTP11DownloadHandler.download_request, with our agent: Scrapy names
        # _ScrapyAgent there and offers no way to give another.
        request.meta.pop(RAW_HEAD_META, None)  # a retry's copy of an earlier attempt's
        agent = _RawHeadAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
