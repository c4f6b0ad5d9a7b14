"""Where a crawl goes next: links, feed entries and sitemap entries, and the
rules that say which URLs are articles, which are listings worth following and
which are never fetched.

Pure functions over bytes and URLs, so they are tested without a network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
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


def _document(body: str | bytes, base_url: str) -> tuple[lxml.html.HtmlElement, str] | None:
    """The parsed page and the base its relative links resolve against
    (``<base href>`` respected); None for a body that is not HTML."""
    if not body or not body.strip():
        return None
    try:
        doc = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None
    base = base_url
    for href in doc.xpath("//base/@href")[:1]:
        base = urljoin(base_url, href)
    return doc, base


def links_from_html(body: str | bytes, base_url: str) -> list[str]:
    """Absolute http(s) links of ``<a>``, ``<area>`` and ``<link rel=next|prev>``
    in document order, duplicates removed; ``<base href>`` respected."""
    parsed = _document(body, base_url)
    if parsed is None:
        return []
    doc, base = parsed
    found: dict[str, None] = {}
    for element in doc.iter("a", "area", "link"):
        href = element.get("href")
        if not href:
            continue
        if element.tag == "link" and not {"next", "prev"} & set((element.get("rel") or "").lower().split()):
            continue
        url = normalize_link(href, base)
        if url:
            found.setdefault(url)
    return list(found)


def requisites_from_html(body: str | bytes, base_url: str) -> list[str]:
    """What a page needs to be seen as it was: stylesheets, images (src and
    srcset) and scripts, absolute http(s), any host, in document order."""
    parsed = _document(body, base_url)
    if parsed is None:
        return []
    doc, base = parsed
    found: dict[str, None] = {}
    candidates = doc.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' stylesheet ')]/@href")
    candidates += doc.xpath("//img/@src | //script/@src | //link[@rel='icon']/@href")
    for srcset in doc.xpath("//img/@srcset | //source/@srcset"):
        candidates += [part.strip().split(" ")[0] for part in srcset.split(",") if part.strip()]
    for href in candidates:
        url = normalize_link(href, base)
        if url:
            found.setdefault(url)
    return list(found)


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
