"""Scrapy settings for mediarchive's crawler.

Polite defaults for real sites; a source's own `delay`, `concurrency`,
`user_agent` and `max_pages` from the sources file are applied per spider
(see `crawler.spiders.source.SourceSpider.update_settings`). The archive's own
settings are grouped under ``ARCHIVE_*``.
"""

BOT_NAME = "mediarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# One spider per source of the sources file: `scrapy list`, `scrapy crawl NAME`.
SPIDER_LOADER_CLASS = "crawler.spiderloader.SourceSpiderLoader"

ROBOTSTXT_OBEY = True
USER_AGENT = "mediarchive (+https://github.com/mediarchive/mediarchive)"
DOWNLOAD_DELAY = 2.0
DOWNLOAD_DELAY_JITTER = 0.5  # each delay between 0.5 and 1.5 times DOWNLOAD_DELAY
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 60  # a source's `timeout`
# A body is archived up to ARCHIVE_MAX_BODY_SIZE (a source's `max_body_size`)
# and marked WARC-Truncated there (crawler.middlewares.bodycap), not dropped
# as Scrapy's DOWNLOAD_MAXSIZE would drop it: that one is off.
ARCHIVE_MAX_BODY_SIZE = 64 * 1024 * 1024
DOWNLOAD_MAXSIZE = 0
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# Scrapy's HTTP/1.1 handler, keeping each response's status line and header
# lines as received, for the WARC capture to store them byte for byte.
DOWNLOAD_HANDLERS = {
    "http": "crawler.rawhead.RawHeadDownloadHandler",
    "https": "crawler.rawhead.RawHeadDownloadHandler",
}

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# br and zstd bodies are handled badly by warcio's readers and by pywb.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ru,en;q=0.8,*;q=0.5",
    "Accept-Encoding": "gzip, deflate",
}

# The spider yields requests only, no items: Scrapy hands a callback's output
# to CONCURRENT_ITEMS tasks at once (100 by default), made anew for every
# response, which cost about 1 ms of CPU a page for nothing to run in parallel.
CONCURRENT_ITEMS = 1

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's own lets requests sent while robots.txt downloads go unchecked.
    "crawler.middlewares.robotstxt.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    # 429/503 with Retry-After: wait as the server asks, back the host off.
    "crawler.middlewares.retryafter.RetryAfterMiddleware": 555,
    # Scrapy's own downloads the Public Suffix List behind the crawl's back.
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.cookies.CookiesMiddleware": 700,
    # Closest to the network: sees bodies still content-encoded, and every
    # redirect, error and retry attempt.
    "crawler.middlewares.warccapture.WarcCaptureMiddleware": 950,
}
# An unattended archiver listens on nothing: no telnet console, and not
# Scrapy 2.19's RemoteControl (an HTTP endpoint that runs Python code).
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    # with a JOBDIR (ARCHIVE_QUEUE_DIR) it would replace the spider's ``state``,
    # what the archive holds, by a pickle of its own: the frontier journal resumes a crawl
    "scrapy.extensions.spiderstate.SpiderState": None,
    "crawler.middlewares.bodycap.BodySizeCap": 100,
}
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

ARCHIVE_WARC_ENABLED = True
ARCHIVE_WARC_DIR = "data/warcs"
# A crawl's WARC files are segments, each indexed while the crawl writes the
# next: the first closed at FIRST_SIZE bytes, each next at twice the size of
# the one before up to MAX_SIZE, or at MAX_AGE seconds (0: no age limit).
ARCHIVE_WARC_FIRST_SIZE = 1_000_000
ARCHIVE_WARC_MAX_SIZE = 16_000_000
ARCHIVE_WARC_MAX_AGE = 60.0
ARCHIVE_WARC_GZIP = True
# zlib level of each record's gzip member (every record is its own member):
# 1 fastest, 9 smallest (warcio's own). 6 keeps nearly all of 9's compression
# (files 0.3-0.4% larger) for 58-74% of its CPU; 1 takes 55-61% of 6's CPU
# for files 10% larger (bench/warc_gzip.py; figures in bench/results/misses.md).
ARCHIVE_WARC_GZIP_LEVEL = 6
# A WARC file is not opened with less than this free in its directory: the
# crawl stops with one line instead of filling the disk to the last byte.
ARCHIVE_MIN_FREE_MB = 100
ARCHIVE_SOURCES_FILE = "config/sources.yaml"
# Where each source's frontier (found, not yet finished) is journaled, so
# that the run after one that stopped early fetches it; empty: not kept.
ARCHIVE_FRONTIER_DIR = ""
# Where each source's scheduled requests wait, on disk (Scrapy's disk queues,
# as JOBDIR/<source>): a sitemap of 100,000 articles otherwise holds 100,000
# Request objects in memory (600 MB). Scratch space of one run, emptied when
# the next starts; empty: requests wait in memory.
ARCHIVE_QUEUE_DIR = ""
ARCHIVE_RETRY_AFTER_MAX = 600
# seconds before retrying a 429/503 without Retry-After, doubling each time (0: at once, by RetryMiddleware)
ARCHIVE_RETRY_BACKOFF = 0.0
ARCHIVE_OPERATOR = ""

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
