"""Who wrote an article: every credited author, from what the page says of it.

trafilatura takes the first author-like string it finds, and on real pages
that is often the wrong one: the site's name in ``<meta name="author">``
("Deutsche Welle" over the reporter JSON-LD credits), an editor's column in
the footer, or a ``Last, First`` citation split into four "authors". The
page's own description of its article says better, so :func:`find_authors`
asks, in this order, and takes the first that names anyone:

1. JSON-LD: the ``author`` of the article's schema.org object (persons, or
   an organisation when the page credits one: "BBC News");
2. ``<meta>``: ``author``, ``article:author`` (when not a profile URL),
   ``parsely-author``, ``sailthru.author``, ``dc.creator``, and Highwire's
   ``citation_author`` (one tag per author, ``Last, First`` turned round);
3. the byline next to the headline: ``rel="author"`` links and
   ``itemprop="author"`` elements inside the article;
4. trafilatura's own find.

A value holding several names ("Jane Roe and John Doe", "A. Roe, B. Doe")
is split; one whose parts are single words ("AFP, MANILA") is not. "By",
"Von", "Por", "Par" and the like before a name are dropped, as are e-mail
addresses and URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from lxml.html import HtmlElement

from archive.extract import jsonld

__all__ = ["display", "find_authors", "split_names"]

#: ``<meta>`` names that credit an article's author, in order of trust.
AUTHOR_META: Final = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "dcterms.creator")
#: Longest text taken as one author's name: a byline, not a sentence.
MAX_NAME_CHARS: Final = 80
_BY_RE: Final = re.compile(r"^(?:by|von|por|par|di|da|door|av|af|автор[:]?|텍스트)\s+", re.IGNORECASE)
_HARD_SEPARATOR_RE: Final = re.compile(r"\s*[;|]\s*|\s*\n\s*")
_SOFT_SEPARATOR_RE: Final = re.compile(r"\s*,\s*|\s+(?:and|und|&|y|et|e|og|och|en|i)\s+", re.IGNORECASE)
_NOT_A_NAME_RE: Final = re.compile(r"https?://|www\.|@|^[\W\d_]*$")


def display(authors: Iterable[str]) -> str | None:
    """The one-line form the index's ``author`` column keeps: names joined by ``"; "``."""
    return "; ".join(authors) or None


def split_names(value: str) -> list[str]:
    """The names in one credit line (see the module's description)."""
    names: list[str] = []
    for part in _HARD_SEPARATOR_RE.split(value):
        pieces = [piece for piece in _SOFT_SEPARATOR_RE.split(part) if piece.strip()]
        if len(pieces) > 1 and all(len(piece.split()) >= 2 for piece in pieces):
            names += pieces
        else:
            names.append(part)
    return _cleaned(names)


def _cleaned(names: Iterable[str]) -> list[str]:
    found: list[str] = []
    for name in names:
        name = _BY_RE.sub("", " ".join(name.split())).strip(" ,.:-–—")
        if name and len(name) <= MAX_NAME_CHARS and not _NOT_A_NAME_RE.search(name):
            found.append(name)
    return list(dict.fromkeys(found))


def _from_jsonld(items: list[dict[str, Any]]) -> list[str]:
    for item in jsonld.article_objects(items):
        names = jsonld.names(item.get("author"))
        if names:
            return _cleaned(name for value in names for name in split_names(value))
    return []


def _from_meta(tree: HtmlElement) -> list[str]:
    found: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if content and (key in AUTHOR_META or key == "citation_author"):
            found.setdefault(key, []).append(content)
    citations = found.get("citation_author")
    if citations:
        return _cleaned(" ".join(reversed(name.split(",", 1))) if "," in name else name for name in citations)
    for key in AUTHOR_META:
        names = [name for value in found.get(key, ()) for name in split_names(value)]
        if names:
            return names
    return []


_BYLINE_XPATH: Final = (
    "//article//a[@rel='author'] | //article//*[@itemprop='author']"
    " | //main//a[@rel='author'] | //main//*[@itemprop='author']"
)
def _from_byline(tree: HtmlElement) -> list[str]:
    texts: list[str] = []
    for node in tree.xpath(_BYLINE_XPATH):
        names = node.xpath(".//*[@itemprop='name']/@content | .//*[@itemprop='name']")
        if names:
            texts += [name if isinstance(name, str) else name.text_content() for name in names]
        else:
            texts.append(node.text_content())
    return _cleaned(name for text in texts for name in split_names(text))


def find_authors(
    tree: HtmlElement,
    fallback: str | None = None,
    items: list[dict[str, Any]] | None = None,
    site_names: Iterable[str] = (),
) -> list[str]:
    """Every credited author of the page's article (see the module's
    description); ``fallback`` is trafilatura's author string, ``items`` the
    page's JSON-LD objects, if read already. A source that names only the
    site itself (``site_names``: "STERN.de", "mdr.de") gives way to the
    next one; the site is the author only when no source names anyone else."""
    items = jsonld.objects(tree) if items is None else items
    sites = {_key(name) for name in site_names} - {""}
    only_the_site: list[str] = []
    for find in (lambda: _from_jsonld(items), lambda: _from_meta(tree), lambda: _from_byline(tree),
                 lambda: split_names(fallback) if fallback else []):
        names = find()
        if not names:
            continue
        if sites and all(_is_site(name, sites) for name in names):
            only_the_site = only_the_site or names
            continue
        return names
    return only_the_site


def _key(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def _is_site(name: str, sites: set[str]) -> bool:
    key = _key(name)
    return any(key == site or key.replace(" ", "") == site.replace(" ", "") for site in sites)
