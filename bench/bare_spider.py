"""Bare Scrapy over the bench site: the baseline of the pipeline benchmark.

The same discovery as the bench source (start page, feed, sitemap; article
links followed, listing pages to 5 from the start, as a routine run does) and
the same settings as ``mediarchive crawl`` gives that source (User-Agent,
request headers, robots.txt obeyed, per-host concurrency, no delay, no
AutoThrottle, retries, size limits), but Scrapy's stock middlewares only: no
WARC capture, no index. It fetches and parses; it keeps nothing.

    python -m bench.bare_spider BASE_URL [--concurrency 8] [--stats FILE] [--discovery SOURCES_FILE]

writes Scrapy's stats as JSON to FILE when given. With ``--discovery``, links
are found and classified by the project's own ``crawler.discovery`` (as the
source spider does) instead of a CSS selector and two regular expressions:
the difference between the two is the cost of that discovery, and what is
left between it and ``mediarchive crawl --no-index`` is the cost of archiving.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from crawler import settings as project

ARTICLE = re.compile(r"/articles/\d+\.html$")
LISTING = re.compile(r"/news/(\?page=\d+)?$")
ROUTINE_PAGES = 5  # archive.sources's default routine_pages


class BareSpider(Spider):
    name = "bare"

    def __init__(self, base: str, source=None, **kwargs):
        super().__init__(**kwargs)
        self.base = base.rstrip("/")
        self.seen: set[str] = set()  # as the source spider does: no Request for a URL already asked for
        #: with a source: its links found and classified by crawler.discovery, as the source spider does
        self.source = source
        if source is not None:
            from crawler.discovery import LinkFinder

            self.link_finder = LinkFinder(source)  # memoised across pages, as the source spider's

    async def start(self):
        yield Request(f"{self.base}/news/", callback=self.parse_page, meta={"depth_listing": 0})
        yield Request(f"{self.base}/feed.xml", callback=self.parse_feed, priority=10)
        yield Request(f"{self.base}/sitemap.xml", callback=self.parse_sitemap, priority=10)

    def parse_page(self, response: Response) -> Iterator[Request]:
        depth = response.meta.get("depth_listing", 0)
        if ARTICLE.search(response.url):
            self.crawler.stats.inc_value("bench/articles")
        if self.source is not None:
            yield from self.parse_with_discovery(response, depth)
            return
        for href in response.css("a::attr(href)").getall():
            if ARTICLE.search(href):
                yield from self.new(response.urljoin(href))
            elif depth < ROUTINE_PAGES and LISTING.search(href):
                yield from self.new(response.urljoin(href), priority=5, meta={"depth_listing": depth + 1})

    def parse_with_discovery(self, response: Response, depth: int) -> Iterator[Request]:
        from crawler.discovery import Role
        from crawler.spiders.source import page_tree

        for url, role in self.link_finder.links(page_tree(response), response.url):
            if role is Role.ARTICLE:
                yield from self.new(url)
            elif role is Role.LISTING and depth < ROUTINE_PAGES:
                yield from self.new(url, priority=5, meta={"depth_listing": depth + 1})

    def parse_feed(self, response: Response) -> Iterator[Request]:
        for url in response.xpath("//item/link/text()").getall():
            if ARTICLE.search(url):
                yield from self.new(url.strip())

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        for entry in Sitemap(response.body):
            if ARTICLE.search(entry["loc"]):
                yield from self.new(entry["loc"])

    def new(self, url: str, **kwargs) -> Iterator[Request]:
        if url not in self.seen:
            self.seen.add(url)
            yield Request(url, callback=self.parse_page, **kwargs)


def settings(concurrency: int) -> dict:
    return {
        "USER_AGENT": project.USER_AGENT,
        "DEFAULT_REQUEST_HEADERS": project.DEFAULT_REQUEST_HEADERS,
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": project.CONCURRENT_REQUESTS,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": project.DOWNLOAD_TIMEOUT,
        "DOWNLOAD_MAXSIZE": project.DOWNLOAD_MAXSIZE,
        "DOWNLOAD_WARNSIZE": project.DOWNLOAD_WARNSIZE,
        "RETRY_TIMES": project.RETRY_TIMES,
        "RETRY_HTTP_CODES": project.RETRY_HTTP_CODES,
        "COOKIES_ENABLED": False,  # ours keeps cookies without the Public Suffix List download; none are set here
        "EXTENSIONS": project.EXTENSIONS,
        "LOG_LEVEL": "WARNING",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--stats", help="write Scrapy's stats here as JSON")
    parser.add_argument("--discovery", metavar="SOURCES_FILE",
                        help="find and classify links with crawler.discovery, by the first source of this file")
    args = parser.parse_args(argv)
    source = None
    if args.discovery:
        from archive.sources import load_config

        source = load_config(args.discovery).sources[0]
    process = CrawlerProcess(settings(args.concurrency))
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, base=args.base, source=source)
    process.start()
    stats = crawler.stats.get_stats()
    if args.stats:
        with open(args.stats, "w", encoding="utf-8") as out:
            json.dump(stats, out, default=str, indent=1)
    return 0 if stats.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
