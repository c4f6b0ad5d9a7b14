"""Where a crawl goes next: links, feed entries and sitemap entries, and the
rules that say which URLs are articles, which are listings worth following and
which are never fetched.

Functions over bytes, parsed pages and URLs, so they are tested without a
network; :class:`LinkFinder` finds a source's links with memory, page after
page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache, partial
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from archive.sources import Source, host_in_domain


class Role(str, Enum):
    """Why a URL is fetched; written into each capture's WARC metadata record."""

    ARTICLE = "article"
    LISTING = "listing"
    FEED = "feed"
    SITEMAP = "sitemap"
    REQUISITE = "requisite"  # a stylesheet, image or script an article needs to replay as it looked


def normalize_link(href: str, base_url: str) -> str | None:
    """An absolute http(s) URL without fragment, or None for anything else
    (mailto:, javascript:, tel:, data:, malformed)."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        url = urldefrag(urljoin(base_url, href)).url
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def in_domains(url: str, source: Source) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host_in_domain(host, d) for d in source.allowed_domains)


def classify(url: str, source: Source) -> Role | None:
    """The role of a link found on a page, or None when it is not fetched.

    A URL outside ``allowed_domains`` or matching ``deny_pattern`` is never
    fetched. One matching ``article_pattern`` is an article; one matching
    ``follow_pattern`` (or any link, when the source has none) is a listing.
    A source with no ``article_pattern`` treats every page it follows as a
    possible article, so a plain site is crawled and indexed whole.
    """
    if not in_domains(url, source) or denied(url, source):
        return None
    if any(p.search(url) for p in source.article_pattern):
        return Role.ARTICLE
    if source.follow_pattern and not any(p.search(url) for p in source.follow_pattern):
        return None
    return Role.LISTING if source.article_pattern else Role.ARTICLE


def classify_entry(url: str, source: Source) -> Role | None:
    """The role of a URL listed by a feed or a sitemap: an article unless the
    source's patterns say it is a listing page."""
    if not in_domains(url, source) or denied(url, source):
        return None
    if any(p.search(url) for p in source.article_pattern):
        return Role.ARTICLE
    if source.follow_pattern and any(p.search(url) for p in source.follow_pattern):
        return Role.LISTING
    if source.article_pattern:
        return None
    return Role.ARTICLE


def denied(url: str, source: Source) -> bool:
    return any(p.search(url) for p in source.deny_pattern)


def html_tree(body: str | bytes) -> lxml.html.HtmlElement | None:
    """The parsed page; None for a body that is not HTML."""
    if not body or not body.strip():
        return None
    try:
        return lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None


def document_base(root: etree._Element, base_url: str) -> str:
    """The URL relative links of the page at ``base_url`` resolve against:
    its first ``<base href>``, itself resolved, else ``base_url``."""
    for href in root.xpath("//base/@href")[:1]:
        return urljoin(base_url, href)
    return base_url


#: hrefs of ``<a>`` and ``<area>``, and the ``<link>`` elements whose rel may
#: hold next or prev (checked exactly in link_hrefs), in document order. An
#: XPath gives the hrefs as strings, without a Python element for every link.
_LINK_NODES = etree.XPath(
    "//a/@href | //area/@href | //link[contains(translate(@rel, 'NEXTPRV', 'nextprv'), 'next')"
    " or contains(translate(@rel, 'NEXTPRV', 'nextprv'), 'prev')]",
    smart_strings=False,
)


def link_hrefs(root: etree._Element) -> Iterator[str]:
    """The raw hrefs of ``<a>``, ``<area>`` and ``<link rel=next|prev>``, in document order."""
    for node in _LINK_NODES(root):
        if not isinstance(node, str):  # a <link>: next or prev must be one of its rel words
            if not {"next", "prev"} & set((node.get("rel") or "").lower().split()):
                continue
            node = node.get("href")
        if node:
            yield node


def links_from_html(body: str | bytes, base_url: str) -> list[str]:
    """Absolute http(s) links of ``<a>``, ``<area>`` and ``<link rel=next|prev>``
    in document order, duplicates removed; ``<base href>`` respected."""
    root = html_tree(body)
    return [] if root is None else links_in(root, base_url)


