"""A source's extraction rules, as the sources file gives them: CSS or XPath
selectors for ``title``, ``body``, ``date`` and ``author``, elements to
``exclude``, ``date_timezone``, ``min_length`` and the fields to ``prefer``.

:meth:`ExtractionRules.from_mapping` validates such a mapping (every selector
must compile); :func:`archive.extract.siterules.refine` applies the rules.
This module is read with the sources file, so it imports no extractor.
Everything here is picklable: compiled XPath objects are cached per process,
never stored in the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

from cssselect import SelectorError
from lxml import etree
from lxml.html import HtmlElement
from parsel.csstranslator import css2xpath

from archive.extract.dates import zone

#: Shortest text (characters) that passes the check when the rules set no ``min_length``.
DEFAULT_MIN_LENGTH: Final = 200
#: Fields a rule can give, in the order they are applied.
FIELDS: Final = ("title", "author", "date", "body")
#: The paths :func:`refine` reports.
PATHS: Final = ("trafilatura", "trafilatura+override", "override", "trafilatura-failed")
_KEYS: Final = frozenset({*FIELDS, "exclude", "date_timezone", "min_length", "prefer"})


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
