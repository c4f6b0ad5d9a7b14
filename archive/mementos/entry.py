"""A source's ``recover`` key in the sources file: what ``mediarchive
recover`` asks web archives for (``domains``, ``archives``, ``since``, ``until``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archive.errors import UsageError
from archive.mementos.memento import archive_from_url
from archive.search.search import check_date

def recover_entry(recover: Any, fail: Callable[[str, str], Exception], string_list: Callable) -> dict[str, Any]:
    """The values a source's ``recover`` mapping gives its :class:`~archive.sources.Source`;
    ``fail(key, problem)`` makes the error, ``string_list`` reads a list of strings."""
    if not isinstance(recover, dict) or set(recover) - {"domains", "archives", "since", "until"}:
        raise fail("recover", "must be a mapping with 'domains', 'archives', 'since' and 'until' (each optional)")
    values: dict[str, Any] = {}
    domains = string_list(recover.get("domains"), "recover.domains", fail)
    for domain in domains:
        if "/" in domain or ":" in domain or not domain.strip("."):
            raise fail("recover.domains", f"{domain!r} must be a bare host name such as 'example.org'")
    values["recover_domains_"] = domains
    archives = string_list(recover.get("archives"), "recover.archives", fail)
    for url in archives:
        try:
            archive_from_url(url)
        except UsageError as exc:
            raise fail("recover.archives", exc.message.removeprefix("--archive: ")) from None
    values["recover_archives"] = archives
    for key in ("since", "until"):
        if recover.get(key) is not None:
            date = str(recover[key])
            try:
                values[f"recover_{key}"] = check_date(date, f"recover.{key}")
            except UsageError:
                raise fail(f"recover.{key}", f"{date!r} is not a date YYYY, YYYY-MM or YYYY-MM-DD") from None
    return values
