"""archive.extract.job parses a page once: comments taken out of that tree, trafilatura and
the site rules on it give what the steps give one by one, each on its own bytes."""

import pytest
from lxml.html import tostring

from archive.extract.article import LARGE_TREE_ELEMENTS, _options_for, extract, extract_page, parse_page
from archive.extract.comments import extract_comments, remove_comments, take_comments
from archive.extract.job import extract_job
from archive.sources import ExtractionOptions
from tests.make_sample_warcs import extract_sample, load_registry

REGISTRY = load_registry()
ARTICLES = [(outlet, page) for outlet in REGISTRY.values() for page in outlet.articles()]


@pytest.mark.parametrize(("outlet", "page"), ARTICLES, ids=[page.id for _, page in ARTICLES])
def test_the_job_gives_what_the_steps_give_one_by_one(outlet, page) -> None:
    options = ExtractionOptions(
        rules=outlet.rules(), language=outlet.language, comments="typepad" if outlet.strip_comments else None
    )
    captured_at = outlet.captured_at.isoformat()
    result = extract_job(page.body(), page.url, page.content_type, None, options, captured_at)
    extraction, path = extract_sample(outlet, page)
    comments = extract_comments(page.body(), page.content_type) if outlet.strip_comments else []
    assert {key: result[key] for key in extraction.to_dict()} == extraction.to_dict()
    assert (result["extraction_path"], result["comment_count"] or 0) == (path, len(comments))


def test_take_comments_is_extract_then_remove() -> None:
    outlet = REGISTRY["moonofalabama"]
    page = next(outlet.articles())
    taken, removed = parse_page(page.body(), page.content_type), parse_page(page.body(), page.content_type)
    comments = take_comments(taken.tree)
    assert len(comments) == 100
    assert comments == extract_comments(page.body(), page.content_type)
    assert remove_comments(removed.tree) == 100
    assert tostring(taken.tree) == tostring(removed.tree)


def test_extraction_leaves_the_parsed_tree_as_it_was() -> None:
    page = next(REGISTRY["moonofalabama"].articles())
    parsed = parse_page(page.body(), page.content_type)
    before = tostring(parsed.tree)
    assert extract_page(parsed, page.url) == extract(page.body(), page.url, page.content_type)
    assert tostring(parsed.tree) == before


PARAGRAPH = "<p>" + "A paragraph long enough to be the article's main text, as trafilatura wants it. " * 4 + "</p>"


@pytest.mark.parametrize(
    ("stray", "charset"),
    [(stray, "utf-8") for stray in ("\x01", "\x1f", "\ufffe", "\uffff", "\x0b\uffff")]
    + [(stray, "windows-1251") for stray in ("\x01", "\x1f")],
)
def test_control_characters_are_removed_whatever_the_encoding(stray: str, charset: str) -> None:
    html = f"<html><head><title>T</title></head><body>{PARAGRAPH}<p>odd{stray}one</p>{PARAGRAPH}</body></html>"
    text = parse_page(html.encode(charset), f"text/html; charset={charset}").tree.text_content()
    assert "oddone" in text


def test_a_huge_tree_is_extracted_in_fast_mode() -> None:
    cells = "".join(f"<span>{i}</span>" for i in range(LARGE_TREE_ELEMENTS))
    page = parse_page(f"<html><body>{PARAGRAPH}<div>{cells}</div></body></html>".encode(), "text/html")
    assert _options_for(page)["fast"] is True
    assert _options_for(parse_page(f"<html><body>{PARAGRAPH}</body></html>".encode(), "text/html")) == {}
