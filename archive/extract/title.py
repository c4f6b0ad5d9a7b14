"""An article's title, chosen among the ones its page gives, by agreement.

A news page names its article four or five times: the headline shown
(``<h1>``), schema.org's ``headline`` (JSON-LD), ``og:title`` and
``twitter:title`` for social media, and ``<title>`` for the browser tab.
The last three usually carry the site's name ("… | CBC News", "… - WELT",
"…：朝日新聞デジタル"), and sometimes a different, search-engine headline;
a front-page or listing layout can make a single source name the site
alone ("Moon of Alabama" for a post).

:func:`choose_title`:

1. reads each candidate, HTML entities decoded and whitespace collapsed;
2. strips from each the affixes the page itself names as the site's: a
   part cut off at a separator (``|``, `` - ``, `` – ``, ``：``, ``｜``…)
   that is the ``og:site_name``, the JSON-LD publisher, the application
   name or the host name (``golem.de``), or contains one of them;
3. picks the candidate the others agree with most: equal to it, or equal
   to it plus an affix cut at a separator. ``og:title``, ``twitter:title``
   and ``<title>`` are mostly copies of one another (the search-engine
   headline), so they vote as one voice, beside ``h1`` and JSON-LD; a
   candidate's own voice counts only a quarter (enough to beat an ``h1``
   nothing supports, such as a login box's "Log In"). Ties go to the first in the
   order ``h1``, JSON-LD, ``og:title``, ``twitter:title``, ``<title>``: the
   headline readers see, then the page's own description of its article.

A candidate that is the site's name and nothing else (a banner ``<h1>``,
"Moon of Alabama" on a Typepad post) is no candidate. A candidate reduced to almost nothing (under :data:`MIN_CORE_CHARS`) keeps
its affix: "„Unermüdlicher Einsatz“ - Die Neue Südtiroler Tageszeitung" is
cut, but a two-word title is not cut to one word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from archive.extract import jsonld

__all__ = ["MIN_CORE_CHARS", "choose_title", "is_site_name", "site_names", "strip_site_affixes"]

#: A title cut down to fewer characters than this keeps its affix.
MIN_CORE_CHARS: Final = 10
#: Separators between a title and the site's name, or a section's.
_SEPARATOR_RE: Final = re.compile(r"\s+[|–—\-:·•»/*~]+\s+|\s*[|｜ㅣ：]\s*|(?<=\w):\s+")
_DOMAIN_RE: Final = re.compile(r"\b[\w-]+\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})\b", re.IGNORECASE)
_NON_WORD_RE: Final = re.compile(r"[\W_]+")
#: How much longer than a site name an affix holding it may be ("Politics News | Metro News").
_AFFIX_SLACK: Final = 12
#: Candidate sources, in the order that breaks ties.
SOURCES: Final = ("h1", "jsonld", "og", "twitter", "title")
#: Who a source's agreement speaks for: ``og:title``, ``twitter:title`` and
#: ``<title>`` are mostly copies of one search-engine headline, one voice.
VOTERS: Final = {"h1": "h1", "jsonld": "jsonld", "og": "meta", "twitter": "meta", "title": "meta"}
#: The weight of a copy's agreement: it breaks a tie among unsupported candidates, no more.
OWN_VOICE: Final = 0.25


def _key(text: str | None) -> str:
    """A title as compared: NFKC, case folded, punctuation and spaces as one space."""
    return _NON_WORD_RE.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def _text(value: str | None) -> str | None:
    if not value:
        return None
    text = jsonld.clean(value)
    return text or None


def _first(tree: HtmlElement, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        text = _text(value if isinstance(value, str) else value.text_content())
        if text:
            return text
    return None


def candidates(tree: HtmlElement, items: list[dict] | None = None) -> dict[str, str]:
    """The titles the page gives, by source (see :data:`SOURCES`); ``items``:
    its JSON-LD objects, if read already."""
    items = jsonld.objects(tree) if items is None else items
    found = {
        "h1": _first(tree, "(//article//h1 | //main//h1)[1] | (//h1)[1]"),
        "jsonld": next(
            (text for item in jsonld.article_objects(items)
             for text in (_text(item.get("headline")) if isinstance(item.get("headline"), str) else None,) if text),
            None,
        ),
        "og": _first(tree, "//meta[@property='og:title']/@content"),
        "twitter": _first(tree, "//meta[@name='twitter:title' or @property='twitter:title']/@content"),
        "title": _first(tree, "//head/title | //title"),
    }
    return {source: text for source, text in found.items() if text}


def site_names(tree: HtmlElement, url: str | None, items: list[dict] | None = None) -> list[str]:
    """What the page calls its site: ``og:site_name``, the application name,
    the JSON-LD publisher and website (``items``: its JSON-LD objects, if
    read already), and its host name with and without ``www.`` and its
    top-level domain."""
    items = jsonld.objects(tree) if items is None else items
    found = [
        value for value in tree.xpath(
            "//meta[@property='og:site_name' or @name='application-name' or @name='apple-mobile-web-app-title']/@content"
        ) if value.strip()
    ]
    found += jsonld.publisher_names(items)
    host = (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
    if host:
        found += [host, host.split(".")[0]]
    return [name for name in dict.fromkeys(found) if _key(name)]


def _splits(text: str) -> Iterable[tuple[str, str, bool]]:
    """``(rest, affix, is_prefix)`` for each cut of ``text`` at a separator: the prefix cut off, then the suffix."""
    for match in _SEPARATOR_RE.finditer(text):
        yield text[match.end():].strip(), text[: match.start()].strip(), True
        yield text[: match.start()].strip(), text[match.end():].strip(), False


def _is_site(affix: str, names: Iterable[str], is_prefix: bool) -> bool:
    """Whether ``affix`` names the site: one of ``names``, a part of one
    ("BR24" of "BR24 Redaktion"), a domain name, or a name with a little
    more on its inner side ("Bhopal News - The Times of India")."""
    key = _key(affix)
    if not key:
        return True
    for name in names:
        site = _key(name)
        if not site:
            continue
        if key in site:
            return True
        outer = key.startswith(site) if is_prefix else key.endswith(site)
        if outer and len(key) < len(site) + _AFFIX_SLACK:
            return True
    return bool(_DOMAIN_RE.fullmatch(affix.strip()))


def is_site_name(text: str, names: Iterable[str]) -> bool:
    """Whether ``text`` is the site's name and nothing else (a banner ``<h1>``)."""
    key = _key(text)
    return any(key == _key(name) for name in names)


