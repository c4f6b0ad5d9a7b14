"""Why a request failed, in the words a crawl's summary uses: the cause a
user can act on (DNS, refused, timeout, TLS, robots.txt, an HTTP status),
not the exception's class."""

from __future__ import annotations

import logging
from collections.abc import Callable

from scrapy.exceptions import (
    CannotResolveHostError, DownloadConnectionRefusedError, DownloadFailedError, DownloadTimeoutError, IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

ROBOTS = "forbidden by robots.txt"


def count_failure(
    failure: Failure, count: Callable[[str], None], logger: logging.Logger | logging.LoggerAdapter, name: str,
) -> None:
    """Count a request's failure (``count(stat)``) by kind and by cause, and
    log it: robots.txt or another rule dropping a request is a skip, not a
    failure; an HTTP error status was archived; anything else never got a
    response."""
    from crawler.spiders.source import ROLE_META  # the spider's module imports this one

    request = failure.request
    role = request.meta.get(ROLE_META) or "other"
    cause = cause_of(failure)
    count(f"cause/{cause}")  # the summary names the causes
    if failure.check(IgnoreRequest) and not failure.check(HttpError):
        count("skipped")
        logger.info("%s: skipped %s: %s", name, request.url, failure.getErrorMessage())
    elif failure.check(HttpError):
        status = failure.value.response.status
        count("failed")
        count(f"failed/role/{role}")
        count(f"failed/http_{status}")
        logger.warning("%s: HTTP %s for %s (archived)", name, status, request.url)
    else:
        count("failed")
        count(f"failed/role/{role}")
        count(f"failed/{failure.type.__name__}")
        logger.error("%s: cannot fetch %s: %s (%s)", name, request.url, cause, failure.getErrorMessage() or failure.type.__name__)


def cause_of(failure: Failure) -> str:
    """The cause of a request's failure: ``DNS lookup failed``, ``connection
    refused``, ``timeout``, ``TLS``, ``forbidden by robots.txt``,
    ``HTTP <status>``, ``connection lost``; else the exception's name."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(net.DNSLookupError, CannotResolveHostError):
        return "DNS lookup failed"
    if failure.check(net.ConnectionRefusedError, DownloadConnectionRefusedError):
        return "connection refused"
    if failure.check(net.TimeoutError, net.TCPTimedOutError, DownloadTimeoutError):
        return "timeout"
    if failure.check(IgnoreRequest):
        return ROBOTS if "robots.txt" in failure.getErrorMessage() else "dropped by a rule"
    if _is_tls(failure.value):
        return "TLS"
    if failure.check(
        ResponseNeverReceived, ResponseFailed, net.ConnectionLost, net.ConnectionDone, DownloadFailedError, ResponseDataLossError,
    ):
        return "connection lost"
    return failure.type.__name__


def _is_tls(error: BaseException | None, depth: int = 0) -> bool:
    """A TLS handshake or certificate failure: the error itself, or what it
    wraps (Scrapy's download errors name their cause; Twisted's
    ResponseNeverReceived and ResponseFailed hold ``reasons``)."""
    from OpenSSL.SSL import Error as TLSError

    if error is None or depth > 5:
        return False
    if isinstance(error, TLSError):
        return True
    wrapped = [error.__cause__, error.__context__, *(reason.value for reason in getattr(error, "reasons", None) or ())]
    return any(_is_tls(inner, depth + 1) for inner in wrapped)


def summary(causes: dict[str, int]) -> str:
    """``timeout ×3, HTTP 404 ×1``: the commonest first."""
    return ", ".join(f"{cause} ×{count}" for cause, count in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])))
