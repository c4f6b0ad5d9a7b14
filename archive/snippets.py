"""Snippets: the stretch of a page's text where the query's words are
densest, with those words marked as they appear in the page.

The full-text index holds search forms only (it is contentless), so FTS5's
own ``snippet()`` cannot be used; the page's text is read again here and
each word is reduced the same way to see whether it matched.
"""

from __future__ import annotations

from collections.abc import Iterable

from archive.textnorm import Normaliser, normaliser

WINDOW = 24  # words in a snippet
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
    """Up to ``window`` words of ``text`` around its best cluster of matches,
    each match wrapped in ``mark``; "…" where the text is cut. The start of
    the text when nothing matches; "" for no text. With ``with_hits``:
    (snippet, number of marked words)."""
    if not text:
        return ("", 0) if with_hits else ""
    norm = norm or normaliser()
    forms = set(forms)
    prefixes = tuple(prefixes)
    scanned = text[:SCAN_LIMIT]
    words = list(norm.spans(scanned))
    if not words:
        return ("", 0) if with_hits else ""
    hits = [i for i, (_, _, form) in enumerate(words) if form in forms or (prefixes and form.startswith(prefixes))]
    start = max(0, min(_best_start(words, hits, window), len(words) - window))
    chosen = words[start:start + window]
    marked = set(hits)
    pieces = []
    position = chosen[0][0]
    shown = 0
    for i, (begin, end, _) in enumerate(chosen, start):
        pieces.append(scanned[position:begin])
        word = scanned[begin:end]
        if i in marked:
            shown += 1
            word = f"{mark[0]}{word}{mark[1]}"
        pieces.append(word)
        position = end
    if start + window >= len(words):
        pieces.append(scanned[position:])  # the closing punctuation
    body = " ".join("".join(pieces).split())
    before = "…" if start > 0 else ""
    after = "…" if start + window < len(words) or len(scanned) < len(text) else ""
    result = before + body + after
    return (result, shown) if with_hits else result


def _best_start(words: list, hits: list[int], window: int) -> int:
    """The first word of the window holding the most distinct matched forms
    (then the most matches), a few words of context before the first."""
    if not hits:
        return 0
    best, best_score = hits[0], (0, 0)
    right = 0
    for left, first in enumerate(hits):
        while right < len(hits) and hits[right] < first + window:
            right += 1
        inside = hits[left:right]
        score = (len({words[i][2] for i in inside}), len(inside))
        if score > best_score:
            best, best_score = first, score
    lead = min(4, max(0, window - 1 - (_last_in(hits, best, window) - best)))
    return max(0, best - lead)


def _last_in(hits: list[int], first: int, window: int) -> int:
    return max(i for i in hits if first <= i < first + window)
