"""archive.extract.language: declared languages, their parsing, and when the text overrides them."""

import lxml.html
import pytest

from archive.extract.language import (
    MIN_TEXT_CHARS,
    detect_language,
    html_lang_from_html,
    html_lang_from_tree,
    identify_text_language,
    parse_language_tag,
)

RUSSIAN = (
    "Правительство утвердило новый порядок выплаты пособий семьям с детьми. Как сообщили в "
    "министерстве труда, изменения вступят в силу с первого января следующего года. Размер "
    "выплат будет зависеть от дохода семьи и региона проживания, а заявление можно будет "
    "подать через портал государственных услуг или в многофункциональном центре."
)
ENGLISH = (
    "The city council voted on Tuesday to expand the after-school programme to every district, "
    "officials said. The plan, which had been debated for months, will be funded by a small "
    "increase in the parking levy and is expected to reach four thousand more children by the "
    "end of next year, according to the mayor's office."
)
GERMAN = (
    "Der Stadtrat hat am Dienstag beschlossen, das Nachmittagsprogramm für Schulkinder auf alle "
    "Bezirke auszuweiten. Die Finanzierung soll über eine leichte Erhöhung der Parkgebühren "
    "erfolgen, teilte die Verwaltung mit. Bis Ende des kommenden Jahres sollen so viertausend "
    "weitere Kinder erreicht werden."
)


def test_texts_are_long_enough_to_override():
    assert min(len(RUSSIAN), len(ENGLISH), len(GERMAN)) >= MIN_TEXT_CHARS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en"),
        ("ru_RU", "ru"),
        ("  de-DE  ", "de"),
        ("en, fr", "en"),
        ("fr;q=0.8", "fr"),
        ("zh-Hans-CN", "zh"),
        ("iw", "he"),
        ("in-ID", "id"),
        ("", None),
        (None, None),
        ("xx", None),
        ("und", None),
        ("x-default", None),
        ("english", None),
        ("eng", None),
        ("{{ lang }}", None),
        ("e", None),
        ("12", None),
    ],
)
def test_parse_language_tag(value, expected):
    assert parse_language_tag(value) == expected


def test_russian_text_under_an_english_template_is_russian():
    assert detect_language("en", None, RUSSIAN) == "ru"


def test_english_text_under_a_german_template_is_english():
    assert detect_language("de-DE", "de", ENGLISH) == "en"


def test_german_text_with_english_content_language_is_german():
    assert detect_language(None, "en", GERMAN) == "de"


def test_english_page():
    assert detect_language("en-US", None, ENGLISH) == "en"


def test_missing_declarations_fall_back_to_the_text():
    assert detect_language(None, None, RUSSIAN) == "ru"
    assert detect_language(None, None, GERMAN) == "de"


def test_content_language_only():
    assert detect_language(None, "fr-FR", "") == "fr"


def test_html_lang_beats_content_language():
    assert detect_language("it", "fr", "") == "it"


def test_garbage_html_lang_falls_through_to_content_language():
    assert detect_language("{{lang}}", "pt-BR", "") == "pt"


def test_garbage_everywhere_falls_through_to_the_text():
    assert detect_language("xx", "english", ENGLISH) == "en"


def test_short_text_never_overrides_a_declaration():
    short = RUSSIAN[: MIN_TEXT_CHARS - 1]
    assert identify_text_language(short)[0] == "ru"
    assert detect_language("en", None, short) == "en"


def test_nothing_to_go_on_is_none():
    assert detect_language(None, None, "") is None
    assert detect_language("", "", "12:30 — 45 / 2019") is None


def test_identify_text_language_folds_model_labels_into_iso_639_1():
    code, probability = identify_text_language(GERMAN)
    assert code == "de" and probability > 0.95
    assert identify_text_language("") == (None, 0.0)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<!DOCTYPE html><html lang="ru-RU"><head>', "ru-RU"),
        ("<HTML LANG=en>", "en"),
        ('<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="de" lang="fr">', "fr"),
        ('<html xml:lang="de">', "de"),
        ('<html data-lang="fr" class="x">', None),
        ("<html>", None),
        ("<p lang='en'>no html tag</p>", None),
    ],
)
def test_html_lang_from_html(html, expected):
    assert html_lang_from_html(html) == expected


def test_html_lang_from_tree():
    tree = lxml.html.document_fromstring('<html lang="uk"><body><p lang="en">x</p></body></html>')
    assert html_lang_from_tree(tree) == "uk"
    assert html_lang_from_tree(tree.body) == "uk"
    assert html_lang_from_tree(lxml.html.document_fromstring("<p>x</p>")) is None
