"""The WARC capture middleware's pieces, offline."""

from scrapy.http.headers import Headers

from crawler.middlewares.warccapture import header_pairs


def test_header_pairs_keep_every_value_of_a_repeated_header():
    headers = Headers({"Content-Type": "text/html"})
    headers.appendlist("Set-Cookie", "a=1; Path=/")
    headers.appendlist("Set-Cookie", b"b=\xe9; Path=/")  # bytes as sent, latin-1
    assert header_pairs(headers) == [
        ("Content-Type", "text/html"), ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=\u00e9; Path=/"),
    ]
