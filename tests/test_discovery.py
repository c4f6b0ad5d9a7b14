"""Discovery as pure functions: links, feeds, sitemaps and the URL rules."""

import gzip
from pathlib import Path

import pytest

from archive.sources import parse_config
from crawler.discovery import Role, classify, classify_entry, feed_entries, links_from_html, sitemap_entries

FEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "feeds"

SOURCE = parse_config(
    """
sources:
  - name: moa
    start_urls: ["https://www.moonofalabama.org/"]
    allowed_domains: ["moonofalabama.org"]
    article_pattern: ['/\\d{4}/\\d{2}/(?!index\\.html)[^/]+\\.html$']
    follow_pattern: ['/\\d{4}/\\d{2}/(index\\.html)?$']
    deny_pattern: ['/private/']
"""
).sources[0]
PLAIN = parse_config("sources:\n  - name: plain\n    start_urls: ['http://127.0.0.1:8000/']\n").sources[0]


def test_links_are_absolute_http_without_fragments_and_in_order():
    html = b"""<html><head><base href="https://www.moonofalabama.org/2024/"><link rel="next" href="02/">
    <link rel="stylesheet" href="/s.css"></head><body>
    <a href="01/post.html#comments">post</a> <a href="01/post.html">again</a>
    <a href="mailto:b@moonofalabama.org">mail</a> <a href="javascript:void(0)">js</a> <a href="tel:+1">tel</a>
    <a href="?page=2">next page</a> <a href="https://other.org/x">out</a> <a href="#top">top</a>
    <a href="http://[broken">bad</a></body></html>"""
    links = links_from_html(html, "https://www.moonofalabama.org/")
    assert links == [
        "https://www.moonofalabama.org/2024/02/",
        "https://www.moonofalabama.org/2024/01/post.html",
        "https://www.moonofalabama.org/2024/?page=2",
        "https://other.org/x",
    ]


@pytest.mark.parametrize("body", [b"", b"   ", b"\x00\x01binary"])
def test_links_from_nothing(body):
    assert links_from_html(body, "https://a.org/") == []


@pytest.mark.parametrize(
    ("url", "role"),
    [
        ("https://www.moonofalabama.org/2024/01/a-post.html", Role.ARTICLE),
        ("https://moonofalabama.org/2024/01/", Role.LISTING),
        ("https://www.moonofalabama.org/2024/01/index.html", Role.LISTING),
        ("https://www.moonofalabama.org/about.html", None),  # not in follow_pattern
        ("https://www.moonofalabama.org/private/2024/01/x.html", None),  # denied
        ("https://evilmoonofalabama.org/2024/01/a.html", None),  # not a subdomain
        ("https://other.org/2024/01/a.html", None),
    ],
)
def test_classify(url, role):
    assert classify(url, SOURCE) is role


def test_a_source_without_patterns_crawls_and_indexes_every_page():
    assert classify("http://127.0.0.1:8000/anything", PLAIN) is Role.ARTICLE
    assert classify_entry("http://127.0.0.1:8000/anything", PLAIN) is Role.ARTICLE
    assert classify("http://127.0.0.2/x", PLAIN) is None


def test_feed_and_sitemap_entries_are_articles_unless_patterns_say_otherwise():
    assert classify_entry("https://www.moonofalabama.org/2024/01/a.html", SOURCE) is Role.ARTICLE
    assert classify_entry("https://www.moonofalabama.org/2024/01/", SOURCE) is Role.LISTING
    assert classify_entry("https://www.moonofalabama.org/tag/x", SOURCE) is None


@pytest.mark.parametrize("name", ["feed1.atom", "feed2.rss", "feed.json"])
def test_real_feeds_give_entry_links(name):
    body = (FEEDS / name).read_bytes()
    urls = feed_entries(body, "https://example.org/feed")
    assert urls, name
    assert all(u.startswith(("http://", "https://")) for u in urls)
    assert len(urls) == len(set(urls))


