"""Scrapy's cookie handling, without its one network call of its own.

``scrapy.downloadermiddlewares.cookies`` asks tldextract whether a cookie's
domain is a public suffix; tldextract's default downloads the Public Suffix
List from publicsuffix.org (and GitHub) on first use, outside Scrapy's
downloader, ignoring robots.txt and the archive's User-Agent, and logs a
traceback when it cannot. An archive crawler sends no request it does not
archive: this module points Scrapy at tldextract's bundled snapshot of the
list instead.
"""

from __future__ import annotations

import scrapy.downloadermiddlewares.cookies as scrapy_cookies
from tldextract import TLDExtract

#: The Public Suffix List as shipped inside tldextract: no download.
OFFLINE_SPLIT_DOMAIN = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)
scrapy_cookies._split_domain = OFFLINE_SPLIT_DOMAIN


class CookiesMiddleware(scrapy_cookies.CookiesMiddleware):
    """Scrapy's CookiesMiddleware, with the offline Public Suffix List."""
