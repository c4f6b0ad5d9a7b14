"""The publication time extract() stores: the page's explicit statement, in
the page's own offset and calendar day, and the searches and facets that
read it keep that day."""

from __future__ import annotations

import pytest

from archive.extract.article import extract

BODY = "<p>" + "Die Stadt hat am Neujahrstag ein neues Programm vorgestellt, das viele Bürger begrüßen. " * 8 + "</p>"
NEW_YEAR = "2019-01-01T00:11:59+01:00"


def published(head: str, body: str = "", url: str = "https://zeitung.example/a") -> str | None:
    html = f"<html lang='de'><head><title>T</title>{head}</head><body><article><h1>T</h1>{body}{BODY}</article></body></html>"
    return extract(html.encode(), url).published


def ld(**fields: str) -> str:
    import json

    return f"<script type='application/ld+json'>{json.dumps({'@type': 'NewsArticle', **fields})}</script>"


@pytest.mark.parametrize("local", [
    ld(datePublished=NEW_YEAR),
    "<time datetime='2019-01-01T00:11:59+01:00'>1. Januar 2019, 0.11 Uhr</time>",
])
def test_a_utc_timestamp_is_kept_in_the_local_offset_the_page_also_gives(local):
    """2019-01-01 00:11 in +01:00 was stored as 2018-12-31T23:11:59+00:00: the
    wrong day for --since, --until and the month facet (8 of 851 dated pages)."""
    head = "<meta property='article:published_time' content='2018-12-31T23:11:59+00:00'>"
    head, body = (head + local, "") if local.startswith("<script") else (head, local)
    assert published(head, body) == NEW_YEAR


def test_a_timestamp_only_in_utc_stays_in_utc():
    assert published("<meta property='article:published_time' content='2018-12-31T23:11:59Z'>") == "2018-12-31T23:11:59+00:00"


def test_the_articles_own_json_ld_date_beats_a_date_guessed_from_the_url():
    """A dated URL of another day (a republished piece) is the guess; the
    article's schema.org datePublished is the page's statement."""
    head = ld(datePublished="2023-08-30T16:45+0100")
    assert published(head, url="https://zeitung.example/2019/02/05/heated-airers/") == "2023-08-30T16:45:00+01:00"


def test_a_related_articles_date_is_not_the_pages():
    head = ld(datePublished=NEW_YEAR) + (
        "<script type='application/ld+json'>"
        '{"@type": "ItemList", "itemListElement": [{"@type": "NewsArticle", "datePublished": "2018-06-01T10:00:00+02:00"}]}'
        "</script>"
    )
    assert published(head) == NEW_YEAR


def test_a_meta_date_keeps_its_time():
    assert published(f"<meta name='date' content='{NEW_YEAR}'>") == NEW_YEAR


def test_search_and_facets_use_the_pages_own_day(tmp_path):
    from archive.index.indexer import Indexer
    from archive.index.store import Index
    from archive.search.search import SearchQuery, search
    from tests.test_indexer import HTML, write

    html = (f"<html lang='de'><head><title>Neujahr</title>{ld(datePublished=NEW_YEAR)}"
            "<meta property='article:published_time' content='2018-12-31T23:11:59+00:00'></head>"
            f"<body><article><h1>Neujahr</h1>{BODY}</article></body></html>").encode()
    write(tmp_path, "site", [("https://zeitung.example/neujahr", 200, HTML, html, "article")])
    with Index() as index:
        Indexer(index, workers=0).index_directory(tmp_path)
        (row,) = index.query("SELECT published, month FROM pages")
        assert row == {"published": NEW_YEAR, "month": "2019-01"}
        assert len(search(index, SearchQuery(since="2019-01-01")).rows) == 1
        assert len(search(index, SearchQuery(until="2018-12-31")).rows) == 0
