"""Full-text search of the index, with filters, sorting, snippets and paging.

Words are matched by their search forms (:mod:`archive.search.normalise`), so
"Казахстан" finds "Казахстане" and "protest" finds "protesters". The query
language is in :mod:`archive.search.query`. Filters by source, language, author
and domain are FTS5 terms of the same query; the date range (published, else
first captured) is a rowid range (:mod:`archive.search.fulltext`). Neither costs
a scan, so a search stays fast on millions of pages:

- ``newest`` / ``oldest`` order walks the index in rowid order and stops
  after the page asked for.
- ``relevance`` (bm25, title weighted over text) ranks every match when there
  are at most ``RANK_WINDOW`` of them, else the newest ``RANK_WINDOW``; the
  results say so (``ranked_among``). Ranking all of 800,000 matches of a
  common word would take seconds and mostly rank near-ties.
"""

from __future__ import annotations

from datetime import datetime

import re
from dataclasses import dataclass, field
from typing import Any

from archive.search import fulltext

from archive.search import query as ftsquery
from archive.search import wordlookup
from archive.errors import UsageError
from archive.index.store import Index
from archive.search.snippets import candidate_words, snippet
from archive.search.normalise import WORD_RE, normaliser

DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
RESULT_COLUMNS = (
    "url", "title", "author", "published", "language", "source", "text",
    "first_captured", "last_captured", "word_count",
)
SORTS = ("relevance", "newest", "oldest")
DATE_FIELDS = ("published", "captured")
RANK_WINDOW = 1000
COUNT_LIMIT = 1000
#: bm25 needs each word's number of matching pages, which FTS5 counts by
#: reading the word's whole list (1.2 s for a word in 800,000 pages): above
#: this many pages for any word, relevance is "title matches first".
BM25_MAX_PAGES = 10_000
TABLE = fulltext.TABLE


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()  # each: all of its words in the byline
    domains: tuple[str, ...] = ()  # a domain and its subdomains
    since: str | None = None
    until: str | None = None
    dates: str = "published"  # "published" (else first captured) or "captured" (first capture)
    url_prefix: str | None = None
    comments: bool = False  # also search readers' comments kept apart (sources with `comments:`)
    sort: str | None = None  # default: relevance with words, newest without
    limit: int = 20
    offset: int = 0


@dataclass
class SearchResults:
    rows: list[dict[str, Any]]
    total: int  # matches counted (counting stops after COUNT_LIMIT or the page asked for)
    total_is_lower_bound: bool  # more than ``total`` matched
    sort: str
    ranked_among: int | None = None  # relevance within the newest N matches only
    notes: list[str] = field(default_factory=list)  # how the query was read
    ranking: str | None = None  # relevance by "bm25", or "title" (title matches first, then newest)

    def describe_total(self) -> str:
        return f"more than {self.total:,}" if self.total_is_lower_bound else f"{self.total:,}"


def check_date(value: str | None, option: str) -> str | None:
    """A date filter as given (YYYY, YYYY-MM or YYYY-MM-DD); UsageError otherwise."""
    if value is None:
        return None
    value = value.strip()
    if not DATE_RE.match(value) or not _is_real_date(value):
        raise UsageError(f"{option}: {value!r} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")
    return value


