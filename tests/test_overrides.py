"""archive.extract.siterules: per-source selector rules applied where trafilatura falls short."""

import dataclasses
import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone

import pytest

from archive.extract.article import EXTRACTOR, Extraction, extract
from archive.extract.rules import DEFAULT_MIN_LENGTH, ExtractionRules, Selector
from archive.extract.siterules import element_blocks, parse_html, passes_check, refine

URL = "https://svpressa.ru/war21/article/321239/"
PARAGRAPHS = [
    "В конце декабря атомный ледокол нового поколения вышел на заводские ходовые испытания в Финском заливе.",
    "Событие прошло почти незамеченным на фоне новостей о переговорах, хотя значение его трудно переоценить.",
    "Эксперты сходятся в одном: в ближайшее десятилетие именно ледоколы определят, чьим будет Северный морской путь.",
]
PAGE = f"""<!DOCTYPE html>
<html lang="ru"><head><meta charset="windows-1251"><title>Арктика | Свободная пресса</title>
<meta name="author" content="Редакция"></head>
<body>
<nav><a href="/politic/">Политика</a> <a href="/war21/">Война и мир</a></nav>
<article class="b-text">
<h1 class="b-text__title">Арктика:  почему ледоколы
 важнее авианосцев</h1>
<div class="b-text__date">вчера 21:13</div>
<div class="b-author"><a class="b-author__name" href="/authors/1/">Михаил Зернов</a>
<a class="b-author__name" href="/authors/2/">Ольга Кречетова</a></div>
<div class="b-text__block b-text__block_text">
<p>{PARAGRAPHS[0]}</p>
<script>var ad = "реклама";</script>
<p>{PARAGRAPHS[1]}<br>Вторая строка.</p>
<div class="b-read-also">Читайте также: <a href="/x/">другая статья</a></div>
<p><style>.x{{color:red}}</style>{PARAGRAPHS[2]}</p>
</div>
<time class="published" datetime="2022-01-05T21:13:00+03:00">5 января</time>
</article>
</body></html>""".encode("windows-1251")
CAPTURED = datetime(2022, 1, 6, 10, 0, tzinfo=timezone.utc)

SVPRESSA = {
    "title": "h1.b-text__title",
    "body": "div.b-text__block_text",
    "exclude": [".b-read-also"],
    "date": "div.b-text__date",
    "author": "a.b-author__name",
    "date_timezone": "Europe/Moscow",
    "min_length": 100,
}


def extraction(**fields: object) -> Extraction:
    """What trafilatura might have returned for PAGE: by default, nothing at all."""
    base = dict(
        title=None,
        author=None,
        published=None,
        language="ru",
        text="",
        description=None,
        sitename=None,
        canonical_url=URL,
        encoding="windows-1251",
        word_count=0,
        extractor=EXTRACTOR,
    )
    base.update(fields)
    return Extraction(**base)


# -- rules from the sources file -------------------------------------------


def test_rules_from_a_full_mapping() -> None:
    rules = ExtractionRules.from_mapping(
        {
            **SVPRESSA,
            "author": ["a.b-author__name", {"xpath": "//meta[@name='author']/@content"}],
            "prefer": ["date"],
        }
    )
    assert [s.kind for s in rules.author] == ["css", "xpath"]
    assert rules.title == (Selector("css", "h1.b-text__title", rules.title[0].xpath),)
    assert rules.date_timezone == "Europe/Moscow"
    assert rules.min_length == 100
    assert rules.prefer == frozenset({"date"})
    assert ExtractionRules.from_mapping({}).min_length == DEFAULT_MIN_LENGTH