def test_not_a_feed():
    with pytest.raises(ValueError):
        feed_entries(b"{not json", "https://a.org/feed")
    with pytest.raises(ValueError):
        feed_entries(b'{"version": "x"}', "https://a.org/feed")


@pytest.mark.parametrize("name", ["sitemap.xml", "sitemap.xml.gz", "sitemap2.xml", "sitemap-hreflang.xml"])
def test_real_sitemaps(name):
    body = (FEEDS / name).read_bytes()
    entries = sitemap_entries(body, "https://example.org/sitemap.xml")
    assert entries.urls
    assert all(u.startswith(("http://", "https://")) for u in entries.urls)


def test_gzip_sitemap_equals_plain():
    plain = (FEEDS / "sitemap.xml").read_bytes()
    assert sitemap_entries(gzip.compress(plain), "https://e.org/").urls == sitemap_entries(plain, "https://e.org/").urls


def test_sitemap_index_lists_sitemaps():
    body = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://a.org/s1.xml</loc></sitemap><sitemap><loc>https://a.org/s2.xml.gz</loc></sitemap></sitemapindex>"""
    entries = sitemap_entries(body, "https://a.org/sitemap.xml")
    assert entries.is_index and entries.urls == ["https://a.org/s1.xml", "https://a.org/s2.xml.gz"]


@pytest.mark.parametrize("body", [b"<html><body>hi</body></html>", b"\x1f\x8bnot gzip", b"not xml at all <"])
def test_not_a_sitemap(body):
    with pytest.raises(ValueError):
        sitemap_entries(body, "https://a.org/sitemap.xml")


def test_requisites_are_stylesheets_images_and_scripts():
    from crawler.discovery import requisites_from_html

    html = b"""<html><head><base href="https://www.moonofalabama.org/2024/">
    <link rel="stylesheet" href="/styles.css"><link rel="alternate stylesheet" href="alt.css">
    <link rel="next" href="02/"><script src="https://cdn.example.net/app.js"></script></head>
    <body><img src="img/a.png" srcset="img/a-2x.png 2x, img/a-3x.png 3x"><img src="data:image/png;base64,AAA">
    <a href="01/post.html">post</a></body></html>"""
    assert requisites_from_html(html, "https://www.moonofalabama.org/") == [
        "https://www.moonofalabama.org/styles.css",
        "https://www.moonofalabama.org/2024/alt.css",
        "https://cdn.example.net/app.js",  # any host here; the spider keeps the source's own
        "https://www.moonofalabama.org/2024/img/a.png",
        "https://www.moonofalabama.org/2024/img/a-2x.png",
        "https://www.moonofalabama.org/2024/img/a-3x.png",
    ]
    assert requisites_from_html(b"", "https://a.org/") == []


def test_requisites_from_other_hosts_styles_and_images_by_default_scripts_only_from_named_hosts():
    from archive.sources import parse_config
    from crawler.discovery import requisite_allowed

    default, named = parse_config(
        "sources:\n"
        "  - name: a\n    start_urls: ['https://a.org/']\n"
        "  - name: b\n    start_urls: ['https://b.org/']\n    requisite_domains: ['cdn.b-static.net']\n"
    ).sources
    assert requisite_allowed("https://cdn.example.net/site.css", "style", default)
    assert requisite_allowed("https://img.example.net/lead.jpg", "image", default)
    assert not requisite_allowed("https://ads.example.net/tracker.js", "script", default)
    assert requisite_allowed("https://img.cdn.b-static.net/app.js", "script", named)
    assert not requisite_allowed("https://cdn.example.net/site.css", "style", named)


def test_requisite_domains_must_be_host_names():
    from archive.sources import ConfigError, parse_config

    with pytest.raises(ConfigError, match="requisite_domains"):
        parse_config("sources:\n  - name: a\n    start_urls: ['https://a.org/']\n    requisite_domains: ['https://cdn.net/']\n")
