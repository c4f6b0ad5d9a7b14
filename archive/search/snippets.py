"""Snippets: the stretch of a page's text where the query's words are
densest, with those words marked as they appear in the page.

The full-text index holds search forms only (it is contentless), so FTS5's
own ``snippet()`` cannot be used; the page's text is read again here and
each word is reduced the same way to see whether it matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from archive.search.normalise import WORD_RE, Normaliser, normaliser

WINDOW = 24  # words in a snippet, about
CHARS_PER_WORD = 8
LEAD_CHARS = 30  # context before the first match
SCAN_LIMIT = 200_000  # characters of a page scanned for matches


def snippet(
    text: str | None,
    forms: Iterable[str],
    prefixes: Iterable[str] = (),
    *,
    mark: tuple[str, str] = ("[", "]"),
    window: int = WINDOW,
    norm: Normaliser | None = None,
    with_hits: bool = False,
) -> str | tuple[str, int]:
    """About ``window`` words of ``text`` around its best cluster of
    matches, each match wrapped in ``mark``; "…" where the text is cut. The
    start of the text when nothing matches; "" for no text. With
    ``with_hits``: (snippet, number of marked words).

    Only the words that can match are reduced (see :func:`_candidates`) and
    the window is measured in characters, so the cost is the matches', not
    the page's."""
    if not text or not text.strip():
        return ("", 0) if with_hits else ""
    norm = norm or normaliser()
    forms = set(forms)
    prefixes = tuple(prefixes)
    scanned = text[:SCAN_LIMIT]
    span = window * CHARS_PER_WORD
    hits: list[tuple[int, int, str]] = []
    candidates = _candidates(forms, prefixes)
    for match in candidates.finditer(scanned) if candidates else ():
        form = norm.word(match.group())
        if form in forms or (prefixes and form.startswith(prefixes)):
            hits.append((match.start(), match.end(), form))
    begin = _best_begin(hits, span)
    begin = max(0, min(begin, len(scanned) - span))
    if begin > 0:
        first = WORD_RE.search(scanned, begin)
        begin = first.start() if first else begin
    end = begin + span
    if end >= len(scanned):
        end = len(scanned)
    else:
        cut = WORD_RE.match(scanned, end) or None
        end = cut.end() if cut else end
    pieces, position, shown = [], begin, 0
    for start, stop, _ in hits:
        if begin <= start and stop <= end:
            pieces += [scanned[position:start], mark[0], scanned[start:stop], mark[1]]
            position = stop
            shown += 1
    pieces.append(scanned[position:end])
    body = " ".join("".join(pieces).split())
    result = ("…" if begin > 0 else "") + body + ("…" if end < len(text) else "")
    return (result, shown) if with_hits else result


def candidate_words(text: str | None, forms: Iterable[str], prefixes: Iterable[str] = ()) -> list[str]:
    """The words of ``text`` that :func:`snippet` will reduce (to look their
    forms up in bulk first)."""
    pattern = _candidates(set(forms), tuple(prefixes))
    return pattern.findall(text[:SCAN_LIMIT]) if text and pattern else []


def _best_begin(hits: list[tuple[int, int, str]], span: int) -> int:
    """Where the window holding the most distinct matched forms (then the
    most matches) begins, with some context before its first match."""
    if not hits:
        return 0
    best, best_score = hits[0][0], (0, 0)
    right = 0
    for left, (first, _, _) in enumerate(hits):
        while right < len(hits) and hits[right][1] <= first + span:
            right += 1
        inside = hits[left:right]
        score = (len({form for _, _, form in inside}), len(inside))
        if score > best_score:
            best, best_score = first, score
    return max(0, best - LEAD_CHARS)


@lru_cache(maxsize=256)
def _candidate_pattern(keys: frozenset[str]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(k).replace("е", "[её]") for k in keys), key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")[^\W_]*", re.IGNORECASE)


def _candidates(forms: set[str], prefixes: tuple[str, ...]) -> re.Pattern[str] | None:
    """The words that may reduce to a form: those starting with its first
    three letters (a regular expression runs through the text far faster
    than reducing every word). Irregular forms that share no start with
    their search form (went: go) are not marked."""
    keys = frozenset(k[:3] for k in (*forms, *prefixes) if k)
    return _candidate_pattern(keys) if keys else None
