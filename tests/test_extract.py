"""archive.extract.article on real pages (the Zyte article-extraction benchmark) and on awkward bodies."""

import gzip
import json
import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from archive.extract.article import EXTRACTOR, Extraction, NotExtractable, extract, is_html

BENCHMARK = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "extraction" / "zyte-article-benchmark"
GROUND_TRUTH = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
RUSSIAN_PAGES = {
    "3c6d3381ef52ca26be2fbde19c1b0fe17d85682b726dfecf5e300c1ca34546b1",  # wday.ru, food bloggers
    "c4a3637c6696f238cf9fe1c7fbb17bbb6731a71d4f5fe399b9b4fc3294a96a6b",  # gto-normativy.ru, Skyrim
    "c82b3d1d540bbbd6081bdfb78b4c068c583aa766bcaaefe7ad16d24e5413a829",  # wday.ru, 53-year-old model
    "ff0f958ade714ebfaf5c0b42b1c0152a62063f4e6f72141406ccefc4a2677f21",  # vse-diety.com, Atkins diet
}
# page id -> (title, a sentence of the ground truth's articleBody, published, language)
KNOWN_PAGES = {
    "3cb22bfabed8de715c0813a7bb5052363c96bd71ccce3bb2dfb3ab9d1d7a9bbc": (
        "2020 Audi e-tron Sportback revealed as electric 4-door coupe",
        "US pricing has not been confirmed at this stage, but the 2020 Audi e-tron Sportback is expected to go on "
        "sale in North American midway through next year.",
        # the article's JSON-LD says -06:00, its og meta +00:00 for the same clock time: the JSON-LD is the statement
        "2019-11-20T02:15:49-06:00",
        "en",
    ),
    "a1fca19b884e0e946ad3fbe2a7f5031e5e3b23372702a76db302b6143c77cb31": (
        "Taliban say they freed US, Australian hostages for 3 terrorist figures",
        "“We see these developments as hopeful signs that the Afghan war, a terrible and costly conflict that has "
        "lasted 40 years, may soon conclude through a political settlement.”",
        "2019-11-19T09:20:50+00:00",
        "en",
    ),
    "c82b3d1d540bbbd6081bdfb78b4c068c583aa766bcaaefe7ad16d24e5413a829": (
        "53-летняя модель рассказала что больше всего боится стареть: новости, фото 2018",
        "Поризкова и музыкант Рик Оказек поженились еще на заре ее карьеры и уже почти 30 лет счастливы в браке.",
        "2018-10-11T08:53:00+03:00",
        "ru",
    ),
    # <html lang="en"> over a German article
    "57b4dafd18cfd0531b69f81e87158648227c673ef159f8d8c87d34e34bdb21f2": (
        "Die elektronische Patientenakte (ePA) – der lange Marsch ins Digitale Gesundheitswesen",
        "Das Thema mit dem höchsten Potenzial aber auch mit den meisten Hindernissen wird seit Jahren intensiv "
        "diskutiert: Die elektronische Patientenakte (ePA)",
        "2018-09-25",
        "de",
    ),
    # <html lang="de"> over an English article
    "f81c6c05d9cbc93316992fa23ef74ec405194e292611f2e94f6a814868903665": (
        "How to retire early so you can work, travel, and relax on your own schedule",
        "After outlining your version of early retirement, it's time to establish how much money you need to make "
        "it a reality.",
        "2019-11-13",
        "en",
    ),
    # CNN: htmldate takes the day from the URL (18th), the page's UTC timestamp is the 19th
    "d605bdef2cde7308a9f2fbd1484d4a9c3da0167177245d346da61e455f42208d": (
        "Investors don't seem to know what to make of the US-China trade war",
        "Japan's Nikkei 225 (N225) declined 0.3%, while South Korea's Kospi Index (KOSPI) fell 0.5%.",
        "2019-11-19T02:34:30+00:00",
        "en",
    ),
}

ISO_639_1 = re.compile(r"^[a-z]{2}$")
PARAGRAPHS = "".join(
    f"<p>Paragraph {i}: the council voted on Tuesday to expand programme number {i}, officials said.</p>"
    for i in range(12)
)


def benchmark_html(page_id: str) -> bytes:
    return gzip.decompress((BENCHMARK / "html" / f"{page_id}.html.gz").read_bytes())


def extract_page(page_id: str) -> Extraction:
    return extract(benchmark_html(page_id), GROUND_TRUTH[page_id]["url"])


@pytest.fixture(scope="module")
def all_pages() -> dict[str, Extraction]:
    """Every benchmark page, extracted in a process pool as the indexer does (inputs and results pickled)."""
    ids = sorted(GROUND_TRUTH)
    with ProcessPoolExecutor(max_workers=2) as pool:
        return dict(zip(ids, pool.map(extract_page, ids, chunksize=8)))