def links_in(root: etree._Element, base_url: str) -> list[str]:
    """:func:`links_from_html` of a page already parsed."""
    base = document_base(root, base_url)
    found: dict[str, None] = {}
    for href in link_hrefs(root):
        url = normalize_link(href, base)
        if url:
            found.setdefault(url)
    return list(found)


#: How many resolved hrefs, and how many classified URLs, a LinkFinder keeps
#: (the least recently used go first): room for the menus, sidebars and
#: footers that repeat on every page of a few sites, about 1 MB each.
MEMO_SIZE = 4096
#: A scheme, as urlsplit reads one: a letter, then letters, digits, "+-.", then ":".
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
#: hrefs whose resolution depends on the base's scheme and host only, not on
#: its path or query: a path from the root ("/x", not "//"), or a host
#: ("//host/x", "https://host/x"). Tab and line breaks, which urlsplit removes,
#: are no part of either, so that what urlsplit reads is what matched.
_ORIGIN_ONLY = re.compile(r"/(?:$|[^/\t\r\n])|(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#\t\r\n]")


class LinkFinder:
    """A source's links on its pages, each with its role: what
    ``classify(url, source)`` keeps of ``links_in(root, base_url)``, the same
    links in the same order, found with memory.

    Menus, sidebars and footers repeat on every page of a site, so each href
    is resolved once per origin (a root-relative or absolute href does not
    depend on the page's path) and each URL classified once, in bounded
    least-recently-used memos: memory does not grow with the site. hrefs of
    another scheme (mailto:, javascript:, tel:, data:) are dropped unresolved:
    what they resolve to keeps their scheme.
    """

    def __init__(self, source: Source, memo_size: int = MEMO_SIZE):
        self.source = source
        #: ``_from_origin(href, origin)``, memoised.
        self.from_origin = lru_cache(maxsize=memo_size)(_from_origin)
        #: ``normalize_link(href, base)`` of the hrefs that depend on the page's own URL, memoised.
        self.resolve = lru_cache(maxsize=memo_size)(normalize_link)
        #: ``classify(url, source)``, memoised per URL.
        self.classify: Callable[[str], Role | None] = lru_cache(maxsize=memo_size)(partial(classify, source=source))
        #: The source's canonical form of a URL (archive.urls), memoised.
        self.canonical: Callable[[str], str] = lru_cache(maxsize=memo_size)(source.url_form.canonical)

    def links(self, root: etree._Element, base_url: str) -> list[tuple[str, Role]]:
        base = document_base(root, base_url)
        origin = _origin(base)
        found: dict[str, Role] = {}
        for href in link_hrefs(root):
            url = self.from_origin(href, origin)
            if url is PER_PAGE:
                url = self.resolve(href, base)
            if url is None:
                continue
            url = self.canonical(url)
            if url in found:
                continue
            role = self.classify(url)
            if role is not None:
                found[url] = role
        return list(found.items())


#: What _from_origin answers for an href that resolves against the page's own URL.
PER_PAGE = object()


def _from_origin(href: str, origin: str | None) -> str | None | object:
    """``normalize_link(href, base)`` for every base of ``origin`` (see
    _origin), or PER_PAGE when the result depends on more of the base."""
    stripped = href.strip()
    scheme = _SCHEME.match(stripped)
    if scheme and scheme.group().lower() not in ("http:", "https:"):
        return None
    if origin is None or not _ORIGIN_ONLY.match(stripped):
        return PER_PAGE
    return normalize_link(href, origin)


def _origin(base: str) -> str | None:
    """``scheme://host/`` of an http(s) ``base``: what root-relative and
    absolute hrefs are resolved against as they would be against ``base``
    (urljoin takes only the base's scheme and host for those). None when
    ``base`` is not an http(s) URL with a host."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/"


def requisite_allowed(url: str, kind: str, source: Source) -> bool:
    """Whether an article's requisite from a host outside ``allowed_domains``
    is fetched: from a host of ``requisite_domains`` when the source names
    them, else any host the article loads a stylesheet, font or image from
    (a CDN); a script only from the source's own hosts or those it names."""
    if source.requisite_domains is not None:
        host = (urlsplit(url).hostname or "").lower()
        return any(host_in_domain(host, domain) for domain in source.requisite_domains)
    return kind != "script"


