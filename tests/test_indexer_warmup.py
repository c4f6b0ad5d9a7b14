"""The indexer's workers started ahead of the indexing (during a crawl):
the warm-up extracts its own page and changes nothing in what is indexed."""

from __future__ import annotations

from datetime import datetime, timezone

from scrapy import Request
from scrapy.http import HtmlResponse

from archive.index.store import Index
from archive.extract.job import WARM_UP_PAGE, extract_job as _extract_job, warm_up_job as _warm_up_job
from archive.index.indexer import Indexer
from archive.warc.write import RollingWarcWriter
from crawler.run import _Once

BODY = (
    "<html lang='en'><head><title>Harbour talks</title></head><body><article><h1>Harbour talks</h1>"
    + "<p>The council met the harbour board on Tuesday to discuss the budget for the coming year.</p>" * 6
    + "</article></body></html>"
).encode()
T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def write_one(directory):
    with RollingWarcWriter(directory, "site", clock=lambda: T0, hostname="h", pid=1) as writer:
        writer.write_exchange(
            url="http://example.com/a.html", method="GET", request_headers=[("User-Agent", "t")], request_body=b"",
            status=200, reason="OK", protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8")],
            body=BODY, metadata=[("source", "site"), ("role", "article")],
        )


def pages(index: Index) -> list[tuple]:
    return list(index.db.execute("SELECT url, title, language FROM pages ORDER BY url"))


def test_the_warm_up_page_extracts():
    assert _warm_up_job() is True
    assert _extract_job(WARM_UP_PAGE, "http://localhost/warm-up", "text/html", None)["language"] == "en"


def test_warmed_up_pool_indexes_as_an_inline_extraction(tmp_path):
    write_one(tmp_path)
    with Index() as inline_index, Indexer(inline_index, workers=0) as inline:
        inline.warm_up()  # no pool: nothing to start
        assert inline.pool._executor is None
        inline.index_directory(tmp_path)
        expected = pages(inline_index)
    with Index() as index, Indexer(index, workers=1) as indexer:
        indexer.warm_up()
        assert indexer.pool._executor is not None
        stats = indexer.index_directory(tmp_path)
        assert stats.pages == 1
        assert pages(index) == expected == [("http://example.com/a.html", "Harbour talks", "en")]


def test_first_article_response_calls_once():
    calls = []
    once = _Once(lambda: calls.append(1))
    listing = Request("http://example.com/news/", meta={"archive_role": "listing"})
    article = Request("http://example.com/a.html", meta={"archive_role": "article"})
    once.response_received(HtmlResponse(listing.url, status=200, body=b""), listing)
    once.response_received(HtmlResponse(article.url, status=404, body=b""), article)
    assert calls == []
    once.response_received(HtmlResponse(article.url, status=200, body=b""), article)
    once.response_received(HtmlResponse(article.url, status=200, body=b""), article)
    assert calls == [1]
