"""The full-text index of pages: FTS5 over search forms, kept beside ``pages``.

``pages_search`` is a contentless FTS5 table. It holds no text of its own,
only the index of each page's title, text and comments reduced to search
forms (:mod:`archive.search.normalise`), plus a ``meta`` column of filter tokens
(``src_<source>``, ``lang_<code>``, ``au_<author word>``, ``dom_<domain>``)
so that filters are FTS5 terms too, answered from the same doclists.

Its rowid is the page's ``search_key``: the page's day (published, else first
captured) times 2**32 plus the page id. FTS5 walks rowids in order cheaply,
so "newest first" and a date range need no sort and no scan: a date range is
a rowid range. ``pages.search_key`` maps a row back to its page (Datasette
uses it as the full-text key).

Contentless rows are deleted by giving FTS5 the values they were indexed
with; they are computed again from the page, which is exact as long as the
reduction has not changed. The reduction's version is stored in
``search_meta``; when it differs, the whole table is rebuilt.

``search_forms`` keeps, for each search form and filter token, how many pages
hold it, counted as rows are inserted and deleted: FTS5 can only count a
term's pages by reading its whole list (a second for a word in most pages),
and the search needs the counts to choose how to run a query and which forms
a prefix stands for. ``search_words`` maps each word as written to its form.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any
from pathlib import Path
from urllib.parse import quote, urlsplit

from archive.search.normalise import CACHE_LIMIT, VERSION, WORD_RE, Normaliser, lower_words, normaliser

TABLE = "pages_search"
#: Every word indexed (lowercased) and its search form: a query's words are
#: looked up here, so that a search need not load the lemmatiser's
#: dictionaries (seconds) unless it uses a word no page has.
WORDS = "search_words"
#: Each search form and filter token, and how many pages hold it.
FORMS = "search_forms"
KEY_SHIFT = 32
EPOCH = date(1970, 1, 1)
#: Page columns the search row is made from.
SOURCE_COLUMNS = ("id", "url", "source", "title", "author", "published", "language", "text", "comments_text", "first_captured")
TOKENIZE = "unicode61 remove_diacritics 0 tokenchars '_'"
#: bm25 weights of title, text, comments, meta.
WEIGHTS = (4.0, 1.0, 0.5, 0.0)
TOKEN_SAFE_RE = re.compile(r"[^0-9a-zа-яё]+")


def create(db: sqlite3.Connection) -> None:
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
        f"title, text, comments, meta, content='', tokenize=\"{TOKENIZE}\")"
    )
    db.execute("CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute(f"CREATE TABLE IF NOT EXISTS {WORDS} (word TEXT PRIMARY KEY, form TEXT NOT NULL) WITHOUT ROWID")
    db.execute(f"DROP INDEX IF EXISTS {WORDS}_form")  # forms are looked up in FORMS
    db.execute(f"CREATE TABLE IF NOT EXISTS {FORMS} (form TEXT PRIMARY KEY, pages INTEGER NOT NULL) WITHOUT ROWID")
    rank = f"bm25({', '.join(str(w) for w in WEIGHTS)})"
    if db.execute(f"SELECT v FROM {TABLE}_config WHERE k = 'rank'").fetchone() != (rank,):
        db.execute(f"INSERT INTO {TABLE} ({TABLE}, rank) VALUES ('rank', ?)", [rank])


def stored_version(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT value FROM search_meta WHERE key = 'normaliser'").fetchone()
    return row[0] if row else None


def set_version(db: sqlite3.Connection, version: str = VERSION) -> None:
    db.execute("INSERT OR REPLACE INTO search_meta (key, value) VALUES ('normaliser', ?)", [version])


def day_of(value: str | None) -> int | None:
    """Days since 1970-01-01 of an ISO date or timestamp (its own calendar day)."""
    if not value or len(value) < 10:
        return None
    try:
        return max(0, (date.fromisoformat(value[:10]) - EPOCH).days)
    except ValueError:
        return None


def search_key(page_id: int, published: str | None, first_captured: str | None) -> int:
    day = day_of(published)
    if day is None:
        day = day_of(first_captured) or 0
    return (day << KEY_SHIFT) | page_id


def key_range(since_day: int | None, until_day: int | None) -> tuple[int, int]:
    """The rowids of pages dated between two days, both included."""
    low = (since_day or 0) << KEY_SHIFT
    high = (((until_day if until_day is not None else (1 << 30)) + 1) << KEY_SHIFT) - 1
    return low, high


def page_id_of(key: int) -> int:
    return key & ((1 << KEY_SHIFT) - 1)


def month_of(published: str | None, first_captured: str | None) -> str | None:
    value = published if day_of(published) is not None else first_captured
    return value[:7] if value and len(value) >= 7 else None


def token(kind: str, value: str) -> str:
    """A filter token for ``meta``: ``src_moon_of_alabama``, ``lang_ru``..."""
    return f"{kind}_{TOKEN_SAFE_RE.sub('_', value.lower()).strip('_')}"


def domain_tokens(url: str | None) -> list[str]:
    """``dom_`` tokens for the URL's host and each parent domain
    (news.example.co.uk: news_example_co_uk, example_co_uk, co_uk)."""
    host = (urlsplit(url or "").hostname or "").removeprefix("www.")
    labels = [label for label in host.split(".") if label]
    return [token("dom", ".".join(labels[i:])) for i in range(max(0, len(labels) - 1))]


def author_tokens(author: str | None, norm: Normaliser) -> list[str]:
    return [token("au", norm.word(w)) for w in WORD_RE.findall(author or "")]


def meta(page: Mapping[str, Any], norm: Normaliser) -> str:
    tokens = []
    if page.get("source"):
        tokens.append(token("src", page["source"]))
    if page.get("language"):
        tokens.append(token("lang", page["language"]))
    tokens += author_tokens(page.get("author"), norm)
    tokens += domain_tokens(page.get("url"))
    return " ".join(tokens)


#: The page's fields whose words the search row holds as search forms.
TEXT_COLUMNS = ("title", "text", "comments_text")


def texts(page: Mapping[str, Any], norm: Normaliser | None = None) -> tuple[str, ...]:
    """The search forms of the page's TEXT_COLUMNS, as the search row holds
    them. The extraction workers compute these (the costliest part of a
    search row), so that the process writing the index need not."""
    norm = norm or normaliser()
    return tuple(norm.text(page.get(column)) for column in TEXT_COLUMNS)


def row(
    page: Mapping[str, Any], norm: Normaliser, reduced: tuple[str, ...] | None = None
) -> tuple[int, str, str, str, str]:
    """(rowid, title, text, comments, meta) of a page's search row;
    ``reduced``: :func:`texts` of the page, computed before."""
    return (
        search_key(page["id"], page.get("published"), page.get("first_captured")),
        *(reduced if reduced is not None else texts(page, norm)),
        meta(page, norm),
    )


def insert(
    db: sqlite3.Connection, page: Mapping[str, Any], norm: Normaliser | None = None,
    reduced: tuple[str, ...] | None = None, forms: Iterable[tuple[str, str]] | None = None,
    batch: Batch | None = None,
) -> int:
    """Index a page; returns its search key (also stored in ``pages``).
    ``reduced``: :func:`texts` of this page as it is, and ``forms``: its
    :func:`word_forms`, when computed before (by the extraction worker);
    ``batch``: where the side tables' writes wait for the end of the transaction."""
    norm = norm or normaliser()
    values = row(page, norm, reduced)
    add_rows(db, [values], batch)
    forms = word_forms(page, norm) if forms is None else forms
    if batch is None:
        db.executemany(f"INSERT OR IGNORE INTO {WORDS} (word, form) VALUES (?, ?)", forms)
    else:
        batch.add_words(forms)
    db.execute(
        "UPDATE pages SET search_key = ?, month = ? WHERE id = ?",
        [values[0], month_of(page.get("published"), page.get("first_captured")), page["id"]],
    )
    return values[0]


