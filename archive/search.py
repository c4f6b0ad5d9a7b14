"""Full-text search over the index, with filters by source, language and date.

The query is an SQLite FTS5 expression (words, "exact phrases", prefix*,
AND/OR/NOT). Text that is not valid FTS5 syntax (``covid-19``, ``U.S.``) is
searched as plain words instead of failing.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from archive.errors import UsageError
from archive.index import Index

DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
RESULT_COLUMNS = (
    "url", "title", "author", "published", "language", "source", "text",
    "first_captured", "last_captured", "word_count",
)


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    sources: tuple[str, ...] = ()
    language: str | None = None
    since: str | None = None
    until: str | None = None
    url_prefix: str | None = None
    comments: bool = False  # also search inline comments (sources with `comments:`)
    limit: int = 20
    offset: int = 0


def check_date(value: str | None, option: str) -> str | None:
    """A date filter as given (YYYY, YYYY-MM or YYYY-MM-DD); UsageError otherwise."""
    if value is None:
        return None
    value = value.strip()
    if not DATE_RE.match(value):
        raise UsageError(f"{option}: {value!r} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")
    return value


def search(index: Index, query: SearchQuery) -> list[dict[str, Any]]:
    """Pages matching ``query``, best matches first (newest first when the
    query has no words)."""
    if query.limit < 1:
        raise UsageError("--limit must be 1 or more")
    where, params = _filters(query)
    columns = ", ".join(f"p.[{c}]" for c in RESULT_COLUMNS)
    text = query.text.strip()
    if not text:
        sql = (
            f"SELECT {columns}, NULL AS snippet FROM pages p"
            f"{' WHERE ' + ' AND '.join(where) if where else ''}"
            " ORDER BY COALESCE(p.published, p.first_captured) DESC, p.url LIMIT ? OFFSET ?"
        )
        return index.query(sql, [*params, query.limit, query.offset])
    if query.comments:
        return _search_with_comments(index, query, text, columns, where, params)
    sql = (
        f"SELECT {columns}, snippet(pages_fts, 1, '[', ']', '…', 16) AS snippet"
        " FROM pages_fts JOIN pages p ON p.rowid = pages_fts.rowid"
        f" WHERE pages_fts MATCH ?{''.join(' AND ' + w for w in where)}"
        " ORDER BY rank, p.url LIMIT ? OFFSET ?"
    )
    try:
        return index.query(sql, [text, *params, query.limit, query.offset])
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc).lower() and "syntax" not in str(exc).lower() and "no such column" not in str(exc).lower():
            raise
    return index.query(sql, [as_plain_words(text), *params, query.limit, query.offset])


def _search_with_comments(index, query, text, columns, where, params) -> list[dict[str, Any]]:
    """Pages whose title and text, or whose comments, match; newest first."""
    sql = (
        f"SELECT {columns}, NULL AS snippet FROM pages p WHERE p.id IN ("
        " SELECT rowid FROM pages_fts WHERE pages_fts MATCH ? UNION SELECT rowid FROM comments_fts WHERE comments_fts MATCH ?)"
        f"{''.join(' AND ' + w for w in where)}"
        " ORDER BY COALESCE(p.published, p.first_captured) DESC, p.url LIMIT ? OFFSET ?"
    )
    try:
        return index.query(sql, [text, text, *params, query.limit, query.offset])
    except sqlite3.OperationalError:
        plain = as_plain_words(text)
        return index.query(sql, [plain, plain, *params, query.limit, query.offset])


def as_plain_words(text: str) -> str:
    """An FTS5 expression matching every word of ``text``, operators ignored."""
    words = [w.replace('"', '""') for w in re.findall(r"[^\s\"]+", text)]
    if not words:
        raise UsageError(f"nothing to search for in {text!r}")
    return " ".join(f'"{w}"' for w in words)


def _filters(query: SearchQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if query.sources:
        where.append(f"p.source IN ({', '.join('?' for _ in query.sources)})")
        params.extend(query.sources)
    if query.language:
        where.append("p.language = ?")
        params.append(query.language.lower())
    day = "substr(COALESCE(p.published, p.first_captured), 1, 10)"
    since = check_date(query.since, "--since")
    until = check_date(query.until, "--until")
    if since:
        where.append(f"{day} >= ?")
        params.append(since)
    if until:
        # YYYY and YYYY-MM include the whole year or month.
        where.append(f"substr({day}, 1, ?) <= ?")
        params.extend([len(until), until])
    if query.url_prefix:
        where.append("p.url >= ? AND p.url < ?")
        params.extend([query.url_prefix, query.url_prefix + "\U0010ffff"])
    return where, params
