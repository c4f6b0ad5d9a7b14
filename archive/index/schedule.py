"""When a known URL is fetched again.

An article is re-checked on a schedule that decays with its age: by
default 1 hour, 6 hours, 1 day, 3 days, 7 days and 30 days after its first
capture, then never unless asked (``--recheck all``). Listing pages, feeds
and sitemaps are fetched on every run (that is how new articles are found),
conditionally when the server gave an ETag or Last-Modified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from archive.errors import ConfigError, UsageError

if TYPE_CHECKING:  # the sources file reads the schedule's parser: no database library for it
    from archive.index.store import Index

DEFAULT_RECHECK = ("1h", "6h", "1d", "3d", "7d", "30d")
RECHECK_MODES = ("due", "all", "none")
_DURATION_RE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str) -> timedelta:
    """ "90s", "15m", "1h", "3d", "2w" as a timedelta; ValueError otherwise."""
    match = _DURATION_RE.match(str(value).strip().lower())
    if not match:
        raise ValueError(f"{value!r} is not a duration such as '6h', '3d' or '2w'")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_schedule(values: list[str] | tuple[str, ...], where: str = "recheck") -> tuple[timedelta, ...]:
    try:
        offsets = tuple(parse_duration(v) for v in values)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if list(offsets) != sorted(offsets):
        raise ConfigError(f"{where}: the intervals must grow: {list(values)}")
    return offsets


@dataclass(frozen=True, slots=True)
class Known:
    """What the archive holds of a URL, as the crawler needs it."""

    url: str
    is_article: bool
    first_captured: str
    last_checked: str
    due: bool
    # the newest full (2xx) capture: for conditional GET and revisits
    record_id: str | None = None
    warc_date: str | None = None
    payload_digest: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def is_due(first: datetime, last: datetime, now: datetime, schedule: tuple[timedelta, ...]) -> bool:
    """A re-check is due when a point of the schedule passed since the last check."""
    return any(last < first + offset <= now for offset in schedule)


def crawl_state(
    index: Index, source: str, *, schedule: tuple[timedelta, ...], now: datetime | None = None, mode: str = "due"
) -> dict[str, Known]:
    """Every URL of ``source`` in the index, with whether it is due."""
    if mode not in RECHECK_MODES:
        raise UsageError(f"--recheck must be one of {', '.join(RECHECK_MODES)}")
    now = now or datetime.now(timezone.utc)
    newest: dict[str, tuple] = {}
    for row in index.db.execute(
        """
        SELECT url, record_id, warc_date, payload_digest, etag, last_modified FROM (
          SELECT url, record_id, warc_date, payload_digest, etag, last_modified,
                 ROW_NUMBER() OVER (PARTITION BY url ORDER BY captured_at DESC, record_id DESC) AS rank
          FROM captures
          WHERE source = ? AND record_type IN ('response', 'resource') AND status BETWEEN 200 AND 299)
        WHERE rank = 1
        """,
        [source],
    ):
        newest[row[0]] = row[1:]
    state: dict[str, Known] = {}
    for url, first, last, article in index.db.execute(
        "SELECT url, MIN(captured_at), MAX(captured_at),"
        " MAX(role = 'article' OR content_hash IS NOT NULL) FROM captures WHERE source = ? GROUP BY url",
        [source],
    ):
        is_article = bool(article)
        if mode == "all":
            due = is_article
        elif mode == "none" or not is_article:
            due = False
        else:
            due = is_due(_parse(first), _parse(last), now, schedule)
        record_id, warc_date, digest, etag, last_modified = newest.get(url, (None,) * 5)
        state[url] = Known(url, is_article, first, last, due, record_id, warc_date, digest, etag, last_modified)
    return state


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
