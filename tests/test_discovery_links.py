"""The spider's link discovery with memory (crawler.discovery.LinkFinder) finds
what the plain functions find: the same links, in the same order, with the
same roles, whatever the memos hold; each link in its source's canonical form."""

import gzip
import json
from pathlib import Path

import pytest

from archive.sources import parse_config
from crawler.discovery import LinkFinder, Role, classify, document_base, html_tree, links_from_html, normalize_link

ZYTE = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "extraction" / "zyte-article-benchmark"

SOURCE = parse_config(
    """
sources:
  - name: s
    start_urls: ["https://a.org/"]
    allowed_domains: ["a.org", "b.org"]
    article_pattern: ['^https://[^/]+/\\d{4}/', '/post/[^/]+$']
    follow_pattern: ['/$', '\\?page=\\d+$']
    deny_pattern: ['/private/']
"""
).sources[0]

#: hrefs whose resolution depends on the base in every way urljoin knows
TRICKY_HREFS = [
    "/2024/x", "//a.org/2024/y", "//b.org/post/z", "https://a.org/2024/abs", "http://a.org/2024/abs",
    "HTTPS://A.org/2024/upper", "https:2024/same-scheme-relative", "http:2024/other-scheme-relative",
    "https:/2024/same-scheme-root", "http:/2024/other-scheme-root",
    "post/rel", "./post/dot", "../post/up", "/../post/root-up", "?page=2", "", "#top", "  /2024/spaced  ",
    "/\t/b.org/post/tab-made-netloc", "\x01/post/control", "/post/frag#c", "/post/frag", "/private/2024/x",
    ";params", "post/x;params", "/", "//", "mailto:x@a.org", "javascript:void(0)", "tel:+1", "data:,x",
    "MAILTO:x@a.org", "java\tscript:alert(1)", "http://[broken", "//[broken/x", "https://c.org/2024/out",
    "https://", "https://?page=4", "//?page=5", "/\t/", "///post/triple", "/?page=6", "/;p", "/\n",
    "https://a.org:8443/2024/port", "https://user@a.org/2024/userinfo", "/post/%D0%BF", "/post/\u043f",
]
BASES = [
    "https://a.org/section/page.html", "http://a.org/section/page.html", "https://a.org/", "https://b.org/deep/er/",
    "https://a.org/section/page.html?q=1/2", "https://a.org/sec;p/page;q", "https://a.org",
]


def reference(body: bytes, base_url: str, source=SOURCE) -> list[tuple[str, object]]:
    """What the spider kept before memos: every link element visited, its
    href resolved and classified afresh."""
    root = html_tree(body)
    if root is None:
        return []
    base = document_base(root, base_url)
    found: dict[str, object] = {}
    for element in root.iter("a", "area", "link"):
        href = element.get("href")
        if not href:
            continue
        if element.tag == "link" and not {"next", "prev"} & set((element.get("rel") or "").lower().split()):
            continue
        url = normalize_link(href, base)
        url = url and source.url_form.canonical(url)
        if url and url not in found and (role := classify(url, source)) is not None:
            found[url] = role
    return list(found.items())


def test_the_reference_is_what_links_from_html_finds():
    body = page(TRICKY_HREFS, head=HEAD)
    canonical = dict.fromkeys(SOURCE.url_form.canonical(url) for url in links_from_html(body, BASES[0]))
    expected = [url for url in canonical if classify(url, SOURCE)]
    assert [url for url, _ in reference(body, BASES[0])] == expected


def page(hrefs: list[str], base_href: str | None = None, head: str = "") -> bytes:
    if base_href:
        head += f'<base href="{base_href}">'
    anchors = "".join(f'<a href="{href.replace(chr(34), "&quot;")}">x</a>' for href in hrefs)
    return f'<html><head><meta charset="utf-8">{head}</head><body>{anchors}</body></html>'.encode()


