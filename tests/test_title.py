"""archive.extract.title through extract(): the article's title, not the
site's name, chosen among the page's own titles by agreement."""

from __future__ import annotations

import pytest

from archive.extract.article import extract

BODY = "<p>" + "The council voted on Tuesday to widen the programme after a long debate in the chamber. " * 6 + "</p>"


def page(head: str, h1: str | None = None, banner: str | None = None) -> bytes:
    top = f"<header><h1 class='site'>{banner}</h1></header>" if banner else ""
    headline = f"<h1>{h1}</h1>" if h1 else ""
    return (f"<html lang='en'><head>{head}</head><body>{top}<article>{headline}{BODY}</article></body></html>").encode()


def test_the_sites_name_is_cut_from_the_title_the_page_names_it_in():
    head = ("<title>Council widens the programme - News Nation</title><meta property='og:site_name' content='News Nation'>"
            "<meta property='og:title' content='Council widens the programme - News Nation'>")
    assert extract(page(head), "https://newsnation.example/2024/05/council").title == "Council widens the programme"


def test_a_banner_h1_with_the_sites_name_is_not_the_title():
    """A Typepad post: the blog's name in the banner <h1>, "Blog: Post" in <title>."""
    head = ("<title>Moon of Alabama: Kazakhstan - Riots, Requests And A Rapid Response</title>"
            "<meta property='og:site_name' content='Moon of Alabama'>")
    body = page(head, banner="Moon of Alabama")
    assert extract(body, "https://www.moonofalabama.org/2022/01/k.html").title == "Kazakhstan - Riots, Requests And A Rapid Response"


def test_a_cjk_site_suffix_without_spaces_is_cut():
    head = "<title>宮崎県で震度5弱、津波注意報：朝日新聞デジタル</title><meta property='og:site_name' content='朝日新聞デジタル'>"
    assert extract(page(head, h1="宮崎県で震度5弱、津波注意報"), "https://www.asahi.com/articles/1.html").title == "宮崎県で震度5弱、津波注意報"


def test_the_headline_shown_and_the_pages_schema_org_headline_outvote_copies_of_a_search_headline():
    seo = "Council widens programme: what it means for you"
    head = (f"<title>{seo} | News Nation</title><meta property='og:title' content='{seo}'>"
            f"<meta name='twitter:title' content='{seo}'>"
            "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"headline\": \"Council widens the programme after a long debate\"}</script>")
    title = extract(page(head, h1="Council widens the programme after a long debate"), "https://newsnation.example/a").title
    assert title == "Council widens the programme after a long debate"


@pytest.mark.parametrize("shown", ["Haftbefehl: Streeck lobt Doku und warnt vor Kokain", "Ukraine war: what we know on day 100"])
def test_a_topic_before_a_colon_is_part_of_the_title(shown):
    head = f"<title>{shown} | News Nation</title><meta property='og:site_name' content='News Nation'>"
    assert extract(page(head, h1=shown), "https://newsnation.example/a").title == shown


def test_a_login_box_h1_does_not_beat_what_the_meta_titles_agree_on():
    head = ("<title>Chris Christie’s exit marks the end of a fight | The Nation</title>"
            "<meta property='og:title' content='Chris Christie’s exit marks the end of a fight'>")
    body = page(head).replace(b"<article>", b"<div class='modal'><h1>Log In</h1></div><article>")
    assert extract(body, "https://www.thenation.com/article/x/").title == "Chris Christie’s exit marks the end of a fight"
