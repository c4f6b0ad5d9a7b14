"""Per-source extraction overrides: the rules of :mod:`archive.extract.rules` used where trafilatura fails.

A source in ``config/sources.yaml`` may carry an ``extraction:`` mapping::

    extraction:
      title: h1.b-text__title              # CSS (the default)...
      body: div.b-text__block_text p
      date: {xpath: "//div[@class='b-text__date']/text()"}   # ...or XPath
      author: [".b-author__name", "meta[name=author]::attr(content)"]  # alternatives, first match wins
      exclude: [".b-read-also"]            # removed before the body's text is taken
      date_timezone: Europe/Moscow         # naive dates in the page are read in this zone
      min_length: 200                      # shortest acceptable text, in characters
      prefer: [date]                       # fields taken from the rules even when trafilatura passes

:meth:`archive.extract.rules.ExtractionRules.from_mapping` validates such a mapping (every selector
must compile) and :func:`refine` applies it to the result of
:func:`archive.extract.article.extract`:

1. trafilatura's result is *checked* (:func:`passes_check`): text not empty,
   at least ``min_length`` characters, and in the expected language when the
   source names one;
2. if it passes, it is kept (path ``"trafilatura"``), except for the fields
   listed in ``prefer``, which the rules replace when they find a value
   (path ``"trafilatura+override"``);
3. if it fails, every field that has a rule is taken from the page when the
   rule finds a value, field by field (path ``"override"``); with no rules,
   or no rule finding anything, the result is returned unchanged with path
   ``"trafilatura-failed"``.

CSS selectors may end in parsel's ``::text`` or ``::attr(name)``. Dates go
through :func:`archive.extract.dates.parse_datetime` with the rules' time zone. A
body is the text of the matched elements (scripts, styles and ``exclude``d
elements removed), one paragraph per block element, paragraphs joined by a
blank line.

Everything here is picklable and :func:`refine` is a top-level function, so
it runs in the indexer's worker processes; compiled XPath objects are cached
per process, never stored in the rules.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Final

from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring

from archive.extract.decode import decode_html
from archive.extract.dates import parse_datetime
from archive.extract.article import Extraction
from archive.extract.language import detect_language, html_lang_from_tree, parse_language_tag
from archive.extract.rules import DEFAULT_MIN_LENGTH, FIELDS, ExtractionRules, Selector

__all__ = ["element_blocks", "parse_html", "passes_check", "refine", "rule_matches"]

#: Elements whose text is never part of a field.
_NOISE_TAGS: Final = ("script", "style", "noscript", "template", "iframe", "form", "button", "svg")
#: Elements that end a paragraph in a body.
_BLOCK_TAGS: Final = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li blockquote pre figcaption dt dd tr table ul ol section article header footer aside"
    .split()
)
_PARSER_OPTIONS: Final = {"remove_comments": True, "remove_pis": True, "huge_tree": True, "collect_ids": False}
_LEADING_DECLARATION_RE: Final = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL_CHARS_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PARAGRAPH_BREAK_RE: Final = re.compile(r"\n\s*\n")
_WORD_RE: Final = re.compile(r"\w+")


def parse_html(html: bytes | str | HtmlElement, content_type: str | None = None) -> HtmlElement:
    """Decode (as :func:`archive.extract.decode.decode_html` does) and parse a page into an ``<html>`` tree;
    a page already parsed (:func:`archive.extract.article.parse_page`) is returned as it is."""
    if isinstance(html, HtmlElement):
        return html
    text = decode_html(html, content_type)[0] if isinstance(html, bytes) else html
    text = _CONTROL_CHARS_RE.sub("", _LEADING_DECLARATION_RE.sub("", text, count=1))
    if not text.strip():
        text = "<html></html>"
    return document_fromstring(text, parser=HTMLParser(**_PARSER_OPTIONS))


def _clean_copy(element: HtmlElement, exclude: Iterable[Selector]) -> HtmlElement:
    """A detached copy of ``element`` without scripts, styles and excluded elements."""
    element = copy.deepcopy(element)
    doomed = [node for node in element.iter(*_NOISE_TAGS) if node is not element]
    for selector in exclude:
        doomed.extend(node for node in selector.select(element) if isinstance(node, etree._Element))
    for node in doomed:
        if node is element:
            continue
        parent = node.getparent()
        if parent is not None:
            node.drop_tree()
    return element


def element_blocks(element: HtmlElement, exclude: Iterable[Selector] = ()) -> list[str]:
    """The paragraphs of an element's visible text, white space normalised.

    Each block element (``p``, ``div``, ``li``, headings...) is a paragraph;
    ``<br>`` breaks a line within one. Scripts, styles, forms and elements
    matching ``exclude`` are left out.
    """
    element = _clean_copy(element, exclude)
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        tag = node.tag.lower()
        if tag in _BLOCK_TAGS:
            node.text = "\n\n" + (node.text or "")
            node.tail = "\n\n" + (node.tail or "")
        elif tag == "br":
            node.tail = " " + (node.tail or "")
    text = "".join(element.itertext())
    return [" ".join(chunk.split()) for chunk in _PARAGRAPH_BREAK_RE.split(text) if chunk.strip()]


def _node_texts(nodes: Iterable[Any], exclude: Iterable[Selector] = ()) -> Iterator[str]:
    """The white-space-normalised text of each matched node, empty ones skipped."""
    for node in nodes:
        if isinstance(node, etree._Element):
            text = " ".join(element_blocks(node, exclude))
        else:
            text = " ".join(str(node).split())
        if text:
            yield text


def _first_match(selectors: Iterable[Selector], tree: HtmlElement) -> list[Any]:
    for selector in selectors:
        nodes = selector.select(tree)
        if nodes:
            return nodes
    return []


def _field_value(
    field: str, rules: ExtractionRules, tree: HtmlElement, language: str | None, reference: datetime | None
) -> str | None:
    """What the rules find for one field, or None."""
    nodes = _first_match(rules.selectors(field), tree)
    if field == "body":
        blocks: list[str] = []
        for node in nodes:
            if isinstance(node, etree._Element):
                blocks.extend(element_blocks(node, rules.exclude))
            elif text := " ".join(str(node).split()):
                blocks.append(text)
        return "\n\n".join(blocks) or None
    if field == "date":
        for text in _node_texts(nodes):
            found = parse_datetime(text, language=language, timezone=rules.date_timezone, reference=reference)
            if found is not None:
                return found
        return None
    texts = list(dict.fromkeys(_node_texts(nodes)))
    if not texts:
        return None
    return "; ".join(texts) if field == "author" else texts[0]


def rule_matches(rules: ExtractionRules, tree: HtmlElement) -> dict[str, bool]:
    """Whether each field that has a rule selects anything on the page,
    whether or not the extraction used it: what tells, run after run, that
    a site's templates still are what its rules were written for
    (:mod:`archive.index.drift`)."""
    return {field: bool(_first_match(rules.selectors(field), tree)) for field in FIELDS if rules.selectors(field)}


# --------------------------------------------------------------------------
# The check and the refinement


def passes_check(extraction: Extraction, *, min_length: int = DEFAULT_MIN_LENGTH, expected_language: str | None) -> bool:
    """True when the text is not empty, has ``min_length`` characters and is in the expected language."""
    text = extraction.text.strip()
    if not text or len(text) < min_length:
        return False
    expected = parse_language_tag(expected_language)
    return expected is None or extraction.language == expected


def refine(
    extraction: Extraction,
    html: bytes | HtmlElement,
    url: str,
    rules: ExtractionRules | None,
    expected_language: str | None,
    content_type: str | None = None,
    *,
    content_language: str | None = None,
    reference: datetime | None = None,
) -> tuple[Extraction, str]:
    """Check trafilatura's ``extraction`` of ``html`` (the body, or its tree as parsed
    for the extraction) and apply the source's ``rules``; return (result, path).

    ``url`` is the URL fetched (kept for error messages and future
    URL-dependent rules); ``expected_language`` the source's ISO 639-1
    code, if any; ``content_type`` / ``content_language`` the HTTP header
    values; ``reference`` the capture time (timezone-aware), which resolves
    relative dates such as "сегодня 21:13". The path is one of
    :data:`PATHS` (see the module docstring). When the body is replaced,
    ``word_count`` and ``language`` are recomputed from the new text.
    """
    del url  # same signature as extract(); not needed by any rule yet
    min_length = rules.min_length if rules is not None else DEFAULT_MIN_LENGTH
    passed = passes_check(extraction, min_length=min_length, expected_language=expected_language)
    fields = (rules.prefer if passed else frozenset(FIELDS)) if rules is not None else frozenset()
    fields = frozenset(field for field in fields if rules is not None and rules.selectors(field))
    if not fields or rules is None:
        return extraction, "trafilatura" if passed else "trafilatura-failed"

    tree = parse_html(html, content_type)
    language = parse_language_tag(expected_language) or extraction.language
    changes: dict[str, Any] = {}
    for field in FIELDS:
        if field not in fields:
            continue
        value = _field_value(field, rules, tree, language, reference)
        if value is None:
            continue
        if field == "body":
            changes["text"] = value
            changes["word_count"] = len(_WORD_RE.findall(value))
            changes["language"] = detect_language(html_lang_from_tree(tree), content_language, value)
        elif field == "date":
            changes["published"] = value
        elif field == "author":
            changes["author"] = value
            changes["authors"] = tuple(value.split("; "))
        else:
            changes[field] = value
    if not changes:
        return extraction, "trafilatura" if passed else "trafilatura-failed"
    return dataclasses.replace(extraction, **changes), "trafilatura+override" if passed else "override"
