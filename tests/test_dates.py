"""archive.extract.dates: dates as pages print them, to ISO 8601 with the right zone."""

from datetime import datetime, timezone

import pytest

from archive.extract import dates
from archive.extract.dates import parse_datetime

MOSCOW = "Europe/Moscow"
# 2022-01-06 01:00 in Moscow (22:00 UTC the day before): "today" is the 6th there.
LATE_EVENING_UTC = datetime(2022, 1, 5, 22, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 января 2022 21:13", "2022-01-05T21:13:00+03:00"),
        ("5 января 2022 г., 21:13", "2022-01-05T21:13:00+03:00"),
        ("05 января 2022 года в 21:13", "2022-01-05T21:13:00+03:00"),
        ("  5\u00a0января\n2022   21:13 ", "2022-01-05T21:13:00+03:00"),
        ("23 февраля 2015 07:05", "2015-02-23T07:05:00+03:00"),
        ("1 сентября 2022 09:00 МСК", "2022-09-01T09:00:00+03:00"),
        ("5 января 2022", "2022-01-05"),
        ("05.01.2022 21:13", "2022-01-05T21:13:00+03:00"),
        ("Опубликовано: 5 янв. 2022, 21:13 | 1 204 просмотра", "2022-01-05T21:13:00+03:00"),
    ],
)
def test_russian_dates_are_read_in_moscow_time(text: str, expected: str) -> None:
    assert parse_datetime(text, language="ru", timezone=MOSCOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Moscow kept summer time all year from 2011 to 2014: +04:00.
        ("14 мая 2013 18:05", "2013-05-14T18:05:00+04:00"),
        ("20 января 2012 10:00", "2012-01-20T10:00:00+04:00"),
        # Before 2011 it still switched: winter +03:00, summer +04:00.
        ("15 января 2010 10:00", "2010-01-15T10:00:00+03:00"),
        ("15 июля 2010 10:00", "2010-07-15T10:00:00+04:00"),
        # Back to +03:00 from 26 October 2014.
        ("25 октября 2014 12:00", "2014-10-25T12:00:00+04:00"),
        ("27 октября 2014 12:00", "2014-10-27T12:00:00+03:00"),
    ],
)
def test_moscow_offset_follows_the_zone_rules_of_the_day(text: str, expected: str) -> None:
    assert parse_datetime(text, language="ru", timezone=MOSCOW) == expected


def test_relative_days_resolve_against_the_reference_in_the_page_zone() -> None:
    # 22:00 UTC on the 5th is already the 6th in Moscow.
    assert parse_datetime("сегодня 09:47", language="ru", timezone=MOSCOW, reference=LATE_EVENING_UTC) == (
        "2022-01-06T09:47:00+03:00"
    )
    assert parse_datetime("вчера в 21:13", language="ru", timezone=MOSCOW, reference=LATE_EVENING_UTC) == (
        "2022-01-05T21:13:00+03:00"
    )
    assert parse_datetime("позавчера", language="ru", timezone=MOSCOW, reference=LATE_EVENING_UTC) == "2022-01-04"
    assert parse_datetime("Yesterday at 9:13 pm", timezone="UTC", reference=LATE_EVENING_UTC) == (
        "2022-01-04T21:13:00+00:00"
    )


def test_dates_without_year_take_the_reference_year_or_the_one_before() -> None:
    reference = datetime(2022, 1, 10, 12, 0, tzinfo=timezone.utc)
    assert parse_datetime("5 января 21:13", language="ru", timezone=MOSCOW, reference=reference) == (
        "2022-01-05T21:13:00+03:00"
    )
    assert parse_datetime("30 декабря 21:13", language="ru", timezone=MOSCOW, reference=reference) == (
        "2021-12-30T21:13:00+03:00"
    )


@pytest.mark.parametrize("text", ["сегодня 21:13", "вчера", "5 января 21:13", "today"])
def test_relative_dates_without_reference_are_unknown_not_now(text: str) -> None:
    assert parse_datetime(text, language="ru", timezone=MOSCOW) is None


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("Jan 5, 2022 9:13 pm", "America/New_York", "2022-01-05T21:13:00-05:00"),
        ("Jan 5, 2022 9:13 PM", None, "2022-01-05T21:13:00"),
        ("January 5, 2022 at 12:05 a.m.", "UTC", "2022-01-05T00:05:00+00:00"),
        ("5 January 2022 21:13", "Europe/London", "2022-01-05T21:13:00+00:00"),
        ("July 5, 2022 21:13", "Europe/London", "2022-07-05T21:13:00+01:00"),
        ("Sept. 5, 2022", "UTC", "2022-09-05"),
        ("Posted by: Jen | Jan 05 2022 21:13 utc | 12", None, "2022-01-05T21:13:00+00:00"),
        ("Posted by: Jen | Jan 5 2022 21:13 utc | 12", "Europe/Moscow", "2022-01-05T21:13:00+00:00"),
        ("Posted by b on January 5, 2022 at 15:46 UTC | Permalink", None, "2022-01-05T15:46:00+00:00"),
        ("2022-01-05T21:13:00+0300", None, "2022-01-05T21:13:00+03:00"),
        ("2022-01-05T18:13:00Z", MOSCOW, "2022-01-05T18:13:00+00:00"),
        ("2022-01-05 21:13", MOSCOW, "2022-01-05T21:13:00+03:00"),
        ("updated 2022-01-05", None, "2022-01-05"),
    ],
)
def test_english_typepad_and_iso_forms(text: str, zone: str | None, expected: str) -> None:
    assert parse_datetime(text, language="en", timezone=zone) == expected


def test_a_zone_printed_in_the_text_wins_over_the_default_zone() -> None:
    assert parse_datetime("5 января 2022 21:13 (+05:00)", language="ru", timezone=MOSCOW) == "2022-01-05T21:13:00+05:00"


@pytest.mark.parametrize("text", ["", "   ", None, "no date here", "31 февраля 2022 10:00", "5 января 2022 25:61"])
def test_no_date_or_an_impossible_one_gives_none(text: str | None) -> None:
    assert parse_datetime(text, language="ru", timezone=MOSCOW) is None


def test_unknown_zone_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        parse_datetime("5 января 2022 21:13", language="ru", timezone="Mars/Olympus")


def test_other_forms_fall_back_to_dateparser_in_the_page_language() -> None:
    assert parse_datetime("le 5 janvier 2022 à 21h13", language="fr", timezone="Europe/Paris") == (
        "2022-01-05T21:13:00+01:00"
    )
    assert parse_datetime("Mittwoch, 5. Januar 2022", language="de", timezone="Europe/Berlin") == "2022-01-05"
    # dateparser's relative forms only with a reference, resolved against it.
    assert parse_datetime("3 hours ago", language="en", timezone="UTC") is None
    assert parse_datetime("3 hours ago", language="en", timezone="UTC", reference=LATE_EVENING_UTC) == (
        "2022-01-05T19:00:00+00:00"
    )


def test_the_fast_path_never_loads_dateparser_for_known_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("dateparser called")

    monkeypatch.setattr(dates, "_dateparser", fail)
    assert parse_datetime("5 января 2022 21:13", language="ru", timezone=MOSCOW) is not None
    assert parse_datetime("Posted by: x | Jan 5 2022 21:13 utc | 3", language="en") is not None
    assert parse_datetime("сегодня 21:13", language="ru") is None


def test_month_table_covers_genitive_and_nominative_russian() -> None:
    genitive = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
    nominative = "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()
    assert [dates.MONTHS[name] for name in genitive] == list(range(1, 13))
    assert [dates.MONTHS[name] for name in nominative] == list(range(1, 13))
