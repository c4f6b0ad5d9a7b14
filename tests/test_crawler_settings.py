"""The crawler's components are wired as the WARC recipe needs."""

import scrapy.downloadermiddlewares.cookies as scrapy_cookies
from scrapy.settings import Settings

from crawler.middlewares.cookies import OFFLINE_SPLIT_DOMAIN
from crawler.run import crawler_settings


def middlewares(settings: Settings) -> dict[str, int]:
    merged = dict(settings.getdict("DOWNLOADER_MIDDLEWARES_BASE"))
    merged.update(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    return {name: order for name, order in merged.items() if order is not None}


def test_capture_sits_closest_to_the_network(tmp_path):
    order = middlewares(crawler_settings(tmp_path))
    capture = order.pop("crawler.middlewares.warccapture.WarcCaptureMiddleware")
    assert capture > max(order.values())
    assert order["crawler.middlewares.retryafter.RetryAfterMiddleware"] > order["scrapy.downloadermiddlewares.retry.RetryMiddleware"]


def test_scrapy_components_that_misbehave_are_replaced(tmp_path):
    order = middlewares(crawler_settings(tmp_path))
    assert "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware" not in order
    assert "crawler.middlewares.robotstxt.RobotsTxtMiddleware" in order
    assert "scrapy.downloadermiddlewares.cookies.CookiesMiddleware" not in order
    assert "crawler.middlewares.cookies.CookiesMiddleware" in order


def test_public_suffix_list_is_never_downloaded():
    assert scrapy_cookies._split_domain is OFFLINE_SPLIT_DOMAIN
    assert OFFLINE_SPLIT_DOMAIN.suffix_list_urls == ()
    assert OFFLINE_SPLIT_DOMAIN("www.bbc.co.uk").suffix == "co.uk"


def test_only_gzip_and_deflate_are_asked_for(tmp_path):
    settings = crawler_settings(tmp_path)
    assert settings.getdict("DEFAULT_REQUEST_HEADERS")["Accept-Encoding"] == "gzip, deflate"


def test_source_settings_apply_per_spider(tmp_path):
    from archive.sources import parse_config
    from crawler.spiders.source import spider_class_for

    source = parse_config(
        "sources:\n  - name: s\n    start_urls: ['https://a.example/']\n    delay: 3\n    concurrency: 1\n"
        "    max_pages: 7\n    user_agent: 'ua (+https://x.example/)'\n"
    ).sources[0]
    settings = crawler_settings(tmp_path)
    spider_class_for(source).update_settings(settings)
    assert settings.getfloat("DOWNLOAD_DELAY") == 3.0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getint("CLOSESPIDER_PAGECOUNT") == 7
    assert settings.get("USER_AGENT") == "ua (+https://x.example/)"
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
