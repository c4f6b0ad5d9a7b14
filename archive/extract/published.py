"""A page's publication time, from what the page states: its article's
JSON-LD, its ``<meta>``, and trafilatura's (htmldate's) day refined by the
page's timestamps, in the page's own offset (:func:`find_published`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Final

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["PUBLISHED_DAY_TOLERANCE", "SAME_INSTANT", "find_published"]

# Where pages state their publication time, most specific first: <meta> names
# (matched on name=, property= or itemprop=, case-insensitively)...
_PUBLISHED_META_NAMES: Final = (
    "article:published_time",
    "og:article:published_time",
    "article.published",
    "datepublished",
    "og:pubdate",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "pub_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "dc.date",
    "date",
)
# ... then schema.org "datePublished" in JSON-LD and microdata.
_JSON_LD_XPATH: Final = etree.XPath('//script[@type="application/ld+json"]')
_JSON_LD_DATE_PUBLISHED_RE: Final = re.compile(r'"datePublished"\s*:\s*"([^"]*)"')
_MICRODATA_XPATH: Final = etree.XPath('//*[@itemprop="datePublished"][@datetime or @content]')
_TIMESTAMP_RE: Final = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
#: How far a page's timestamp may be from htmldate's day (time zones) to refine it.
PUBLISHED_DAY_TOLERANCE: Final = timedelta(days=1)
#: Two timestamps this close are one instant written twice (seconds dropped in one).
SAME_INSTANT: Final = timedelta(minutes=1)
_TIME_XPATH: Final = etree.XPath("//time/@datetime")


def _meta_timestamps(tree: HtmlElement) -> Iterator[str]:
    """Yield publication-time ``<meta>`` contents, in :data:`_PUBLISHED_META_NAMES` order."""
    found: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = (meta.get(attribute) or "").strip().lower()
            if key in _PUBLISHED_META_NAMES:
                found.setdefault(key, []).append(content)
                break
    for name in _PUBLISHED_META_NAMES:
        yield from found.get(name, ())


def _schema_org_timestamps(tree: HtmlElement) -> Iterator[str]:
    """Yield schema.org ``datePublished`` values from JSON-LD, then from microdata.

    JSON-LD is searched with a regular expression rather than parsed: broken
    JSON-LD (comments, stray braces) is common and still holds a usable date.
    """
    for script in _JSON_LD_XPATH(tree):
        yield from _JSON_LD_DATE_PUBLISHED_RE.findall(script.text_content())
    for element in _MICRODATA_XPATH(tree):
        # <time itemprop="datePublished">2024-05-06T07:08</time> says it in its text
        value = element.get("datetime") or element.get("content") or element.text_content()
        if value and value.strip():
            yield value


def _parse_timestamp(value: object) -> datetime | None:
    """Parse an ISO 8601 date *and time* (zone optional); None for a bare date or junk."""
    if not isinstance(value, str) or not _TIMESTAMP_RE.match(value):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def find_published(tree: HtmlElement, day: str | None, items: list[dict] | None = None) -> str | None:
    """Return the publication time as ISO 8601, in the page's own offset.

    The page's explicit statements come first, in this order:

    1. the ``datePublished`` of its article's own JSON-LD object (``items``:
       the page's JSON-LD objects, :func:`archive.extract.jsonld.objects`;
       an ``@type`` ending in ``Article``, a posting, else the ``WebPage``);
    2. its publication ``<meta>`` (``article:published_time`` and the
       others of :data:`_PUBLISHED_META_NAMES`, in that order).

    Failing both, ``day``, trafilatura's ``date`` field (``YYYY-MM-DD``,
    chosen by htmldate's heuristics, which only keep the day), is refined:
    the first of the page's timestamps (the same ``<meta>``, then every
    JSON-LD and microdata ``datePublished``, which on a live blog or beside
    related articles are other pieces' dates) on the same day, else within
    :data:`PUBLISHED_DAY_TOLERANCE` of it, preferring at each step one with
    a zone, gives it its time and zone; otherwise ``day`` itself is returned.

    A timestamp in UTC is replaced by one of the same instant in a local
    offset when the page gives one (``<meta>`` in UTC, JSON-LD or
    ``<time datetime>`` in ``+01:00``): the page's own offset is what keeps
    its calendar day, ``2019-01-01T00:11:59+01:00`` and not
    ``2018-12-31T23:11:59+00:00``.
    """
    from archive.extract import jsonld

    items = jsonld.objects(tree) if items is None else items
    explicit = next(
        (stamp for item in jsonld.article_objects(items)
         if (stamp := _parse_timestamp(item.get("datePublished"))) is not None),
        None,
    )
    meta = _timestamps(_meta_timestamps(tree))
    if explicit is None and meta:
        explicit = meta[0]
    if explicit is not None:
        return _in_local_offset(explicit, tree, meta)
    if day is None:
        return None
    try:
        reference = date.fromisoformat(day)
    except ValueError:
        return day
    stamps = meta + _timestamps(_schema_org_timestamps(tree))
    for tolerance in (timedelta(0), PUBLISHED_DAY_TOLERANCE):
        for with_zone in (True, False):
            if (found := _first_within(stamps, reference, tolerance, with_zone=with_zone)) is not None:
                return _in_local_offset(found, tree, stamps)
    return day


def _in_local_offset(stamp: datetime, tree: HtmlElement, stamps: list[datetime]) -> str:
    """``stamp`` in ISO 8601; if it is in UTC, in the local offset of a
    timestamp of the same instant the page also gives (see :func:`find_published`)."""
    offset = stamp.utcoffset()
    if offset is None or offset:
        return stamp.isoformat(timespec="seconds")
    others = stamps + _timestamps(_schema_org_timestamps(tree)) + _timestamps(_TIME_XPATH(tree))
    for other in others:
        local = other.utcoffset()
        if local and abs(other - stamp) < SAME_INSTANT:
            return other.replace(microsecond=0).isoformat(timespec="seconds")
    return stamp.isoformat(timespec="seconds")


def _timestamps(values: Iterator[str]) -> list[datetime]:
    return [stamp for value in values if (stamp := _parse_timestamp(value)) is not None]


def _first_within(stamps: list[datetime], day: date, tolerance: timedelta, *, with_zone: bool) -> datetime | None:
    """The first of ``stamps`` within ``tolerance`` of ``day``, with a zone or without."""
    for stamp in stamps:
        if (stamp.tzinfo is not None) == with_zone and abs(stamp.date() - day) <= tolerance:
            return stamp
    return None
