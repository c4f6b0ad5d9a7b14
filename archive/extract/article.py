"""Extract an article's text and metadata from an HTML response, for the indexer.

:func:`extract` is a plain top-level function of picklable arguments returning
a frozen, picklable :class:`Extraction`, so it can run in a
``concurrent.futures.ProcessPoolExecutor``. It raises :class:`NotExtractable`
(also picklable) for bodies that are not HTML at all, including an empty
body: "there is nothing to index here" is one case for the caller, whatever
the reason. HTML from which trafilatura gets no main text is *not* an error:
it gives an :class:`Extraction` with ``text == ""`` and whatever metadata
(title, date...) the page has.

Pipeline: bytes -> :func:`archive.extract.decode.decode_html` -> one lxml tree
(:func:`parse_page`, see :func:`_parse`) -> ``trafilatura.bare_extraction``
with metadata, trafilatura's default options except ``include_comments=False``
(cheaper ones for huge documents, see :func:`_options_for`) -> language from
:mod:`archive.extract.language` (trafilatura's own field is always empty) ->
publication timestamp (:func:`find_published`); the title is chosen among
the page's own by agreement (:mod:`archive.extract.title`), trafilatura's
only when the page gives none. The indexer's job parses a
page once and gives the same tree to the comment splitter, to
:func:`extract_page` and to the site rules: trafilatura works on a copy of
the tree it is given, so the tree stays as parsed.

Speed: 30-40 ms of CPU a page on the Zyte benchmark's pages (173 KB on
average), nearly all of it trafilatura's (``python -m
bench.extraction_overhead`` compares). trafilatura's cost grows with the
number of elements: a 10 MB page made mostly of inline scripts takes about a
second, but 10 MB of paragraphs, table cells or link lists take 20-60 s.
Run it in a pool whose tasks can time out.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import trafilatura
from lxml.etree import ParserError
from lxml.html import HtmlElement, HTMLParser, document_fromstring, tostring

from archive.extract.published import find_published
from archive.extract.decode import decode_html
from archive.extract.sniff import (
    BINARY_SIGNATURES, HTML_MEDIA_TYPES, SNIFF_BYTES, UNINFORMATIVE_MEDIA_TYPES, UTF16_BOMS, is_html, media_type,
)
from archive.extract.language import detect_language, html_lang_from_tree
from archive.extract import jsonld
from archive.extract.authors import display, find_authors
from archive.extract.title import choose_title, site_names

__all__ = [
    "EXTRACTOR", "Extraction", "NotExtractable", "Page", "extract", "extract_page", "find_published", "is_html",
    "media_type", "parse_page",
]

#: Name and version of the text extractor, stored with each extraction.
EXTRACTOR: Final = f"trafilatura {trafilatura.__version__}"

_LEADING_XML_DECLARATION_RE: Final = re.compile(r"^\s*<\?xml[^>]*\?>")
_LEADING_DOCTYPE_RE: Final = re.compile(r"^\s*<!doctype[^>]*>", re.IGNORECASE)
_INVALID_XML_CHARS_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The bytes that stand for those control characters in UTF-8, and only for them.
_CONTROL_BYTES: Final = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0e, 0x20))
# trafilatura's own parser settings, plus huge_tree (see _parse).
_PARSER_OPTIONS: Final = {
    "collect_ids": False,
    "default_doctype": False,
    "encoding": "utf-8",
    "remove_comments": True,
    "remove_pis": True,
    "huge_tree": True,
}
_WORD_RE: Final = re.compile(r"\w+")

#: Above this many elements, trafilatura runs in its cheaper mode (see :func:`extract`).
LARGE_TREE_ELEMENTS: Final = 50_000
#: Elements a page can have per ``<`` of its markup, with room to spare (libxml2 adds
#: ``<html>``, ``<body>`` and ``<p>`` around stray text; at most 0.6 on 439 real pages).
_ELEMENTS_PER_TAG: Final = 4
#: Above this many characters of HTML, htmldate's extensive search is skipped.
LARGE_HTML_CHARS: Final = 2_000_000


class NotExtractable(ValueError):
    """The body is not an HTML document (empty, PDF, image, plain text...).

    ``reason`` says why, for logs and the index.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the indexer stores about one HTML page.

    ``published`` is ISO 8601: a full timestamp such as
    ``"2022-01-05T21:13:00+03:00"`` (or without zone, if the page gives none)
    when the page states the time, else a date ``"2022-01-05"``.
    ``canonical_url`` is the page's canonical link, falling back to the URL
    passed to :func:`extract`. ``language`` is ISO 639-1. ``encoding`` is the
    WHATWG name of the charset used to decode the body. ``word_count`` counts
    ``\\w+`` runs of ``text``. ``extractor`` names the library and version.
    ``authors`` is every credited author (:mod:`archive.extract.authors`);
    ``author`` the same names as one line, joined by ``"; "``.
    """

    title: str | None
    author: str | None
    published: str | None
    language: str | None
    text: str
    description: str | None
    sitename: str | None
    canonical_url: str | None
    encoding: str
    word_count: int
    extractor: str
    authors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "authors", tuple(self.authors))  # a list from JSON is the same extraction

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (JSON-serialisable)."""
        return dataclasses.asdict(self)