def test_benchmark_data_is_complete():
    assert len(GROUND_TRUTH) == 181
    assert all((BENCHMARK / "html" / f"{page_id}.html.gz").is_file() for page_id in GROUND_TRUTH)


def test_every_page_gets_a_language(all_pages):
    assert len(all_pages) == 181
    missing = sorted(page_id for page_id, extraction in all_pages.items() if not extraction.language)
    assert missing == []
    assert all(ISO_639_1.match(extraction.language) for extraction in all_pages.values())


def test_exactly_the_four_russian_pages_are_russian(all_pages):
    assert {page_id for page_id, extraction in all_pages.items() if extraction.language == "ru"} == RUSSIAN_PAGES


def test_every_page_gets_a_title_and_text(all_pages):
    assert [page_id for page_id, extraction in all_pages.items() if not extraction.title] == []
    assert [page_id for page_id, extraction in all_pages.items() if extraction.word_count < 20] == []


@pytest.mark.parametrize("page_id", sorted(KNOWN_PAGES))
def test_known_page(all_pages, page_id):
    title, sentence, published, language = KNOWN_PAGES[page_id]
    assert sentence in GROUND_TRUTH[page_id]["articleBody"]  # the expectation itself comes from the truth
    extraction = all_pages[page_id]
    assert extraction.title == title
    assert sentence in extraction.text
    assert extraction.published == published
    assert extraction.language == language
    assert extraction.encoding == "utf-8"
    assert extraction.extractor == EXTRACTOR


def test_canonical_url_is_the_pages_canonical_link():
    page_id = "c82b3d1d540bbbd6081bdfb78b4c068c583aa766bcaaefe7ad16d24e5413a829"
    fetched = GROUND_TRUTH[page_id]["url"]
    extraction = extract_page(page_id)
    assert fetched.startswith("http://www.wday.ru/articles/")
    assert extraction.canonical_url == (
        "https://www.wday.ru/krasota-zdorovie/novosty/"
        "53-letnyaya-model-posmotri-na-krasotku-kotoraya-prevratilas-v-staruhu/"
    )


def test_extraction_to_dict_is_json_and_round_trips():
    extraction = extract_page("3cb22bfabed8de715c0813a7bb5052363c96bd71ccce3bb2dfb3ab9d1d7a9bbc")
    as_dict = json.loads(json.dumps(extraction.to_dict()))
    assert Extraction(**as_dict) == extraction
    assert set(as_dict) == {
        "title", "author", "published", "language", "text", "description", "sitename",
        "canonical_url", "encoding", "word_count", "extractor", "authors",
    }  # fmt: skip
    assert as_dict["author"] == "Chris Davies"
    assert as_dict["sitename"] == "SlashGear"
    assert as_dict["word_count"] > 500


def test_cp1251_page_declared_utf8_with_content_language():
    text = (
        "Правительство утвердило новый порядок выплаты пособий семьям с детьми. Как сообщили в министерстве, "
        "изменения вступят в силу с первого января. Размер выплат будет зависеть от дохода семьи и региона."
    )
    html = (
        '<html lang="en"><head><meta charset="utf-8"><title>Новые пособия</title></head>'
        f"<body><article><h1>Новые пособия</h1><p>{text}</p><p>{text[::-1]}</p></article></body></html>"
    )
    extraction = extract(html.encode("cp1251"), "https://example.ru/a", "text/html", "en")
    assert extraction.encoding == "windows-1251"
    assert extraction.title == "Новые пособия"
    assert text in extraction.text
    assert extraction.language == "ru"


def test_ten_megabyte_page():
    # A 10 MB inline <script> (app state) before the article: a text node over
    # libxml2's 10 MB limit, which without huge_tree loses the whole body.
    state = "[" + ",".join(f'"item {i:07d} {"y" * 90}"' for i in range(100_000)) + "]"
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Big page</title>"
        f"<script>window.__STATE__ = {state};</script></head>"
        f"<body><article><h1>Big page</h1>{PARAGRAPHS}</article></body></html>"
    ).encode()
    assert len(html) > 10 * 1024 * 1024
    extraction = extract(html, "https://example.com/big", "text/html; charset=utf-8")
    assert extraction.title == "Big page"
    assert "Paragraph 0: the council voted" in extraction.text
    assert "Paragraph 11: the council voted" in extraction.text
    assert "item 0000001" not in extraction.text


@pytest.mark.parametrize("body", [b"", b"   \r\n\t  "], ids=["empty", "blank"])
def test_empty_body_is_not_extractable(body):
    with pytest.raises(NotExtractable, match="empty body") as caught:
        extract(body, "https://example.com/empty", "text/html")
    assert caught.value.reason == "empty body"


