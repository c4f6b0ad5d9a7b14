"""Dates written in pages, as people write them, turned into ISO 8601.

One public function, :func:`parse_datetime`, for the short strings that a
page's date element holds: svpressa's ``"5 января 2022 21:13"`` (also
``"5 января 2022 г., 21:13"``, ``"сегодня 21:13"``, ``"вчера в 09:47"``),
English ``"Jan 5, 2022 9:13 pm"`` or ``"January 5, 2022 at 15:46 UTC"``,
Typepad's comment footer ``"Posted by: NAME | Jan 05 2022 21:13 utc | 12"``
(the date is searched for inside the string), ISO 8601 and ``dd.mm.yyyy``.

The result keeps what the page says and no more:

* a date and time with a zone: ``"2022-01-05T21:13:00+03:00"``. The zone is
  the one the text names (``utc``, ``GMT``, ``MSK``, ``+0300``...), else
  the ``timezone`` argument (an IANA name, e.g. ``"Europe/Moscow"``; the
  offset of that day is used, so Moscow gives ``+04:00`` in 2011-2014 and
  ``+03:00`` before and after);
* a date and time without zone when neither gives one: ``"2022-01-05T21:13:00"``;
* a bare date when the text has no time: ``"2022-01-05"``.

Fast path: regular expressions for the formats above, with English and
Russian month names (nominative, genitive and abbreviated). Anything else
goes to ``dateparser``, restricted to the page's language (``dateparser``
trying every locale takes 3-18 s on its first call). Relative dates
("сегодня", "yesterday", "2 hours ago") are resolved against ``reference``,
normally the capture time; without one they give None, never "now".

:mod:`archive.extract.published` is the other way round: the timestamps a
parsed page states for its publication.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


__all__ = ["MONTHS", "parse_datetime", "zone"]

#: Month names and abbreviations (lower case, no trailing dot) -> month number.
MONTHS: Final[dict[str, int]] = {}
for _number, _names in enumerate(
    (
        "january jan январь января янв",
        "february feb февраль февраля фев февр",
        "march mar март марта мар",
        "april apr апрель апреля апр",
        "may май мая",
        "june jun июнь июня июн",
        "july jul июль июля июл",
        "august aug август августа авг",
        "september sep sept сентябрь сентября сен сент",
        "october oct октябрь октября окт",
        "november nov ноябрь ноября ноя нояб",
        "december dec декабрь декабря дек",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

#: Zone names a page may print after a time.
_ZONE_NAMES: Final = {"utc": "UTC", "gmt": "UTC", "z": "UTC", "мск": "Europe/Moscow", "msk": "Europe/Moscow"}
#: Relative day words -> days before the reference date.
_RELATIVE_DAYS: Final = {"сегодня": 0, "вчера": 1, "позавчера": 2, "today": 0, "yesterday": 1}
#: Longest text handed to dateparser: a date element, not a paragraph.
MAX_FALLBACK_CHARS: Final = 120

_MONTH_WORD = r"(?P<month>[a-zа-яё]{3,9})\.?"
_TIME = (
    r"(?:(?:,|\s)\s*(?:at\s+|в\s+|-\s+)?"
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?"
    r"(?:\s*\(?(?P<zone>utc|gmt|мск|msk|z\b|[+-]\d{2}:?\d{2}\b)\)?)?)?"
)
_YEAR_SUFFIX = r"(?:\s*(?:г\.|года|г\b))?"
_PATTERNS: Final = (
    # ISO 8601: 2022-01-05, 2022-01-05T21:13:00+03:00
    re.compile(
        r"(?<!\d)(?P<iso>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?)?)(?!\d)",
        re.IGNORECASE,
    ),
    # 5 января 2022 г., 21:13 / 5 January 2022 9:13 pm / 5 янв (no year)
    re.compile(
        r"(?<![\w.])(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_WORD + r",?(?:\s+(?P<year>\d{4}))?" + _YEAR_SUFFIX + _TIME,
        re.IGNORECASE,
    ),
    # Jan 5, 2022 9:13 pm / January 05, 2022 at 15:46 UTC / Jan 05 2022 21:13 utc
    re.compile(
        r"(?<![\w.])" + _MONTH_WORD + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME,
        re.IGNORECASE,
    ),
    # 05.01.2022 21:13
    re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<nmonth>\d{1,2})\.(?P<year>\d{4})(?![\d.]\d)" + _TIME, re.IGNORECASE),
    # сегодня 21:13 / вчера в 09:47 / yesterday at 9:13 pm
    re.compile(r"(?<!\w)(?P<relative>сегодня|позавчера|вчера|today|yesterday)(?!\w)" + _TIME, re.IGNORECASE),
)
_HAS_TIME_RE: Final = re.compile(r"\d{1,2}[:.]\d{2}(?!\d)")


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The ``tzinfo`` for an IANA zone name; ValueError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _explicit_zone(value: str | None) -> tzinfo | None:
    if not value:
        return None
    value = value.lower()
    if value in _ZONE_NAMES:
        return zone(_ZONE_NAMES[value])
    sign = 1 if value[0] == "+" else -1
    digits = value[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _format(day: date, clock: time | None, explicit: tzinfo | None, default: tzinfo | None) -> str:
    if clock is None:
        return day.isoformat()
    moment = datetime.combine(day, clock)
    attached = explicit or default
    if attached is not None:
        moment = moment.replace(tzinfo=attached)
    return moment.isoformat(timespec="seconds")


def _clock(match: re.Match[str]) -> time | None:
    """The time of day in a match, None if it has none; ValueError if impossible."""
    if match.group("hour") is None:
        return None
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    second = int(match.group("second") or 0)
    ampm = (match.group("ampm") or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError("12-hour clock out of range")
        hour = hour % 12 + (12 if ampm == "p" else 0)
    return time(hour, minute, second)


class _Unresolvable(Exception):
    """A known relative or year-less form, and no reference date to resolve it."""


def _reference_day(reference: datetime | None, default: tzinfo | None) -> date:
    if reference is None:
        raise _Unresolvable
    if reference.tzinfo is not None and default is not None:
        reference = reference.astimezone(default)
    return reference.date()


def _from_match(
    match: re.Match[str], default: tzinfo | None, reference: datetime | None
) -> str | None:
    """The ISO string for one regular-expression match; None if the match is not a real date."""
    groups = match.groupdict()
    if groups.get("iso"):
        iso = re.sub(r"\s+(?=[Zz+-])", "", groups["iso"]).replace(" ", "T")
        parsed = datetime.fromisoformat(iso)
        if "T" not in iso:
            return parsed.date().isoformat()
        if parsed.tzinfo is None and default is not None:
            parsed = parsed.replace(tzinfo=default)
        return parsed.isoformat(timespec="seconds")
    explicit = _explicit_zone(groups.get("zone"))
    clock = _clock(match)
    if groups.get("relative"):
        today = _reference_day(reference, explicit or default)
        return _format(today - timedelta(days=_RELATIVE_DAYS[groups["relative"].lower()]), clock, explicit, default)
    if groups.get("nmonth"):
        month = int(groups["nmonth"])
    else:
        month = MONTHS.get(groups["month"].lower().rstrip("."), 0)
        if not month:
            return None
    if groups.get("year"):
        day = date(int(groups["year"]), month, int(groups["day"]))
    else:  # "5 января 21:13": this year, or last year if that would be in the future
        today = _reference_day(reference, explicit or default)
        day = date(today.year, month, int(groups["day"]))
        if day > today + timedelta(days=1):
            day = date(today.year - 1, month, int(groups["day"]))
    return _format(day, clock, explicit, default)


def _fast_path(text: str, default: tzinfo | None, reference: datetime | None) -> tuple[str | None, bool]:
    """The earliest (then longest) known-format date in ``text`` that is a real date.

    The flag says whether a known form was recognised at all: a relative or
    year-less date without ``reference`` is recognised but unresolvable, and
    must not go to dateparser (which would resolve it against "now").
    """
    matches = sorted(
        (match for pattern in _PATTERNS for match in pattern.finditer(text)),
        key=lambda match: (match.start(), -match.end()),
    )
    recognised = False
    for match in matches:
        try:
            result = _from_match(match, default, reference)
        except ValueError:  # 31 February, 25:61...
            continue
        except _Unresolvable:
            recognised = True
            continue
        if result is not None:
            return result, True
    return None, recognised


def _dateparser(text: str, language: str | None, zone_name: str | None, reference: datetime | None) -> str | None:
    """dateparser on ``text`` in one language; None if it finds no full date."""
    import dateparser  # noqa: PLC0415 - slow import, only needed off the fast path

    if len(text) > MAX_FALLBACK_CHARS:
        return None
    default = zone(zone_name) if zone_name else None
    parsers = ["custom-formats", "absolute-time"]
    settings: dict[str, object] = {
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DATES_FROM": "past",
        "PARSERS": parsers,
    }
    if reference is not None:
        parsers.insert(0, "relative-time")
        base = reference
        if base.tzinfo is not None:
            base = base.astimezone(default or timezone.utc).replace(tzinfo=None)
        settings["RELATIVE_BASE"] = base
    parsed = dateparser.parse(text, languages=[language or "en"], settings=settings)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        if parsed.time() == time(0) and not _HAS_TIME_RE.search(text):
            return parsed.date().isoformat()
        if default is not None:
            parsed = parsed.replace(tzinfo=default)
    return parsed.isoformat(timespec="seconds")


def parse_datetime(
    text: str | None,
    *,
    language: str | None = None,
    timezone: str | None = None,  # noqa: A002 - the natural name for callers
    reference: datetime | None = None,
) -> str | None:
    """Return the first date (and time) written in ``text`` as ISO 8601, or None.

    ``language`` is the page's ISO 639-1 code (only the ``dateparser``
    fallback needs it; English when None). ``timezone`` is the IANA zone in
    which a time without zone is read (ValueError if unknown). ``reference``
    (the capture time, ideally timezone-aware) resolves relative dates and
    dates printed without a year. See the module docstring for the forms of
    the result.

    >>> parse_datetime("5 января 2022 г., 21:13", language="ru", timezone="Europe/Moscow")
    '2022-01-05T21:13:00+03:00'
    >>> parse_datetime("Posted by: Jen | Jan 05 2022 21:13 utc | 12")
    '2022-01-05T21:13:00+00:00'
    """
    if not text:
        return None
    text = " ".join(text.split())
    if not text:
        return None
    default = zone(timezone) if timezone else None
    found, recognised = _fast_path(text, default, reference)
    if found is not None or recognised:
        return found
    return _dateparser(text, language, timezone, reference)