def requisites_from_html(body: str | bytes, base_url: str) -> list[str]:
    """What a page needs to be seen as it was: stylesheets, images (src and
    srcset), fonts it preloads and scripts, absolute http(s), any host, in document order."""
    root = html_tree(body)
    return [] if root is None else [url for url, _ in requisites_in(root, base_url)]


def requisites_in(root: etree._Element, base_url: str) -> list[tuple[str, str]]:
    """:func:`requisites_from_html` of a page already parsed, each URL with
    its kind: ``style`` (stylesheets, and fonts and styles it preloads),
    ``image`` (``src``, ``srcset``, icons) or ``script``, in document order."""
    base = document_base(root, base_url)
    found: dict[str, str] = {}
    for element in root.iter("link", "img", "source", "script"):
        candidates: list[tuple[str | None, str]] = []
        if element.tag == "link":
            rel = f" {' '.join((element.get('rel') or '').split())} "
            if " stylesheet " in rel or (" preload " in rel and element.get("as") in ("style", "font")):
                candidates.append((element.get("href"), "style"))
            elif " icon " in rel or (" preload " in rel and element.get("as") == "image"):
                candidates.append((element.get("href"), "image"))
        elif element.tag == "script":
            candidates.append((element.get("src"), "script"))
        else:
            if element.tag == "img":
                candidates.append((element.get("src"), "image"))
            for part in (element.get("srcset") or "").split(","):
                if part.strip():
                    candidates.append((part.strip().split(" ")[0], "image"))
        for href, kind in candidates:
            url = normalize_link(href, base) if href else None
            if url:
                found.setdefault(url, kind)
    return list(found.items())


@dataclass(frozen=True)
class SitemapEntries:
    """What a sitemap lists: page URLs, or further sitemaps for an index."""

    is_index: bool
    urls: list[str]


def sitemap_entries(body: bytes, base_url: str) -> SitemapEntries:
    """Parse a sitemap or sitemap index, plain or gzipped. Raises ValueError
    when the body is neither."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body)
        except OSError as exc:
            raise ValueError(f"bad gzip data: {exc}") from None
    try:
        sitemap = Sitemap(body)
    except (etree.XMLSyntaxError, StopIteration) as exc:
        raise ValueError(f"not XML: {exc or 'empty document'}") from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap (root element {sitemap.type!r})")
    urls: dict[str, None] = {}
    for entry in sitemap:
        for loc in [entry.get("loc", "")] + [a for a in entry.get("alternate", [])]:
            url = normalize_link(loc, base_url)
            if url:
                urls.setdefault(url)
    return SitemapEntries(is_index=sitemap.type == "sitemapindex", urls=list(urls))


def feed_entries(body: bytes, base_url: str) -> list[str]:
    """Entry links of an RSS, Atom or JSON Feed document. Raises ValueError
    when the body is not a feed."""
    stripped = body.lstrip()
    if stripped[:1] == b"{":
        return _json_feed_entries(stripped, base_url)
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    if not parsed.entries and parsed.bozo and not parsed.feed:
        raise ValueError(f"not a feed: {parsed.get('bozo_exception')}")
    urls: dict[str, None] = {}
    for entry in parsed.entries:
        candidates = [entry.get("link")] + [link.get("href") for link in entry.get("links", []) if link.get("rel", "alternate") == "alternate"]
        if entry.get("guidislink"):
            candidates.append(entry.get("id"))
        for candidate in candidates:
            url = normalize_link(candidate or "", base_url)
            if url:
                urls.setdefault(url)
                break
    return list(urls)


def _json_feed_entries(body: bytes, base_url: str) -> list[str]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a JSON Feed: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError("not a JSON Feed: no 'items' list")
    urls: dict[str, None] = {}
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        for key in ("url", "external_url", "id"):
            value = item.get(key)
            url = normalize_link(value, base_url) if isinstance(value, str) else None
            if url:
                urls.setdefault(url)
                break
    return list(urls)
