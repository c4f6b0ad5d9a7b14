"""The schema.org JSON-LD a page carries: the objects that describe its article.

News pages describe themselves in ``<script type="application/ld+json">``
blocks: a ``NewsArticle`` (or ``Article``, ``BlogPosting``,
``ReportageNewsArticle``...) with its ``headline``, ``author`` and
``datePublished``, often inside an ``@graph`` beside the ``WebSite`` and
the publisher's ``Organization``. Real JSON-LD is often broken: raw line
breaks inside strings, trailing commas, HTML entities, several objects
pasted into one script. :func:`objects` reads what it can and skips the rest;
it never raises.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any, Final

from lxml.html import HtmlElement

__all__ = ["ARTICLE_TYPES", "article_objects", "names", "objects", "publisher_names"]

_SCRIPTS_XPATH: Final = "//script[@type='application/ld+json' or @type='application/json+ld']"
_TRAILING_COMMA_RE: Final = re.compile(r",\s*([\]}])")
#: schema.org types of an article's own description (``*Article`` and these).
ARTICLE_TYPES: Final = frozenset({"blogposting", "liveblogposting", "socialmediaposting", "report", "webpage"})


def objects(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every JSON object of the page's JSON-LD, ``@graph`` members and nested lists flattened."""
    found: list[dict[str, Any]] = []
    for script in tree.xpath(_SCRIPTS_XPATH):
        data = _load(script.text_content() or "")
        if data is not None:
            found.extend(_flatten(data))
    return found


def article_objects(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of a page's JSON-LD :func:`objects`, those that describe an article:
    ``*Article`` types first, then postings and reports, then a ``WebPage``
    (which a page about one article also is), in page order within each kind."""
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    for number, item in enumerate(items):
        kinds = [kind.lower() for kind in _types(item)]
        if any(kind.endswith("article") for kind in kinds):
            ranked.append((0, number, item))
        elif any(kind in ARTICLE_TYPES and kind != "webpage" for kind in kinds):
            ranked.append((1, number, item))
        elif "webpage" in kinds or any(kind.endswith("page") for kind in kinds):
            ranked.append((2, number, item))
    return [item for _, _, item in sorted(ranked, key=lambda entry: entry[:2])]


def names(value: Any) -> list[str]:
    """The names a schema.org value gives: a string, a ``Person`` or
    ``Organization`` (``name``, else ``givenName familyName``), or a list of them."""
    if isinstance(value, str):
        return [text] if (text := clean(value)) else []
    if isinstance(value, list):
        return [name for entry in value for name in names(entry)]
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, (str, list)):
            return names(name)
        given, family = value.get("givenName"), value.get("familyName")
        if isinstance(given, str) or isinstance(family, str):
            joined = " ".join(part for part in (given, family) if isinstance(part, str))
            return [text] if (text := clean(joined)) else []
    return []


def publisher_names(items: list[dict[str, Any]]) -> list[str]:
    """Names of the site in a page's JSON-LD :func:`objects`: its articles'
    ``publisher``, its ``WebSite`` and ``NewsMediaOrganization``."""
    found: list[str] = []
    for item in items:
        kinds = {kind.lower() for kind in _types(item)}
        if "publisher" in item:
            found += names(item["publisher"])
        if kinds & {"website", "newsmediaorganization", "organization"}:
            found += names(item.get("name"))
    return list(dict.fromkeys(found))


def clean(text: str) -> str:
    """A JSON-LD string as text: HTML entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(text).split())


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _flatten(entry)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, (list, dict)):
            yield from _flatten(graph)
        main = data.get("mainEntity")
        if isinstance(main, dict):
            yield from _flatten(main)


def _load(text: str) -> Any:
    text = text.strip()
    if text.startswith("<!--"):
        text = text.removeprefix("<!--").removesuffix("-->").strip()
    for attempt in (text, _TRAILING_COMMA_RE.sub(r"\1", text)):
        try:
            return json.loads(attempt, strict=False)  # strict=False: raw line breaks inside strings
        except ValueError:
            continue
    return None