def add_rows(
    db: sqlite3.Connection, rows: Iterable[tuple[int, str, str, str, str]], batch: Batch | None = None
) -> None:
    """Insert search rows (as :func:`row` makes them) and count their forms."""
    rows = list(rows)
    db.executemany(f"INSERT INTO {TABLE} (rowid, title, text, comments, meta) VALUES (?, ?, ?, ?, ?)", rows)
    if batch is None:
        _add_counts(db, _form_counts(rows))
    else:
        batch.counts.update(_form_counts(rows))


class Batch:
    """The side tables' writes of the search rows added and deleted in one
    transaction (a WARC file's), made once at its end: a page holds hundreds
    of forms, most of them held by the file's other pages too, so a page's
    writes one by one cost more than its FTS5 row. Nothing reads the side
    tables while a file is indexed."""

    def __init__(self) -> None:
        #: the change of each form's page count
        self.counts: Counter = Counter()
        self.words: dict[str, str] = {}

    def add_words(self, forms: Iterable[tuple[str, str]]) -> None:
        self.words.update(forms)  # a word has one form under one reduction: first or last is the same

    def flush(self, db: sqlite3.Connection) -> None:
        db.executemany(f"INSERT OR IGNORE INTO {WORDS} (word, form) VALUES (?, ?)", self.words.items())
        _add_counts(db, self.counts)
        gone = [(form,) for form, change in self.counts.items() if change < 0]
        db.executemany(f"DELETE FROM {FORMS} WHERE form = ? AND pages <= 0", gone)
        self.counts, self.words = Counter(), {}