def test_source_timezone_is_the_default_for_dates() -> None:
    assert ExtractionRules.from_mapping({"date": "time"}, default_timezone="UTC").date_timezone == "UTC"
    rules = ExtractionRules.from_mapping({"date": "time", "date_timezone": "Asia/Tokyo"}, default_timezone="UTC")
    assert rules.date_timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"titel": "h1"}, r"unknown key\(s\) 'titel'"),
        ({"title": "h1[class="}, r"extraction\.title: bad CSS selector 'h1\[class='"),
        ({"body": {"xpath": "//div[@class='x'"}}, r"extraction\.body: bad xpath selector"),
        ({"author": {"regex": "x"}}, r"extraction\.author: expected a CSS string"),
        ({"author": {"css": "a", "xpath": "//a"}}, r"extraction\.author: expected a CSS string"),
        ({"date": []}, r"extraction\.date: empty list"),
        ({"date": "  "}, r"extraction\.date: empty css selector"),
        ({"date": 5}, r"extraction\.date: expected a CSS string"),
        ({"date_timezone": "Europe/Atlantis"}, r"extraction\.date_timezone: unknown IANA time zone 'Europe/Atlantis'"),
        ({"min_length": -1}, r"extraction\.min_length"),
        ({"min_length": True}, r"extraction\.min_length"),
        ({"min_length": "200"}, r"extraction\.min_length"),
        ({"prefer": ["summary"]}, r"extraction\.prefer"),
        ({"prefer": ["date"]}, r"extraction\.prefer: date listed but has no selector"),
    ],
)
def test_bad_rules_name_the_key(mapping: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExtractionRules.from_mapping(mapping)


def test_rules_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match="expected a mapping"):
        ExtractionRules.from_mapping(["h1"])  # type: ignore[arg-type]


def test_rules_and_refine_are_picklable() -> None:
    rules = ExtractionRules.from_mapping(SVPRESSA)
    assert pickle.loads(pickle.dumps(rules)) == rules
    assert pickle.loads(pickle.dumps(refine)) is refine


def test_refine_runs_in_a_process_pool() -> None:
    rules = ExtractionRules.from_mapping(SVPRESSA)
    with ProcessPoolExecutor(max_workers=1) as pool:
        result, path = pool.submit(refine, extraction(), PAGE, URL, rules, "ru", "text/html", reference=CAPTURED).result()
    assert path == "override"
    assert result.title == "Арктика: почему ледоколы важнее авианосцев"


# -- the check -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected_language", "passes"),
    [
        ("", "ru", "ru", False),
        ("   \n ", "ru", None, False),
        ("x" * 199, "ru", "ru", False),
        ("x" * 200, "ru", "ru", True),
        ("x" * 200, "en", "ru", False),
        ("x" * 200, "en", None, True),
        ("x" * 200, "ru", "ru-RU", True),
        ("x" * 200, None, "ru", False),
    ],
)
def test_passes_check(text: str, language: str | None, expected_language: str | None, passes: bool) -> None:
    assert passes_check(extraction(text=text, language=language), expected_language=expected_language) is passes


# -- refine ----------------------------------------------------------------


def test_failed_extraction_is_overridden_field_by_field() -> None:
    rules = ExtractionRules.from_mapping(SVPRESSA)
    result, path = refine(extraction(title="Арктика | Свободная пресса"), PAGE, URL, rules, "ru", reference=CAPTURED)
    assert path == "override"
    assert result.title == "Арктика: почему ледоколы важнее авианосцев"
    assert result.author == "Михаил Зернов; Ольга Кречетова"
    # "вчера" from a capture on 6 January (Moscow time).
    assert result.published == "2022-01-05T21:13:00+03:00"
    assert result.text == "\n\n".join([PARAGRAPHS[0], PARAGRAPHS[1] + " Вторая строка.", PARAGRAPHS[2]])
    assert "реклама" not in result.text and "color" not in result.text and "Читайте" not in result.text
    assert result.word_count == len(re.findall(r"\w+", result.text))
    assert result.language == "ru"
    assert result.encoding == "windows-1251" and result.canonical_url == URL


def test_word_count_and_language_follow_the_new_text() -> None:
    rules = ExtractionRules.from_mapping({"body": "div.b-text__block_text p"})
    before = extraction(text="Cookie banner. Accept all cookies to continue.", language="en", word_count=7)
    result, path = refine(before, PAGE, URL, rules, "ru")
    assert path == "override"
    assert result.language == "ru"
    assert result.word_count == len(re.findall(r"\w+", result.text))
    assert result.text.count("\n\n") == 2


def test_a_good_extraction_is_kept() -> None:
    good = extraction(text="Текст статьи. " * 30, title="Заголовок", published="2022-01-05")
    rules = ExtractionRules.from_mapping(SVPRESSA)
    assert refine(good, PAGE, URL, rules, "ru") == (good, "trafilatura")
    assert refine(good, PAGE, URL, None, "ru") == (good, "trafilatura")