def _is_real_date(value: str) -> bool:
    """2025-13-01, 2025-02-30, 2025-00 and 0000 match the form but name no day."""
    try:
        datetime.strptime((value + "-01-01")[:10] if len(value) < 10 else value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def search(index: Index, query: SearchQuery) -> SearchResults:
    """Pages matching ``query`` (see the module's doc for the orders)."""
    if query.limit < 1:
        raise UsageError("--limit must be 1 or more")
    if query.offset < 0:
        raise UsageError("--page must be 1 or more")
    if query.dates not in DATE_FIELDS:
        raise UsageError(f"dates: choose one of {', '.join(DATE_FIELDS)}")
    text = query.text.strip()
    sort = query.sort or ("relevance" if text else "newest")
    if sort not in SORTS:
        raise UsageError(f"--sort: choose one of {', '.join(SORTS)}")
    parsed = None
    parts = []
    notes: list[str] = []
    conn = index.db.conn
    fulltext.prime(conn, WORD_RE.findall(" ".join((text, *query.authors))))
    if text:
        capped: list[str] = []

        def expand(word: str) -> list[str] | None:
            expanded = wordlookup.expand_prefix(conn, word)
            if expanded and expanded.total > len(expanded.forms):
                capped.append(f"{word}* stands for {expanded.total:,} search forms: the {len(expanded.forms)}"
                              " that most pages hold were searched")
            return None if expanded is None else list(expanded.forms)

        try:
            parsed = ftsquery.parse(text, names=lambda word: wordlookup.names_in_other_script(conn, word), prefixes=expand)
        except (ftsquery.EmptyQuery, ftsquery.QueryError) as exc:
            raise UsageError(str(exc)) from None
        notes += parsed.notes + capped
        columns = "{title text comments}" if query.comments else ftsquery.TEXT_COLUMNS
        parts.append(f"{columns} : ({parsed.fts()})")
    elif sort == "relevance":
        raise UsageError("--sort relevance needs words to search for")
    parts += _filter_terms(query, conn, notes)
    low, high, post, params = _ranges(query)
    plan = _Plan(index, " AND ".join(parts), low, high, post, params)
    cap = max(query.offset + query.limit, COUNT_LIMIT, RANK_WINDOW)
    keys, more = plan.window(cap, descending=sort != "oldest")
    ranked_among = None
    ranking = None
    forms, prefixes = parsed.matchers() if parsed else (set(), ())
    if sort == "relevance":
        if len(keys) > RANK_WINDOW:
            ranked_among = RANK_WINDOW
            plan.low = keys[RANK_WINDOW - 1]
        if prefixes or max(fulltext.page_counts(conn, forms).values(), default=0) > BM25_MAX_PAGES:
            ranking = "title"
            page_keys = _title_first(index, keys[:RANK_WINDOW], parsed.title_terms())[query.offset:query.offset + query.limit]
        else:
            ranking = "bm25"
            page_keys = plan.ranked(query.limit, query.offset)
    else:
        page_keys = keys[query.offset:query.offset + query.limit]
    rows = _pages(index, page_keys)
    if parsed:
        fulltext.prime(index.db.conn, {
            w for row in rows for column in ("text", "comments_text")
            for w in candidate_words(row.get(column), forms, prefixes)
        })
    for row in rows:
        row["snippet"] = _snippet_of(row, forms, prefixes) if parsed else None
        row.pop("comments_text", None)
    return SearchResults(rows, len(keys), more, sort, ranked_among, notes, ranking)


class _Plan:
    """One search's SQL: the FTS5 match (or none), a rowid range and
    conditions on ``pages`` that the index cannot answer."""

    def __init__(self, index: Index, match: str, low: int, high: int, post: list[str], params: list[Any]):
        self.index, self.match, self.low, self.high, self.post, self.params = index, match, low, high, post, params

    def _from_where(self) -> tuple[str, list[Any]]:
        if self.match:
            source = f"{TABLE} s" + (" JOIN pages p ON p.search_key = s.rowid" if self.post else "")
            where = [f"{TABLE} MATCH ?", "s.rowid BETWEEN ? AND ?", *self.post]
            return f"{source} WHERE {' AND '.join(where)}", [self.match, self.low, self.high, *self.params]
        where = ["p.search_key BETWEEN ? AND ?", *self.post]
        return f"pages p WHERE {' AND '.join(where)}", [self.low, self.high, *self.params]

    def _key(self) -> str:
        return "s.rowid" if self.match else "p.search_key"

    def window(self, cap: int, descending: bool = True) -> tuple[list[int], bool]:
        """The first ``cap`` keys in date order, and whether more match."""
        from_where, params = self._from_where()
        key = self._key()
        sql = f"SELECT {key} FROM {from_where} ORDER BY {key} {'DESC' if descending else 'ASC'} LIMIT ?"
        keys = [r[0] for r in self.index.db.execute(sql, [*params, cap + 1])]
        return keys[:cap], len(keys) > cap

    def ranked(self, limit: int, offset: int) -> list[int]:
        from_where, params = self._from_where()
        sql = f"SELECT s.rowid FROM {from_where} ORDER BY rank, s.rowid DESC LIMIT ? OFFSET ?"
        return [r[0] for r in self.index.db.execute(sql, [*params, limit, offset])]


def _title_first(index: Index, keys: list[int], terms: list[str]) -> list[int]:
    """``keys`` ordered by how many of the query's ``terms`` (FTS5
    expressions, see ``ParsedQuery.title_terms``) their page's title holds,
    then newest first: the relevance used when a word is too common for bm25
    (or the query has a prefix). One FTS5 query on the title column a term,
    over the keys' range of rowids."""
    if not keys:
        return []
    held = dict.fromkeys(keys, 0)
    sql = f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid BETWEEN ? AND ?"
    for term in terms:
        for (key,) in index.db.execute(sql, [f"{{title}} : ({term})", min(keys), max(keys)]):
            if key in held:
                held[key] += 1
    return sorted(keys, key=lambda key: (-held[key], -key))


def _filter_terms(query: SearchQuery, conn, notes: list[str]) -> list[str]:
    norm = normaliser()
    terms = []

    def any_of(tokens: list[str]) -> str:
        return "(" + " OR ".join(f'"{t}"' for t in tokens) + ")"

    if query.sources:
        terms.append("meta : " + any_of([fulltext.token("src", s) for s in query.sources]))
    if query.languages:
        terms.append("meta : " + any_of([fulltext.token("lang", code) for code in query.languages]))
    if query.authors:
        alternatives = []
        for author in query.authors:
            words = [any_of(_author_spellings(conn, word, norm, notes)) for word in WORD_RE.findall(author)]
            if not words:
                raise UsageError(f"--author: {author!r} has no name in it")
            alternatives.append("(" + " AND ".join(words) + ")")
        terms.append("meta : (" + " OR ".join(alternatives) + ")")
    if query.domains:
        tokens = []
        for domain in query.domains:
            host = domain.strip().lower()
            if "://" in host:
                host = host.split("://", 1)[1]
            host = host.split("/", 1)[0].removeprefix("www.")
            if not re.fullmatch(r"[\w.-]+\.[\w-]+", host):
                raise UsageError(f"--domain: {domain!r} is not a domain name (e.g. svpressa.ru)")
            tokens.append(fulltext.token("dom", host))
        terms.append("meta : " + any_of(tokens))
    return terms


def _author_spellings(conn, word: str, norm, notes: list[str]) -> list[str]:
    """The ``au_`` tokens of an author's word: its own, and those of its
    spellings in the other script that some page's byline holds (Sokolova:
    Соколова), as names in the text match across scripts."""
    own = fulltext.author_tokens(word, norm)
    others = {fulltext.token("au", form): spelling for spelling, form in wordlookup.names_in_other_script(conn, word)}
    others.pop(own[0], None)
    held = fulltext.page_counts(conn, others)
    found = sorted(t for t in others if held[t])
    if found:
        notes.append(f"--author {word} also matches {', '.join(sorted({others[t] for t in found}))} (the name in the other script)")
    return own + found


def _ranges(query: SearchQuery) -> tuple[int, int, list[str], list[Any]]:
    since = check_date(query.since, "--since")
    until = check_date(query.until, "--until")
    post: list[str] = []
    params: list[Any] = []
    low, high = fulltext.key_range(None, None)
    if query.dates == "published":
        low, high = fulltext.key_range(_first_day(since), _last_day(until))
    else:
        if since:
            post.append("p.first_captured >= ?")
            params.append(since)
        if until:
            post.append("substr(p.first_captured, 1, ?) <= ?")
            params.extend([len(until), until])
    if query.url_prefix:
        post.append("p.url >= ? AND p.url < ?")
        params.extend([query.url_prefix, query.url_prefix + "\U0010ffff"])
    return low, high, post, params


def _first_day(value: str | None) -> int | None:
    if not value:
        return None
    return fulltext.day_of(value + "-01-01"[len(value) - 4:])


def _last_day(value: str | None) -> int | None:
    if not value:
        return None
    if len(value) == 10:
        return fulltext.day_of(value)
    year = int(value[:4])
    month = int(value[5:7]) if len(value) == 7 else 12
    following = f"{year + 1}-01-01" if month == 12 else f"{year}-{month + 1:02d}-01"
    return fulltext.day_of(following) - 1


def _pages(index: Index, keys: list[int]) -> list[dict[str, Any]]:
    if not keys:
        return []
    columns = ", ".join(f"[{c}]" for c in (*RESULT_COLUMNS, "comments_text", "search_key"))
    # the web archive the page's text was recovered from, if it was (its capture's ``via``)
    via = "(SELECT c.via FROM captures c WHERE c.id = pages.capture_id) AS via"
    rows = index.query(
        f"SELECT {columns}, {via} FROM pages WHERE search_key IN ({', '.join('?' for _ in keys)})", keys
    )
    by_key = {row.pop("search_key"): row for row in rows}
    return [by_key[k] for k in keys if k in by_key]


def _snippet_of(row: dict[str, Any], forms: set[str], prefixes: tuple[str, ...]) -> str:
    text, hits = snippet(row.get("text"), forms, prefixes, with_hits=True)
    if not hits and row.get("comments_text"):
        in_comments, hits = snippet(row["comments_text"], forms, prefixes, with_hits=True)
        if hits:
            return "(comments) " + in_comments
    return text