#: pagination in the head, and links that are not followed
HEAD = (
    '<link rel="next" href="?page=3"><link rel="prev stylesheet" href="/2024/prev"><link rel="icon" href="/2024/icon">'
    '<link rel="NEXT" href="/2024/upper-next"><link rel="nextpage" href="/2024/not-a-word"><link rel="next">'
    '<link rel=" Prev\u00a0x " href="/2024/nbsp"><link rel="next" href=""><link href="/2024/no-rel">'
    '<link rel="next" href="/2024/dup"><a>no href</a><map><area href="/2024/area"></map>'
)


@pytest.mark.parametrize("memo_size", [4096, 1])
def test_tricky_hrefs_resolve_as_without_memo_on_every_base(memo_size):
    finder = LinkFinder(SOURCE, memo_size=memo_size)
    body = page(TRICKY_HREFS, head=HEAD)
    # one finder across pages of both schemes and several paths, each page twice (memos warm)
    for base in BASES + BASES[::-1]:
        assert finder.links(html_tree(body), base) == reference(body, base), base


@pytest.mark.parametrize("base_href", ["/2024/", "https://b.org/post/", "http://a.org/x/y", "../up/", "mailto:x"])
def test_relative_hrefs_against_a_base_element(base_href):
    finder = LinkFinder(SOURCE)
    body = page(TRICKY_HREFS, base_href, HEAD)
    for base in BASES:
        assert finder.links(html_tree(body), base) == reference(body, base), (base_href, base)


def test_http_and_https_are_one_site_as_the_seeds_write_it():
    """svpressa.ru's pages link their articles over http and https: with the
    page's own http base, none of them matched the https article pattern."""
    finder = LinkFinder(SOURCE)  # the seed is https, and so the canonical form
    body = page(["/2024/a", "//a.org/2024/b", "https://a.org/2024/c", "http://a.org/2024/d"])
    https = [("https://a.org/2024/a", Role.ARTICLE), ("https://a.org/2024/b", Role.ARTICLE),
             ("https://a.org/2024/c", Role.ARTICLE), ("https://a.org/2024/d", Role.ARTICLE)]
    assert finder.links(html_tree(body), "https://a.org/") == https
    # the same hrefs on an http page of the same host, the memos warm from the https one
    assert finder.links(html_tree(body), "http://a.org/") == https
    assert finder.links(html_tree(body), "https://a.org/other/") == https


def test_tracking_queries_and_trailing_slashes_give_one_url_an_article():
    source = parse_config(
        """
sources:
  - name: svpressa
    start_urls: ["https://svpressa.ru/"]
    article_pattern: ['^https://svpressa\\.ru/[a-z0-9_-]+/(news|article)/\\d+/$']
    follow_pattern: ['^https://svpressa\\.ru/all/news/(\\?page=\\d+)?$']
    keep_query: [page]
    trailing_slash: add
"""
    ).sources[0]
    body = page(["/war21/article/321239/?rpop=1", "http://svpressa.ru/war21/article/321239/", "/war21/article/321239",
                 "/war21/article/321239/?vp2018=1&utm_source=tg", "/society/news/321250/?top=1",
                 "/all/news/?page=2&notd=1", "/all/news/?page=2"])
    assert LinkFinder(source).links(html_tree(body), "http://svpressa.ru/") == [
        ("https://svpressa.ru/war21/article/321239/", Role.ARTICLE),
        ("https://svpressa.ru/society/news/321250/", Role.ARTICLE),
        ("https://svpressa.ru/all/news/?page=2", Role.LISTING),
    ]


def test_fragments_and_repeats_give_one_link_in_first_place():
    finder = LinkFinder(SOURCE)
    body = page(["/post/a#comments", "/post/b", "/post/a", "/post/a#top"])
    assert [url for url, _ in finder.links(html_tree(body), "https://a.org/")] == [
        "https://a.org/post/a", "https://a.org/post/b",
    ]


def test_memos_are_bounded_and_change_nothing():
    finder = LinkFinder(SOURCE, memo_size=64)
    for n in range(20):
        body = page([f"/post/{n}-{i}" for i in range(50)] + ["/", "/2024/menu", "https://b.org/"])
        assert finder.links(html_tree(body), f"https://a.org/2024/{n}.html") == reference(body, f"https://a.org/2024/{n}.html")
    for memo in (finder.from_origin, finder.resolve, finder.classify):
        assert memo.cache_info().currsize <= 64
    assert finder.from_origin.cache_info().hits > 0