def test_preferred_fields_replace_a_good_extraction() -> None:
    good = extraction(text="Текст статьи. " * 30, title="Заголовок", published="2022-01-05")
    rules = ExtractionRules.from_mapping({**SVPRESSA, "prefer": ["date"]})
    result, path = refine(good, PAGE, URL, rules, "ru", reference=CAPTURED)
    assert path == "trafilatura+override"
    assert result == dataclasses.replace(good, published="2022-01-05T21:13:00+03:00")


def test_a_preferred_field_that_finds_nothing_keeps_trafilatura() -> None:
    good = extraction(text="Текст статьи. " * 30, published="2022-01-05")
    rules = ExtractionRules.from_mapping({"date": "div.b-text__date", "prefer": ["date"]})
    # Without a reference, "вчера 21:13" cannot be resolved: no value, no change.
    assert refine(good, PAGE, URL, rules, "ru") == (good, "trafilatura")


def test_no_rules_or_no_match_is_reported_as_failed() -> None:
    bad = extraction(text="short")
    assert refine(bad, PAGE, URL, None, "ru") == (bad, "trafilatura-failed")
    rules = ExtractionRules.from_mapping({"body": "div.no-such-thing", "title": "h2.nope"})
    assert refine(bad, PAGE, URL, rules, "ru") == (bad, "trafilatura-failed")


def test_wrong_language_triggers_the_override() -> None:
    english = extraction(text="Subscribe to our newsletter and never miss a story. " * 5, language="en")
    result, path = refine(english, PAGE, URL, ExtractionRules.from_mapping(SVPRESSA), "ru", reference=CAPTURED)
    assert path == "override"
    assert result.text.startswith(PARAGRAPHS[0])


def test_attribute_and_text_selectors() -> None:
    rules = ExtractionRules.from_mapping(
        {
            "date": "time.published::attr(datetime)",
            "author": {"xpath": "//meta[@name='author']/@content"},
            "title": "h1::text",
        }
    )
    result, path = refine(extraction(), PAGE, URL, rules, "ru")
    assert path == "override"
    assert result.published == "2022-01-05T21:13:00+03:00"
    assert result.author == "Редакция"
    assert result.title == "Арктика: почему ледоколы важнее авианосцев"


def test_first_matching_alternative_wins() -> None:
    rules = ExtractionRules.from_mapping({"title": ["h2.redesign-title", "h1.b-text__title", "title"]})
    result, _ = refine(extraction(), PAGE, URL, rules, None)
    assert result.title == "Арктика: почему ледоколы важнее авианосцев"


def test_string_valued_xpath() -> None:
    rules = ExtractionRules.from_mapping({"author": {"xpath": "substring-before(normalize-space(//div[@class='b-author']), ' ')"}})
    result, _ = refine(extraction(), PAGE, URL, rules, None)
    assert result.author == "Михаил"


def test_refine_after_a_real_extraction() -> None:
    """trafilatura keeps the day only; the rule restores the time and zone."""
    trafilatura_result = extract(PAGE, URL, "text/html")
    assert trafilatura_result.published in (None, "2022-01-05")
    rules = ExtractionRules.from_mapping({**SVPRESSA, "prefer": ["date"]})
    result, path = refine(trafilatura_result, PAGE, URL, rules, "ru", "text/html", reference=CAPTURED)
    assert result.published == "2022-01-05T21:13:00+03:00"
    assert path in ("trafilatura+override", "override")


def test_element_blocks() -> None:
    tree = parse_html("<div><p>One <b>bold</b>\n word.</p>text between<ul><li>a</li><li>b<br>c</li></ul></div>")
    (div,) = tree.xpath("//body/div")
    assert element_blocks(div) == ["One bold word.", "text between", "a", "b c"]


def test_parse_html_decodes_like_the_extractor() -> None:
    tree = parse_html(PAGE, "text/html; charset=windows-1251")
    assert tree.xpath("string(//h1)").split()[0] == "Арктика:"
    assert parse_html(b"").tag == "html"