def _add_counts(db: sqlite3.Connection, counts: Mapping[str, int]) -> None:
    db.executemany(
        f"INSERT INTO {FORMS} (form, pages) VALUES (?, ?)"
        " ON CONFLICT (form) DO UPDATE SET pages = pages + excluded.pages",
        ((form, change) for form, change in counts.items() if change),
    )


def _form_counts(rows: Iterable[tuple[int, str, str, str, str]]) -> Counter:
    """How many of ``rows`` hold each form or token (in any column)."""
    counts: Counter = Counter()
    for _, *columns in rows:
        counts.update(set().union(*map(str.split, columns)))
    return counts


#: The count of every form in an index made before FORMS (read before its rebuild).
UNKNOWN_COUNT = 1 << 62


def page_counts(db: sqlite3.Connection, forms: Iterable[str]) -> dict[str, int]:
    """How many pages hold each of ``forms`` (0 for a form no page has;
    UNKNOWN_COUNT for all in an index without counts yet)."""
    wanted = sorted(set(forms))
    if not has_counts(db):
        return dict.fromkeys(wanted, UNKNOWN_COUNT)
    counts = dict.fromkeys(wanted, 0)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        counts.update(db.execute(
            f"SELECT form, pages FROM {FORMS} WHERE form IN ({', '.join('?' for _ in chunk)})", chunk
        ))
    return counts


def has_counts(db: sqlite3.Connection) -> bool:
    """Whether the index keeps FORMS (one made before it is read as it is until its rebuild)."""
    return db.execute("SELECT 1 FROM sqlite_schema WHERE name = ?", [FORMS]).fetchone() is not None


#: The page's fields whose words the words table knows.
WORD_COLUMNS = (*TEXT_COLUMNS, "author")


def words_of(page: Mapping[str, Any]) -> set[str]:
    """The distinct lowercase words of a page's indexed fields."""
    return set().union(*(lower_words(page.get(column)) for column in WORD_COLUMNS))


def word_forms(page: Mapping[str, Any], norm: Normaliser | None = None) -> list[tuple[str, str]]:
    """(word, search form) of each distinct word of a page. The indexer's
    extraction workers compute these, so that the process writing the index
    only looks forms up (reducing a new word costs far more)."""
    norm = norm or normaliser()
    return norm.pairs(words_of(page))