@dataclass(slots=True)
class Page:
    """A response body decoded and parsed once, for every step of its extraction.

    ``html_chars`` is the length of the decoded HTML and ``tags`` its number
    of ``<``, which bounds the tree's size (see :func:`_options_for`).
    """

    tree: HtmlElement
    encoding: str
    html_chars: int
    tags: int

    def pruned(self) -> None:
        """Part of the tree was removed (comments): its size is measured again, if it mattered."""
        if self.html_chars > LARGE_HTML_CHARS:
            self.html_chars = len(tostring(self.tree, encoding="unicode", method="html"))


def _refuse_non_html(body: bytes, content_type: str | None) -> None:
    """Raise :class:`NotExtractable` unless ``body`` can be an HTML document."""
    if not body.strip():
        raise NotExtractable("empty body")
    start = body[:SNIFF_BYTES]
    if not start.startswith(tuple(UTF16_BOMS)):
        for signature, what in BINARY_SIGNATURES:
            if start.startswith(signature):
                raise NotExtractable(f"not HTML: body is a {what}")
        if b"\x00" in start:
            raise NotExtractable("not HTML: body has NUL bytes (binary data)")
    kind = media_type(content_type)
    if kind in HTML_MEDIA_TYPES:
        return
    if kind not in UNINFORMATIVE_MEDIA_TYPES:
        raise NotExtractable(f"not HTML: media type {kind!r}")
    if not is_html(content_type, start):
        raise NotExtractable(f"not HTML: media type {kind or 'missing'!r} and no HTML markup at the start")


def _parse(html: str, utf8_body: bytes | None = None) -> HtmlElement:
    """Parse decoded HTML into a full document tree (``<html>`` root), for trafilatura.

    We parse rather than let trafilatura do it, to use ``huge_tree``. Without
    it libxml2 silently drops everything after the first text node over 10 MB
    (a big inline JSON ``<script>``: the body is lost) and everything nested
    deeper than 256 elements (malformed pages with unclosed ``<div>``s); with
    it, the depth limit is 2048. The clean-ups are those trafilatura's loader
    applies before parsing. A parser per call: lxml parsers must not be
    shared between threads. ``utf8_body`` is the body ``html`` was decoded
    from, if as UTF-8: when it has no control bytes (a search many times
    faster on bytes), the text has no control characters to remove.
    """
    html = _LEADING_XML_DECLARATION_RE.sub("", html, count=1)  # lxml refuses str with one
    html = _LEADING_DOCTYPE_RE.sub("", html, count=1)  # useless here, and some trip libxml2
    clean = utf8_body is not None and len(utf8_body.translate(None, _CONTROL_BYTES)) == len(utf8_body)
    if not clean or "\ufffe" in html or "\uffff" in html:
        html = _INVALID_XML_CHARS_RE.sub("", html)  # lxml refuses str with control characters
    try:
        return document_fromstring(html, parser=HTMLParser(**_PARSER_OPTIONS))
    except ParserError as error:
        raise NotExtractable(f"HTML could not be parsed: {error}") from error


