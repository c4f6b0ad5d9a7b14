"""Per-source extraction overrides: CSS or XPath rules used where trafilatura fails.

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

:meth:`ExtractionRules.from_mapping` validates such a mapping (every selector
must compile) and :func:`refine` applies it to the result of
:func:`archive.extract.extract`:

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
through :func:`archive.dates.parse_datetime` with the rules' time zone. A
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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, Literal

from cssselect import SelectorError
from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring
from parsel.csstranslator import css2xpath

from archive.charset import decode_html
from archive.dates import parse_datetime, zone
from archive.extract import Extraction
from archive.language import detect_language, html_lang_from_tree, parse_language_tag

__all__ = [
    "DEFAULT_MIN_LENGTH",
    "FIELDS",
    "PATHS",
    "ExtractionRules",
    "Selector",
    "element_blocks",
    "parse_html",
    "passes_check",
    "refine",
]

#: Shortest text (characters) that passes the check when the rules set no ``min_length``.
DEFAULT_MIN_LENGTH: Final = 200
#: Fields a rule can give, in the order they are applied.
FIELDS: Final = ("title", "author", "date", "body")
#: The paths :func:`refine` reports.
PATHS: Final = ("trafilatura", "trafilatura+override", "override", "trafilatura-failed")
_KEYS: Final = frozenset({*FIELDS, "exclude", "date_timezone", "min_length", "prefer"})
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


@dataclass(frozen=True, slots=True)
class Selector:
    """One CSS or XPath expression, as written in the sources file, with its XPath form."""

    kind: Literal["css", "xpath"]
    expression: str
    xpath: str

    @classmethod
    def compile(cls, kind: Literal["css", "xpath"], expression: str) -> Selector:
        """Validate ``expression``; ValueError saying what is wrong with it."""
        if not isinstance(expression, str) or not expression.strip():
            raise ValueError(f"empty {kind} selector")
        if kind == "css":
            try:
                xpath = css2xpath(expression)
            except SelectorError as exc:
                raise ValueError(f"bad CSS selector {expression!r}: {exc}") from None
        else:
            xpath = expression
        try:
            _compiled(xpath)
        except etree.XPathSyntaxError as exc:
            raise ValueError(f"bad {kind} selector {expression!r}: {exc}") from None
        return cls(kind, expression, xpath)

    def select(self, tree: HtmlElement) -> list[Any]:
        """Matched nodes: elements, or strings for ``text()`` / attribute / ``::attr`` results."""
        try:
            result = _compiled(self.xpath)(tree)
        except etree.XPathEvalError:
            return []
        if isinstance(result, list):
            return result
        return [str(result)] if result not in ("", None, False) else []


@lru_cache(maxsize=256)
def _compiled(xpath: str) -> etree.XPath:
    return etree.XPath(xpath)


def _selectors(key: str, value: object) -> tuple[Selector, ...]:
    """Parse one field's value: a CSS string, ``{css: ...}`` / ``{xpath: ...}``, or a list of those."""
    items = value if isinstance(value, list | tuple) else [value]
    if not items:
        raise ValueError(f"extraction.{key}: empty list of selectors")
    selectors = []
    for item in items:
        try:
            if isinstance(item, str):
                selectors.append(Selector.compile("css", item))
            elif isinstance(item, Mapping) and len(item) == 1 and next(iter(item)) in ("css", "xpath"):
                kind, expression = next(iter(item.items()))
                selectors.append(Selector.compile(kind, expression))
            else:
                raise ValueError(f"expected a CSS string or a mapping {{css: ...}} or {{xpath: ...}}, got {item!r}")
        except ValueError as exc:
            raise ValueError(f"extraction.{key}: {exc}") from None
    return tuple(selectors)


@dataclass(frozen=True, slots=True)
class ExtractionRules:
    """One source's extraction overrides (see the module docstring)."""

    title: tuple[Selector, ...] = ()
    author: tuple[Selector, ...] = ()
    date: tuple[Selector, ...] = ()
    body: tuple[Selector, ...] = ()
    exclude: tuple[Selector, ...] = ()
    date_timezone: str | None = None
    min_length: int = DEFAULT_MIN_LENGTH
    prefer: frozenset[str] = frozenset()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, default_timezone: str | None = None) -> ExtractionRules:
        """Build rules from a source's ``extraction:`` mapping; ValueError naming the key at fault.

        ``default_timezone`` (e.g. the source's own ``timezone:``) applies
        when the mapping sets no ``date_timezone``.
        """
        if not isinstance(mapping, Mapping):
            raise ValueError(f"extraction: expected a mapping, got {type(mapping).__name__}")
        unknown = sorted(set(mapping) - _KEYS)
        if unknown:
            raise ValueError(f"extraction: unknown key(s) {', '.join(map(repr, unknown))} (known: {', '.join(sorted(_KEYS))})")
        values: dict[str, Any] = {}
        for key in (*FIELDS, "exclude"):
            if mapping.get(key) is not None:
                values[key] = _selectors(key, mapping[key])
        timezone = mapping.get("date_timezone", default_timezone)
        if timezone is not None:
            try:
                zone(timezone if isinstance(timezone, str) else "")
            except ValueError:
                raise ValueError(f"extraction.date_timezone: unknown IANA time zone {timezone!r}") from None
            values["date_timezone"] = timezone
        if "min_length" in mapping:
            length = mapping["min_length"]
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                raise ValueError(f"extraction.min_length: expected a whole number >= 0, got {length!r}")
            values["min_length"] = length
        if "prefer" in mapping:
            prefer = mapping["prefer"]
            if isinstance(prefer, str):
                prefer = [prefer]
            if not isinstance(prefer, list | tuple) or any(name not in FIELDS for name in prefer):
                raise ValueError(f"extraction.prefer: expected a list of {', '.join(FIELDS)}, got {prefer!r}")
            missing = [name for name in prefer if name not in values]
            if missing:
                raise ValueError(f"extraction.prefer: {', '.join(missing)} listed but has no selector")
            values["prefer"] = frozenset(prefer)
        return cls(**values)

    def selectors(self, field: str) -> tuple[Selector, ...]:
        """The selectors of one of :data:`FIELDS`."""
        return getattr(self, field)


# --------------------------------------------------------------------------
# Page text


def parse_html(html: bytes | str, content_type: str | None = None) -> HtmlElement:
    """Decode (as :func:`archive.charset.decode_html` does) and parse a page into an ``<html>`` tree."""
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
    html: bytes,
    url: str,
    rules: ExtractionRules | None,
    expected_language: str | None,
    content_type: str | None = None,
    *,
    content_language: str | None = None,
    reference: datetime | None = None,
) -> tuple[Extraction, str]:
    """Check trafilatura's ``extraction`` of ``html`` and apply the source's ``rules``; return (result, path).

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
        else:
            changes[field] = value
    if not changes:
        return extraction, "trafilatura" if passed else "trafilatura-failed"
    return dataclasses.replace(extraction, **changes), "trafilatura+override" if passed else "override"