def strip_site_affixes(title: str, names: Iterable[str]) -> str:
    """``title`` without the site-name prefixes and suffixes ``names`` identify (up to three)."""
    names = list(names)
    for _ in range(3):
        for rest, affix, is_prefix in _splits(title):
            if len(rest) >= MIN_CORE_CHARS and _is_site(affix, names, is_prefix):
                title = rest
                break
        else:
            break
    return title


def choose_title(
    tree: HtmlElement, url: str | None = None, fallback: str | None = None, items: list[dict] | None = None,
    names: list[str] | None = None,
) -> str | None:
    """The article's title (see the module's description); ``fallback``
    (trafilatura's) when the page gives none of the candidates. ``items``
    and ``names``: the page's JSON-LD objects and :func:`site_names`, if
    found already."""
    items = jsonld.objects(tree) if items is None else items
    found = candidates(tree, items)
    if not found:
        return fallback
    names = site_names(tree, url, items) if names is None else names
    # a "site name" two voices give as the article's title is a template's slip (MSN's og:site_name)
    voices: dict[str, set[str]] = {}
    for source, text in found.items():
        voices.setdefault(_key(text), set()).add(VOTERS[source])
    names = [name for name in names if len(voices.get(_key(name), ())) < 2]
    stripped = [
        (source, strip_site_affixes(text, names)) for source, text in found.items() if not is_site_name(text, names)
    ]
    if not stripped:  # the page names nothing but its site
        return next(iter(found.values()))
    best, best_votes = None, -1.0
    for source, text in stripped:
        key = _key(text)
        votes: dict[str, float] = {}
        for other, other_text in stripped:
            if other == source:
                continue
            voter = VOTERS[other]
            weight = OWN_VOICE if voter == VOTERS[source] else 1.0
            if _key(other_text) == key:
                votes[voter] = max(votes.get(voter, 0.0), weight)
            elif any(_key(rest) == key for rest, _, _ in _splits(other_text)):
                votes[voter] = max(votes.get(voter, 0.0), weight / 2)
        if sum(votes.values()) > best_votes:
            best, best_votes = text, sum(votes.values())
    return best
