"""archive.extract.authors through extract(): every credited author, from
the page's own description of its article, not the site's name or a footer."""

from __future__ import annotations

import json

from archive.extract.article import extract

BODY = "<p>" + "The council voted on Tuesday to widen the programme after a long debate in the chamber. " * 6 + "</p>"


def page(head: str = "", byline: str = "", footer: str = "") -> bytes:
    return (
        f"<html lang='en'><head><title>Council widens the programme</title>{head}</head><body>"
        f"<article><h1>Council widens the programme</h1>{byline}{BODY}</article>"
        f"<footer>{footer}</footer></body></html>"
    ).encode()


def ld(author: object) -> str:
    return f"<script type='application/ld+json'>{json.dumps({'@type': 'NewsArticle', 'author': author})}</script>"


def test_the_reporter_json_ld_credits_beats_the_sites_name_in_meta_author():
    head = "<meta name='author' content='Deutsche Welle'><meta property='og:site_name' content='Deutsche Welle'>" + ld(
        {"@type": "Person", "name": "Roman Goncharenko"})
    result = extract(page(head), "https://www.dw.com/de/a-1")
    assert (result.author, result.authors) == ("Roman Goncharenko", ("Roman Goncharenko",))


def test_every_credited_author_is_kept():
    head = ld([{"@type": "Person", "name": "Jane Roe"}, {"@type": "Person", "name": "John Doe"}])
    result = extract(page(head), "https://news.example/a")
    assert (result.author, result.authors) == ("Jane Roe; John Doe", ("Jane Roe", "John Doe"))


def test_a_meta_credit_line_is_split_into_names_but_an_agency_and_place_is_not():
    assert extract(page("<meta name='author' content='By Jane Roe and John Doe'>"), "https://news.example/a").authors == (
        "Jane Roe", "John Doe")
    assert extract(page("<meta name='author' content='AFP, MANILA'>"), "https://news.example/a").authors == ("AFP, MANILA",)


def test_citation_authors_are_turned_round_not_split_in_four():
    head = "<meta name='citation_author' content='You, Xiaoying'><meta name='citation_author' content='Lenharo, Mariana'>"
    assert extract(page(head), "https://www.nature.com/articles/x").authors == ("Xiaoying You", "Mariana Lenharo")


def test_the_byline_by_the_headline_beats_an_editor_in_the_footer():
    byline = "<p class='byline'>By <a rel='author' href='/staff/jane-roe'>Jane Roe</a></p>"
    footer = "<div class='author'>Editor-in-chief: <a href='/staff/john-smith'>John Smith</a></div>"
    assert extract(page(byline=byline, footer=footer), "https://news.example/a").authors == ("Jane Roe",)


def test_the_site_is_the_author_only_when_no_one_else_is_credited():
    head = "<meta name='author' content='Lesotho Times'><meta property='og:site_name' content='Lesotho Times'>"
    assert extract(page(head), "https://lestimes.example/a").authors == ("Lesotho Times",)
    byline = "<span itemprop='author'>Mohloai Mpesi</span>"
    assert extract(page(head, byline=byline), "https://lestimes.example/a").authors == ("Mohloai Mpesi",)


def test_the_index_keeps_the_list_beside_the_display_string(tmp_path):
    from archive.index.indexer import Indexer
    from archive.index.store import Index
    from tests.test_indexer import HTML, write

    head = ld([{"@type": "Person", "name": "Jane Roe"}, {"@type": "Person", "name": "John Doe"}])
    write(tmp_path, "site", [("https://news.example/a", 200, HTML, page(head), "article")])
    with Index() as index:
        Indexer(index, workers=0).index_directory(tmp_path)
        (row,) = index.query("SELECT author, authors FROM pages")
    assert row == {"author": "Jane Roe; John Doe", "authors": '["Jane Roe", "John Doe"]'}
