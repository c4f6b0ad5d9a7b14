"""What a query's words stand for in the index's words table
(:data:`archive.search.fulltext.WORDS`): the forms a prefix query searches,
and the words that spell a name in the other script."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from archive.search.fulltext import FORMS, WORDS, has_counts
from archive.search.normalise import Normaliser, compatible, normaliser


#: A prefix query searches at most this many of the forms it stands for: those
#: most pages hold (an OR of hundreds of forms costs ten times more). 0: FTS5's
#: own prefix search, which reads every matching form's whole list.
PREFIX_FORMS_LIMIT = 64


@dataclass(frozen=True)
class PrefixForms:
    forms: tuple[str, ...]  # the forms searched, those most pages hold first
    total: int  # the forms the prefix stands for in all


def expand_prefix(db: sqlite3.Connection, word: str, norm: Normaliser | None = None) -> PrefixForms | None:
    """What a prefix query ``word*`` stands for: the search forms starting
    with its form prefix (:meth:`Normaliser.prefix`) and the forms of the
    words written with it (renovat*: renovation, form ``renov``); None when
    PREFIX_FORMS_LIMIT is 0 or the index keeps no counts yet."""
    if PREFIX_FORMS_LIMIT <= 0 or not word or not has_counts(db):
        return None
    norm = norm or normaliser()
    start = norm.prefix(word)
    written = sorted({compatible(word), compatible(word).replace("ё", "е")})
    end = "\U0010ffff"
    sql = [f"SELECT form, pages FROM {FORMS} WHERE form >= ? AND form < ? AND instr(form, '_') = 0"]
    params = [start, start + end]
    for prefix in written:
        sql.append(f"SELECT f.form, f.pages FROM {WORDS} w JOIN {FORMS} f ON f.form = w.form WHERE w.word >= ? AND w.word < ?")
        params += [prefix, prefix + end]
    rows = db.execute(" UNION ".join(sql) + " ORDER BY 2 DESC, 1", params).fetchall()
    return PrefixForms(tuple(form for form, _ in rows[:PREFIX_FORMS_LIMIT]), len(rows))


def forms_with_prefix(db: sqlite3.Connection, word: str) -> list[str] | None:
    """The search forms a prefix query ``word*`` searches (see :func:`expand_prefix`)."""
    expanded = expand_prefix(db, word)
    return None if expanded is None else list(expanded.forms)


#: Russian case endings a name takes (Эскобара, Эскобару, Эскобаром...)
NAME_ENDINGS = ("", "а", "у", "ом", "е", "ы", "ой", "ым", "ом", "и", "ем", "ю", "я")


def names_in_other_script(db: sqlite3.Connection, word: str, limit: int = 8) -> list[tuple[str, str]]:
    """(spelling, form) of the words of the index that spell ``word`` in the
    other script (Escobar: эскобар, эскобара...)."""
    from archive.search.translit import CYRILLIC_RE, spellings

    candidates = spellings(word)
    if candidates and CYRILLIC_RE.match(candidates[0]):
        candidates = [c + ending for c in candidates for ending in NAME_ENDINGS]
    found: dict[str, str] = {}
    for start in range(0, len(candidates), 500):
        chunk = candidates[start:start + 500]
        for spelling, form in db.execute(
            f"SELECT word, form FROM {WORDS} WHERE word IN ({', '.join('?' for _ in chunk)})", chunk
        ):
            found.setdefault(spelling, form)
    return sorted(found.items(), key=lambda kv: (len(kv[0]), kv[0]))[:limit]
