"""What counts as an edit, and how an edit is shown.

Pages change in ways that are not edits: whitespace, "5 minutes ago",
view and comment counters, tracking parameters in links. :func:`normalize`
removes those before two extractions are compared; :func:`content_hash` is
what the index stores per capture; :func:`word_diff` shows an edit word by
word.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass

_RELATIVE_TIME = re.compile(
    r"\b\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b"
    r"|\b(?:just now|yesterday|today)\b"
    r"|\b\d+\s*(?:секунд\w*|минут\w*|час\w*|дн(?:я|ей)|день|недел\w*)\s+назад\b"
    r"|\b(?:только что|вчера|сегодня)\b",
    re.IGNORECASE,
)
_COUNTER = re.compile(
    r"\b\d[\d\s.,]*\s*[kкmм]?\s*(?:views?|reads?|comments?|shares?|likes?|просмотр\w*|прочтени\w*|комментари\w*|репост\w*)\b"
    r"|\b(?:views?|comments?|просмотр\w*|комментари\w*)\s*:?\s*\d[\d\s.,]*\b",
    re.IGNORECASE,
)
_TRACKING_PARAM = re.compile(r"([?&])(?:utm_[a-z]+|fbclid|gclid|yclid|mc_cid|mc_eid|_ga|ref_src)=[^&\s#)\"']*&?", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def normalize(text: str | None) -> str:
    """The text as compared for edits: noise removed, whitespace folded."""
    if not text:
        return ""
    text = _TRACKING_PARAM.sub(r"\1", text)
    text = _RELATIVE_TIME.sub(" ", text)
    text = _COUNTER.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def content_hash(title: str | None, author: str | None, text: str | None) -> str:
    """A digest of an extraction's title, author and text, noise removed."""
    digest = hashlib.sha1()
    for part in (title, author, text):
        digest.update(normalize(part).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class WordDiff:
    """A word-level diff: runs of equal, removed and added words."""

    ops: tuple[tuple[str, str], ...]  # ("=", "words"), ("-", "words"), ("+", "words")

    @property
    def added(self) -> int:
        return sum(len(words.split()) for op, words in self.ops if op == "+")

    @property
    def removed(self) -> int:
        return sum(len(words.split()) for op, words in self.ops if op == "-")

    def render(self, context: int | None = 12) -> str:
        """``[-removed-]{+added+}`` inline, as ``git diff --word-diff`` shows;
        long equal runs cut to ``context`` words each side."""
        parts = []
        for op, words in self.ops:
            if op == "-":
                parts.append(f"[-{words}-]")
            elif op == "+":
                parts.append(f"{{+{words}+}}")
            else:
                tokens = words.split(" ")
                if context is not None and len(tokens) > 2 * context + 1:
                    words = " ".join(tokens[:context] + ["…"] + tokens[-context:])
                parts.append(words)
        return " ".join(parts)

    def to_list(self) -> list[list[str]]:
        return [[op, words] for op, words in self.ops]


def word_diff(old: str | None, new: str | None) -> WordDiff:
    """The word-level difference between two texts (whitespace ignored)."""
    a = (old or "").split()
    b = (new or "").split()
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("=", " ".join(a[i1:i2])))
            continue
        if tag in ("replace", "delete"):
            ops.append(("-", " ".join(a[i1:i2])))
        if tag in ("replace", "insert"):
            ops.append(("+", " ".join(b[j1:j2])))
    return WordDiff(tuple(ops))