def zyte_pages() -> list[tuple[str, bytes]]:
    truth = json.loads((ZYTE / "ground-truth.json").read_text(encoding="utf-8"))
    return [(truth[path.name.split(".")[0]]["url"], gzip.decompress(path.read_bytes()))
            for path in sorted((ZYTE / "html").glob("*.html.gz"))]


def test_real_pages_give_what_they_gave_without_memos():
    pages = zyte_pages()
    hosts = ["com", "org", "ru"]  # most of the pages' sites, and most of what they link to
    source = parse_config(
        "sources:\n  - name: real\n    start_urls: ['https://example.org/']\n"
        f"    allowed_domains: {json.dumps(hosts)}\n"
        "    article_pattern: ['/20\\d\\d/', '\\.html$']\n    follow_pattern: ['/$', '/(section|category|tag)/']\n"
        "    deny_pattern: ['\\?']\n"
    ).sources[0]
    finder, small = LinkFinder(source), LinkFinder(source, memo_size=16)
    found = 0
    for n, (url, body) in enumerate(pages + [(url.replace("https://", "http://", 1), body) for url, body in pages]):
        expected = reference(body, url, source)
        tree = html_tree(body)
        assert finder.links(tree, url) == expected, url
        if n % 4 == 0:  # memos far smaller than a page: nearly every href evicted before it repeats
            assert small.links(tree, url) == expected, url
        found += len(expected)
    assert found > 1000 and finder.from_origin.cache_info().hits > 1000


def spider_and_page(requisites: bool = True):
    from scrapy.utils.test import get_crawler

    from crawler.spiders.source import spider_class_for

    source = parse_config(
        "sources:\n  - name: s\n    start_urls: ['https://a.org/']\n    article_pattern: ['/post/']\n"
        f"    requisites: {str(requisites).lower()}\n"
    ).sources[0]
    crawler = get_crawler(spider_class_for(source))
    spider = crawler.spidercls.from_crawler(crawler)
    body = page(["/post/one", "/post/two#c", "https://a.org/", "https://elsewhere.org/post/x"],
                head='<link rel="stylesheet" href="/s.css"><script src="/app.js"></script>')
    return spider, body


def test_the_spider_reads_each_page_from_one_tree(monkeypatch):
    import lxml.html
    import parsel.selector
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.spiders.source import ROLE_META

    spider, body = spider_and_page()
    trees = []
    create_root_node = parsel.selector.create_root_node
    monkeypatch.setattr(parsel.selector, "create_root_node", lambda *a, **k: trees.append(1) or create_root_node(*a, **k))
    monkeypatch.setattr(lxml.html, "document_fromstring", lambda *a, **k: pytest.fail("a second parse of the page"))
    url = "https://a.org/post/zero"
    response = HtmlResponse(url, body=body, encoding="utf-8", request=Request(url, meta={ROLE_META: "article"}))
    requested = [request.url for request in spider.parse_page(response)]
    assert trees == [1]
    assert requested == [
        "https://a.org/s.css", "https://a.org/app.js",  # requisites, from the same tree
        "https://a.org/post/one", "https://a.org/post/two", "https://a.org/",
    ]


@pytest.mark.parametrize("kind", ["xml", "text"])
def test_pages_not_served_as_html_are_still_read_as_html(kind):
    from scrapy import Request
    from scrapy.http import TextResponse, XmlResponse

    from crawler.spiders.source import ROLE_META

    spider, body = spider_and_page(requisites=False)
    url = "https://a.org/"
    cls = XmlResponse if kind == "xml" else TextResponse
    response = cls(url, body=body, encoding="utf-8", request=Request(url, meta={ROLE_META: "listing"}))
    requested = [request.url for request in spider.parse_page(response)]
    assert requested == ["https://a.org/post/one", "https://a.org/post/two", "https://a.org/"]
