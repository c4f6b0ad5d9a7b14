"""A source's numeric keys in the sources file: how much of a site a run
takes and how fast (``max_pages``, ``delay``, ``concurrency``,
``routine_pages``), and what one download may take (``timeout``,
``max_body_size``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def limits_of(raw: Mapping[str, Any], fail: Callable[[str, str], Exception]) -> dict[str, Any]:
    """The numeric keys ``raw`` sets, checked (``fail(key, why)`` makes the error)."""
    values: dict[str, Any] = {}

    def number(key: str, *, whole: bool, least: float, above: bool = False, why: str) -> None:
        if key not in raw or (key == "max_pages" and raw[key] is None):
            return
        value = raw[key]
        kinds = int if whole else int | float
        if isinstance(value, bool) or not isinstance(value, kinds) or value < least or (above and value == least):
            raise fail(key, f"{value!r} must be {why}")
        values[key] = value if whole else float(value)

    number("max_pages", whole=True, least=1, why="a positive whole number")
    number("delay", whole=False, least=0, why="a number of seconds, 0 or more")
    number("concurrency", whole=True, least=1, why="a whole number, 1 or more")
    number("routine_pages", whole=True, least=0, why="a whole number, 0 or more")
    number("timeout", whole=False, least=0, above=True, why="a number of seconds, more than 0")
    if "max_body_size" in raw:
        values["max_body_size"] = parse_size(raw["max_body_size"], lambda why: fail("max_body_size", why))
    return values


def parse_size(value: Any, fail: Callable[[str], Exception]) -> int:
    """A size in bytes: a whole number, or a number with KB, MB or GB
    (1024-based, as Scrapy counts them): ``64MB``, ``512 KB``."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE_RE.match(value) if isinstance(value, str) else None
    if match is None or float(match.group(1)) <= 0:
        raise fail(f"{value!r} must be a size: a number of bytes, or a number with KB, MB or GB")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "B").upper()])
