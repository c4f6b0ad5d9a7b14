"""robots.txt obeyed for every request, including those sent together.

Scrapy 2.19's ``RobotsTxtMiddleware`` makes the requests that arrive while a
host's robots.txt is still downloading wait on one shared Deferred; the first
waiter's callback consumes its result, so later waiters get ``None`` and go
out unchecked. A crawl seeded with start pages, feeds and sitemaps at once
hits exactly that. Here each waiter gets its own Deferred, relayed from the
shared one without consuming it. A robots.txt that cannot be fetched is
logged as one line (Scrapy logs a traceback) and the host is crawled as if
it had none, as Scrapy does. The robots.txt of a host a requisite is
fetched from outside the source's domains (a CDN, ``allow_offsite``) is
fetched and obeyed the same way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots_request = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                # a requisite's host outside the source's domains (a CDN) is asked too
                meta={"dont_obey_robotstxt": True, "allow_offsite": bool(request.meta.get("allow_offsite"))},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, netloc, request)
            except Exception as exc:  # noqa: BLE001 - any download failure, as Scrapy catches
                if not isinstance(exc, IgnoreRequest):
                    logger.warning(
                        "cannot fetch %s (%s); crawling %s as if it had none",
                        robots_request.url, str(exc) or type(exc).__name__, netloc,
                    )
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")

        parser = self._parsers[netloc]
        if not isinstance(parser, Deferred):
            return parser
        waiter: Deferred[Any] = Deferred()

        def relay(result: Any) -> Any:
            waiter.callback(result)
            return result  # keep it for the next waiter

        parser.addBoth(relay)
        return await maybe_deferred_to_future(waiter)