def _options_for(page: Page) -> dict[str, Any]:
    """Return trafilatura options: its defaults, or cheaper ones for huge documents.

    trafilatura's cost grows with the number of elements (roughly 5 s per
    100,000 small elements even in its fast mode), and htmldate's extensive
    date search runs regular expressions over the whole serialised page
    (seconds for a 10 MB page that states no date). News pages have a few
    thousand elements and weigh under 2 MB, and keep the defaults. Past
    :data:`LARGE_TREE_ELEMENTS` elements trafilatura's fallback extractors
    are skipped (``fast=True``); past that or :data:`LARGE_HTML_CHARS`
    characters, so is the extensive date search. Elements are counted only
    on a page with enough ``<`` to have that many.
    """
    huge_tree = (
        page.tags * _ELEMENTS_PER_TAG > LARGE_TREE_ELEMENTS and sum(1 for _ in page.tree.iter()) > LARGE_TREE_ELEMENTS
    )
    if not huge_tree and page.html_chars <= LARGE_HTML_CHARS:
        return {}
    # trafilatura's default date parameters (settings.set_date_params), minus the extensive search.
    date_params = {"original_date": True, "extensive_search": False, "max_date": date.today().isoformat()}
    return {"fast": huge_tree, "date_extraction_params": date_params}


def _empty_if_none(value: str | None) -> str:
    return value if value is not None else ""


def extract(
    html: bytes,
    url: str,
    content_type: str | None = None,
    content_language: str | None = None,
) -> Extraction:
    """Extract the main text and metadata of an HTML page.

    ``html`` is the raw response body (Content-Encoding already removed),
    ``url`` the URL it was fetched from, ``content_type`` and
    ``content_language`` the raw HTTP header values, if any.

    Raises :class:`NotExtractable` if the body is empty or not HTML (PDF,
    image, other binary data, a non-HTML media type, or an uninformative one
    with no HTML markup at the start).
    """
    return extract_page(parse_page(html, content_type), url, content_language)


def parse_page(body: bytes, content_type: str | None = None) -> Page:
    """Decode and parse a response body, once for every step of its extraction;
    :class:`NotExtractable` as for :func:`extract`."""
    _refuse_non_html(body, content_type)
    text_html, encoding = decode_html(body, content_type)
    tree = _parse(text_html, body if encoding == "utf-8" else None)
    return Page(tree, encoding, len(text_html), text_html.count("<"))


def extract_page(page: Page, url: str, content_language: str | None = None) -> Extraction:
    """:func:`extract` on a page parsed by :func:`parse_page`, whose tree is left as it was."""
    tree = page.tree
    options = _options_for(page)
    document = trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False, **options)
    if document is None:
        # No main text: keep the page's metadata anyway.
        date_config = options.get("date_extraction_params")
        document = trafilatura.extract_metadata(tree, default_url=url, date_config=date_config)
    fields = document.as_dict()
    text = _empty_if_none(fields.get("text"))

    items = jsonld.objects(tree)  # read once for the title, the authors and the date
    names = site_names(tree, url, items)
    authors = tuple(find_authors(tree, fields.get("author"), items, names))
    return Extraction(
        title=choose_title(tree, url, fields.get("title"), items, names),
        author=display(authors),
        authors=authors,
        published=find_published(tree, fields.get("date"), items),
        language=detect_language(html_lang_from_tree(tree), content_language, text),
        text=text,
        description=fields.get("description"),
        sitename=fields.get("sitename"),
        canonical_url=fields.get("url"),
        encoding=page.encoding,
        word_count=len(_WORD_RE.findall(text)),
        extractor=EXTRACTOR,
    )