def search_forms(page: Mapping[str, Any], norm: Normaliser | None = None) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """:func:`texts` and :func:`word_forms` of a page at once, each field's
    words split and lowercased once for both."""
    norm = norm or normaliser()
    split = {column: lower_words(page.get(column)) for column in WORD_COLUMNS}
    reduced = tuple(" ".join(norm.forms(split[column])) for column in TEXT_COLUMNS)
    return reduced, norm.pairs(set().union(*split.values()))


def delete(
    db: sqlite3.Connection, page: Mapping[str, Any], norm: Normaliser | None = None, batch: Batch | None = None
) -> None:
    """Remove a page's row, given the page as it was when indexed."""
    if page.get("search_key") is None:
        return
    norm = norm or normaliser()
    prime(db, words_of(page), norm)  # its words' forms as they were indexed
    _, *values = row(page, norm)
    db.execute(
        f"INSERT INTO {TABLE} ({TABLE}, rowid, title, text, comments, meta) VALUES ('delete', ?, ?, ?, ?, ?)",
        [page["search_key"], *values],
    )
    counts = _form_counts([(page["search_key"], *values)])
    if batch is not None:
        batch.counts.subtract(counts)
        return
    db.executemany(f"UPDATE {FORMS} SET pages = pages - ? WHERE form = ?", [(n, form) for form, n in counts.items()])
    db.executemany(f"DELETE FROM {FORMS} WHERE form = ? AND pages <= 0", [(form,) for form in counts])


def learn_from(path: Path, norm: Normaliser | None = None) -> int:
    """Teach the normaliser every word's form an index at ``path`` knows,
    if it was made by this reduction: a rebuild from archived texts then
    reduces no word again (nor loads the lemmatiser's dictionaries), the
    costliest part of a search row. Returns the number of words learnt."""
    norm = norm or normaliser()
    try:
        db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        if stored_version(db) != VERSION:
            return 0
        pairs = db.execute(f"SELECT word, form FROM {WORDS} LIMIT ?", [CACHE_LIMIT]).fetchall()
    except sqlite3.Error:  # no index there, or not one of ours: nothing to learn
        return 0
    finally:
        db.close()
    norm.remember(pairs)
    return len(pairs)


def prime(db: sqlite3.Connection, words: Iterable[str], norm: Normaliser | None = None) -> None:
    """Teach the normaliser the forms the index already knows for ``words``."""
    norm = norm or normaliser()
    wanted = sorted({w.lower() for w in words})
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        norm.remember(db.execute(
            f"SELECT word, form FROM {WORDS} WHERE word IN ({', '.join('?' for _ in chunk)})", chunk
        ))


def fetch(db: sqlite3.Connection, where: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(f"SELECT {', '.join(SOURCE_COLUMNS)}, search_key FROM pages WHERE {where}", list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    return any(before.get(c) != after.get(c) for c in SOURCE_COLUMNS) or before.get("search_key") is None


def rebuild(db: sqlite3.Connection, progress: Callable[[str], None] | None = None, batch: int = 2000) -> int:
    """Index every page again from scratch (after a change of reduction)."""
    norm = normaliser()
    db.execute(f"DROP TABLE IF EXISTS {TABLE}")
    db.execute(f"DROP TABLE IF EXISTS {WORDS}")
    db.execute(f"DROP TABLE IF EXISTS {FORMS}")
    create(db)
    total = db.execute("SELECT count(*) FROM pages").fetchone()[0]
    done = 0
    last = 0
    while True:
        pages = fetch(db, "id > ? ORDER BY id LIMIT ?", [last, batch])
        if not pages:
            break
        for page in pages:
            insert(db, page, norm)
        done += len(pages)
        last = pages[-1]["id"]
        if progress and total > batch:
            progress(f"search index: {done:,} of {total:,} pages")
    if done:
        optimize(db)
    set_version(db)
    return done


def optimize(db: sqlite3.Connection) -> None:
    """Merge the full-text index into one segment. FTS5 writes a segment a
    transaction and merges them four at a time, so a grown index holds tens
    of them, which a query visits for each term: a common word ANDed with a
    filter that excludes it costs about three times less on one segment.
    Rewrites the whole index (minutes at a million pages): for after a
    rebuild, not after each page."""
    db.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