@pytest.mark.parametrize("content_type", ["application/pdf", "text/html", None, "application/octet-stream"])
def test_pdf_body_is_not_extractable(content_type):
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00\xff" * 100
    with pytest.raises(NotExtractable, match="not HTML"):
        extract(pdf, "https://example.com/report.pdf", content_type)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b'{"title": "not a page"}', "application/json"),
        (b"just words, no markup at all", "text/plain"),
        (b"just words, no markup at all", None),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "text/html"),
    ],
    ids=["png", "json", "text-plain", "no-mime", "gzip"],
)
def test_other_non_html_bodies_are_not_extractable(body, content_type):
    with pytest.raises(NotExtractable, match="not HTML"):
        extract(body, "https://example.com/x", content_type)


def test_not_extractable_survives_pickling():
    error = pickle.loads(pickle.dumps(NotExtractable("empty body")))
    assert isinstance(error, NotExtractable) and error.reason == "empty body"


@pytest.mark.parametrize(
    "html",
    [
        # unclosed and stray closing tags
        f"<html><head><title>Broken</title><body><div><p>{PARAGRAPHS.replace('</p>', '')}</span></i></div></td>",
        # no <html>, no <head>, no <body>
        f"<title>Broken</title>{PARAGRAPHS}",
        # control characters lxml refuses in str input, and stray angle brackets
        f"<html><head><title>Broken</title></head><body>\x01\x0b<<>> {PARAGRAPHS}\ufffe</body></html>",
        # 300 unclosed <div>s: libxml2 drops anything deeper than 256 unless huge_tree is set
        f"<html><head><title>Broken</title></head><body>{'<div>' * 300}{PARAGRAPHS}</body></html>",
        # an XML declaration (lxml refuses str with one) and an XHTML doctype
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Broken</title></head>'
        f"<body>{PARAGRAPHS}</body></html>",
    ],
    ids=["unclosed", "no-skeleton", "control-chars", "deep-nesting", "xhtml"],
)
def test_malformed_html(html):
    extraction = extract(html.encode(), "https://example.com/broken", "text/html")
    assert extraction.title == "Broken"
    assert "Paragraph 0: the council voted" in extraction.text
    assert "Paragraph 11: the council voted" in extraction.text


def test_html_without_main_text_keeps_its_metadata():
    # A JavaScript application shell: nothing for trafilatura, yet a title and a date.
    html = (
        b'<html lang="fr"><head><title>Accueil</title>'
        b'<meta property="article:published_time" content="2024-03-01T10:00:00+01:00"></head>'
        b'<body><div id="root"></div><script src="/app.js"></script></body></html>'
    )
    extraction = extract(html, "https://example.fr/", "text/html")
    assert (extraction.title, extraction.text, extraction.word_count) == ("Accueil", "", 0)
    assert (extraction.published, extraction.language) == ("2024-03-01T10:00:00+01:00", "fr")


@pytest.mark.parametrize(
    ("mime", "start", "expected"),
    [
        ("text/html", b"", True),
        ("TEXT/HTML; charset=utf-8", b"%PDF-1.4", True),
        ("application/xhtml+xml", b"<?xml", True),
        (None, b"<!DOCTYPE html><html>", True),
        (None, b"\xef\xbb\xbf\n  <html lang='en'>", True),
        ("text/plain", b"<!-- generated -->\n<html>", True),
        ("application/octet-stream", b"<?xml version='1.0'?><!DOCTYPE HTML PUBLIC>", True),
        (None, "<html>".encode("utf-16-le").join([b"\xff\xfe", b""]), True),
        (None, b"<head><title>x</title>", True),
        (None, b"just text", False),
        ("text/plain", b"<p>a fragment</p>", False),
        (None, b"<?xml version='1.0'?><rss version='2.0'>", False),
        ("application/pdf", b"<html>", False),
        ("image/png", b"\x89PNG", False),
        ("application/json", b"<html>", False),
    ],
)
def test_is_html(mime, start, expected):
    assert is_html(mime, start) is expected


def test_a_microdata_date_with_no_value_does_not_stop_the_extraction():
    """sermitsiaq.ag (fundus) marks datePublished on an element with neither
    datetime nor content; extraction raised TypeError on it and, before the
    extraction workers kept failures to their page, ended a whole import."""
    body = (
        "<html lang='en'><head><title>Harbour reopens</title>"
        "<meta property='article:published_time' content='2024-05-06T07:08:00+02:00'></head><body><article>"
        "<h1>Harbour reopens</h1><time itemprop='datePublished' datetime=''>6 May 2024</time>"
        + "<p>The harbour reopened on Monday after the storm damaged the quay and the cranes.</p>" * 8
        + "</article></body></html>"
    ).encode()
    result = extract(body, "https://news.example.org/harbour", content_type="text/html; charset=utf-8")
    assert result.title == "Harbour reopens" and "harbour reopened" in result.text
    assert result.published == "2024-05-06T07:08:00+02:00"
