"""Search at scale: build an index of N pages (1,000,000 by default) and
time every kind of query, plain and with a source and date filter.

    python -m bench.search_index [--pages 1000000] [--db FILE] [--keep] [--runs 40] [--json]

The corpus is generated, deterministically (seeded):

- 80% English, 20% Russian pages; four sources with their languages,
  domains, authors and dates spread over 2004-2026 (more in later years);
- lengths log-normal around 450 words (titles of 6-14 words), as news posts
  and columns run;
- words drawn by a Zipf-Mandelbrot law over real vocabularies: the most
  frequent words of each language first (English from the Zyte benchmark's
  articles in ../shared/realdata, Russian from a frequency list and the
  realdata's Russian articles), then simplemma's dictionaries of inflected
  forms (tens of thousands of distinct words per language, as real
  archives have);
- two planted phrases ("Russian troops", "специальной военной операции")
  in 1% of the pages of their language, for the phrase queries.

Pages go into ``pages`` and ``pages_search`` as ``Index.add_page`` would
put them, in large transactions, with each vocabulary word's search form
computed once by the real normaliser (the build time is SQLite's; the
normaliser's own speed is measured apart and reported).

Query types, each run ``--runs`` times with different words, through
``archive.search.search.search`` as the CLI calls it (snippets included), the index
warm in the page cache: rare word, a word in 80% of the pages, two words, a
phrase, a prefix; then each with ``--source`` and a two-year date range.
Default order (relevance: all matches ranked when up to 2,000, else the
newest 2,000) and newest-first. Goal: p95 at or under 50 ms for every type.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ZYTE = REPO.parent / "shared" / "realdata" / "extraction" / "zyte-article-benchmark" / "ground-truth.json"
RESULTS = REPO / "bench" / "results"
WORD = re.compile(r"^[^\W\d_]+$")
CYRILLIC = re.compile(r"[а-яё]")

#: the most frequent Russian words, in order (frequency dictionaries of the Russian National Corpus agree on them)
RU_HEAD = (
    "и в не на я быть он с что а по это она этот к но они мы как из у который то за свой что весь год от так о "
    "для ты же все тот мочь вы человек такой его сказать только или еще бы себя один как уже до время если сам "
    "когда другой вот говорить наш мой знать стать при чтобы дело жизнь кто первый очень два день ее новый рука "
    "даже во со раз где там под можно ну какой после их работа без самый потом надо хотеть ли слово идти большой "
    "должен место иметь ничто страна россия президент власть война правительство путин заявил года время также "
    "украины сша москвы россии более после против сегодня может глава министр военных силы"
).split()

SOURCES = (
    # name, language, share, domains, authors
    ("svpressa", "ru", 0.18, ("svpressa.ru",), ("Ирина Соколова", "Сергей Аксёнов", "Андрей Иванов", "Ольга Петрова",
                                                "Дмитрий Родионов", "Анна Смирнова", "Павел Кузнецов", "Мария Васильева")),
    ("thesaker", "ru", 0.02, ("thesaker.is", "vineyardsaker.ru"), ("Сакер", "Андрей Раевский")),
    ("moonofalabama", "en", 0.40, ("www.moonofalabama.org",), ("b",)),
    ("thesaker-en", "en", 0.30, ("thesaker.is",), ("The Saker", "Pepe Escobar", "Alastair Crooke", "Gilbert Doctorow",
                                                   "Scott Ritter", "Larry Johnson")),
    ("escobar", "en", 0.10, ("asiatimes.com", "strategic-culture.su", "sputnikglobe.com"), ("Pepe Escobar",)),
)
PHRASES = {"en": "Russian troops", "ru": "специальной военной операции"}


def vocabulary(language: str, size: int) -> list[str]:
    """Distinct lowercase words, most frequent first."""
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    counts: dict[str, int] = {}
    if ZYTE.exists():
        for item in json.loads(ZYTE.read_text(encoding="utf-8")).values():
            for word in re.findall(r"\w+", (item.get("articleBody") or "").lower()):
                if WORD.match(word) and bool(CYRILLIC.search(word)) == (language == "ru"):
                    counts[word] = counts.get(word, 0) + 1
    head = list(RU_HEAD) if language == "ru" else []
    ranked = head + [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if w not in head]
    seen = set(ranked)
    dictionary = DefaultDictionaryFactory().get_dictionary(language)
    tail = sorted(
        w for w in (k.lower() for k in dictionary.keys())
        if WORD.match(w) and bool(CYRILLIC.search(w)) == (language == "ru") and w not in seen
    )
    random.Random(language).shuffle(tail)
    return (ranked + tail)[:size]


def zipf_cdf(size: int, exponent: float = 1.0, shift: float = 2.7) -> np.ndarray:
    weights = 1.0 / np.power(np.arange(size) + 1 + shift, exponent)
    return np.cumsum(weights / weights.sum())


class Corpus:
    def __init__(self, seed: int = 7, pages: int = 1_000_000):
        from archive.search.normalise import normaliser

        norm = normaliser()
        self.rng = np.random.default_rng(seed)
        self.pyrng = random.Random(seed)
        self.words, self.forms, self.cdf = {}, {}, {}
        clock = time.perf_counter()
        normalised = 0
        # distinct words grow with the corpus (Heaps' law); a small corpus needs fewer
        for language, size in (("en", min(120_000, pages * 6)), ("ru", min(250_000, pages * 12))):
            words = vocabulary(language, size)
            self.words[language] = np.array(words, dtype=object)
            self.forms[language] = np.array([norm.word(w) for w in words], dtype=object)
            self.cdf[language] = zipf_cdf(len(words))
            normalised += len(words)
        self.normalise_seconds = time.perf_counter() - clock
        self.vocabulary_size = normalised
        self.norm = norm
        self.days = (date(2026, 11, 1) - date(2004, 1, 1)).days
        shares = np.array([s[2] for s in SOURCES])
        self.source_cdf = np.cumsum(shares / shares.sum())
        self.seen: dict[str, int] = {}

    def text(self, language: str, count: int) -> tuple[str, str]:
        ids = np.searchsorted(self.cdf[language], self.rng.random(count))
        ids = np.minimum(ids, len(self.words[language]) - 1)
        return " ".join(self.words[language][ids]), " ".join(self.forms[language][ids])

    def page(self, page_id: int) -> tuple[dict, tuple[str, str, str]]:
        """A page row and its search row's (title, text, meta) forms."""
        from archive.search import fulltext

        source, language, _, domains, authors = SOURCES[int(np.searchsorted(self.source_cdf, self.rng.random()))]
        words = int(min(5000, max(80, self.rng.lognormal(math.log(450), 0.6))))
        title, title_forms = self.text(language, int(self.rng.integers(6, 15)))
        text, text_forms = self.text(language, words)
        self.seen[language] = self.seen.get(language, 0) + 1
        if self.seen[language] % 100 == 0:  # 1% of the pages of each language
            phrase = PHRASES[language]
            text = phrase + " " + text
            text_forms = self.norm.text(phrase) + " " + text_forms
        day = date(2004, 1, 1) + timedelta(days=int(self.days * math.sqrt(self.rng.random())))
        published = f"{day.isoformat()}T{int(self.rng.integers(0, 24)):02d}:00:00+03:00"
        captured = f"{(day + timedelta(days=int(self.rng.integers(0, 3)))).isoformat()}T06:00:00Z"
        domain = domains[int(self.rng.integers(0, len(domains)))]
        author = authors[int(self.rng.integers(0, len(authors)))]
        row = {
            "id": page_id, "url": f"https://{domain}/{day.year}/{day.month:02d}/{page_id}.html", "source": source,
            "title": title.capitalize(), "author": author, "published": published, "language": language,
            "text": text, "word_count": words, "first_captured": captured, "last_captured": captured, "versions": 1,
        }
        row["search_key"] = fulltext.search_key(page_id, published, captured)
        row["month"] = fulltext.month_of(published, captured)
        return row, (title_forms, text_forms, fulltext.meta(row, self.norm))


def build(path: Path, pages: int, progress=print) -> dict:
    from archive.search import fulltext
    from archive.index.store import Index

    clock = time.perf_counter()
    corpus = Corpus(pages=pages)
    vocab_seconds = time.perf_counter() - clock
    with Index(path) as index:
        conn = index.db.conn
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        columns = None
        clock = time.perf_counter()
        conn.execute("BEGIN")
        for language in ("en", "ru"):  # what insert() records of each page's words
            conn.executemany(
                f"INSERT OR IGNORE INTO {fulltext.WORDS} (word, form) VALUES (?, ?)",
                zip(corpus.words[language].tolist(), corpus.forms[language].tolist()),
            )
        conn.execute("COMMIT")
        batch = 20_000
        for start in range(1, pages + 1, batch):
            rows, search_rows = [], []
            for page_id in range(start, min(pages, start + batch - 1) + 1):
                row, (title, text, meta) = corpus.page(page_id)
                rows.append(row)
                search_rows.append((row["search_key"], title, text, "", meta))
            columns = columns or list(rows[0])
            conn.execute("BEGIN")
            conn.executemany(
                f"INSERT INTO pages ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [tuple(r[c] for c in columns) for r in rows],
            )
            fulltext.add_rows(conn, search_rows)
            conn.execute("COMMIT")
            done = min(pages, start + batch - 1)
            if done % 100_000 == 0 or done == pages:
                elapsed = time.perf_counter() - clock
                progress(f"  {done:,} pages in {elapsed:.0f} s ({done / elapsed:,.0f} pages/s)")
        build_seconds = time.perf_counter() - clock
        conn.execute("PRAGMA journal_mode=WAL")
        fts_bytes = conn.execute(f"SELECT sum(length(block)) FROM {fulltext.TABLE}_data").fetchone()[0]
        words = conn.execute("SELECT sum(word_count) FROM pages").fetchone()[0]
        tables = table_bytes(conn)
    sample = " ".join(corpus.words["en"][:2000]) + " " + " ".join(corpus.words["ru"][:2000])
    from archive.search.normalise import Normaliser

    fresh = Normaliser()
    clock = time.perf_counter()
    fresh.text(sample * 25)  # 100,000 words, the cache warming as in a run
    words_per_second = 100_000 / (time.perf_counter() - clock)
    size = path.stat().st_size
    return {
        "pages": pages, "words": words, "build_seconds": round(build_seconds, 1),
        "vocabulary_seconds": round(vocab_seconds, 1), "vocabulary_words": corpus.vocabulary_size,
        "file_bytes": size, "bytes_per_page": round(size / pages), "fts_bytes_per_page": round(fts_bytes / pages),
        "search_bytes_per_page": {name: round(n / pages) for name, n in tables.items()},
        "normaliser_words_per_second": round(words_per_second),
    }


def table_bytes(conn) -> dict[str, int]:
    """Bytes on disk of each search table (its B-tree indexes included)."""
    from archive.search import fulltext

    owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')"))
    sizes: dict[str, int] = {}
    for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        table = owners.get(name, name)
        if table.startswith((fulltext.TABLE, "search_")):
            sizes[table] = sizes.get(table, 0) + size
    return dict(sorted(sizes.items()))


def pick_terms(path: Path, runs: int, pages: int) -> dict[str, list[str]]:
    """Query words by how many pages hold them (from the index's own vocabulary)."""
    import sqlite3

    from archive.search import fulltext

    corpus_words = Corpus(seed=11, pages=pages)
    by_form: dict[str, str] = {}
    for language in ("en", "ru"):
        for word, form in zip(corpus_words.words[language], corpus_words.forms[language]):
            by_form.setdefault(form, word)
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, {fulltext.TABLE}, 'row')")
    pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    df = {term: doc for term, doc in conn.execute("SELECT term, doc FROM temp.vocab") if term in by_form}
    conn.close()
    rng = random.Random(5)

    def words_with(low: float, high: float, count: int) -> list[str]:
        chosen = [by_form[t] for t, d in df.items() if low * pages <= d <= high * pages and len(t) > 3]
        rng.shuffle(chosen)
        return (chosen * (count // max(1, len(chosen)) + 1))[:count] if chosen else []

    common = [by_form[t] for t, d in sorted(df.items(), key=lambda kv: -kv[1]) if d >= 0.6 * pages][:3] or ["the"]
    rare = words_with(10 / pages, 200 / pages, runs)
    mid = words_with(0.01, 0.05, runs)
    prefixes = sorted({w[:4] + "*" for w in words_with(0.001, 0.05, runs * 3) if len(w) >= 6})
    rng.shuffle(prefixes)
    return {
        "rare word": rare,
        "word in 80% of pages": [common[i % len(common)] for i in range(runs)],
        "two words": [f"{common[i % len(common)]} {mid[i]}" if i % 2 else f"{mid[i]} {mid[-1 - i]}" for i in range(runs)],
        "phrase": [f'"{PHRASES["en"]}"' if i % 2 else f'"{PHRASES["ru"]}"' for i in range(runs)],
        "prefix": (prefixes * 2)[:runs],
    }


def time_queries(path: Path, runs: int, pages: int) -> list[dict]:
    from archive.index.store import Index
    from archive.search.search import SearchQuery, search

    terms = pick_terms(path, runs, pages)
    results = []
    with Index(path) as index:
        index.db.execute("PRAGMA cache_size=-2000000")
        search(index, SearchQuery(text="warm"))
        for filtered in (False, True):
            for sort in (None, "newest"):
                for kind, queries in terms.items():
                    times, totals = [], []
                    for i, text in enumerate(queries):
                        query = SearchQuery(
                            text=text, sort=sort,
                            sources=("moonofalabama",) if filtered and i % 2 == 0 else ("svpressa",) if filtered else (),
                            since="2020-01-01" if filtered else None, until="2021-12-31" if filtered else None,
                        )
                        clock = time.perf_counter()
                        found = search(index, query)
                        times.append((time.perf_counter() - clock) * 1000)
                        totals.append(found.total)
                    times.sort()
                    results.append({
                        "query": kind + (" + source + dates" if filtered else ""),
                        "order": sort or "relevance",
                        "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)], 1),
                        "max_ms": round(times[-1], 1),
                        "matches_median": int(statistics.median(totals)),
                        "example": queries[0],
                    })
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="Index file to build (or reuse with --reuse); default: a temporary one")
    parser.add_argument("--reuse", action="store_true", help="Time the queries on an index --db already holds")
    parser.add_argument("--keep", action="store_true", help="Keep the index built")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json", action="store_true", help="Print JSON instead of the table")
    parser.add_argument("--write", action="store_true", help="Also write bench/results/search-latest.{md,json}")
    parser.add_argument("--optimize", action="store_true",
                        help="First merge the full-text index into one segment, as a rebuild leaves it")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    workdir = None
    path = args.db
    if path is None:
        workdir = tempfile.TemporaryDirectory(prefix="mediarchive-search-bench-")
        path = Path(workdir.name) / "index.sqlite"
    say = (lambda m: print(m, file=sys.stderr, flush=True))
    command = "python -m bench.search_index " + " ".join(
        "…" if a == str(args.db) else a for a in (sys.argv[1:] if argv is None else argv)
    )
    result = measure(path, args.pages, args.runs, say, reuse=args.reuse, optimize_first=args.optimize, command=command)
    table = render(result)
    if args.write:
        write_results(result)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else table)
    if workdir and not args.keep:
        workdir.cleanup()
    elif args.keep or args.db:
        say(f"index kept: {path}")
    return 0


def measure(path: Path, pages: int, runs: int, say, *, reuse: bool = False, optimize_first: bool = False,
            command: str = "") -> dict:
    """Build (or reuse) the index at ``path`` and time every query type: the result table's data."""
    if reuse:
        built = {"pages": pages, **stored_build(path), "reused": True}
    else:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        say(f"building an index of {pages:,} pages in {path} ...")
        built = {**build(path, pages, say), "command": command, "commit": git_commit()}
        store_build(path, built)
    if optimize_first:
        say("merging the full-text index into one segment ...")
        built["optimize_seconds"] = optimize(path)
        store_build(path, {k: v for k, v in built.items() if k != "reused"})
    say(f"timing queries ({runs} runs each) ...")
    queries = time_queries(path, runs, pages)
    return {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": command, "commit": git_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"SQLite {__import__('sqlite3').sqlite_version}",
        "build": built, "queries": queries, "goal_p95_ms": 50,
        "goal_met": all(q["p95_ms"] <= 50 for q in queries),
    }


def write_results(result: dict) -> None:
    """bench/results/search-latest.{md,json}: the table ``python -m bench`` reports."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search-latest.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    (RESULTS / "search-latest.md").write_text(render(result))


def git_commit() -> str:
    """The checkout's commit, "+changes" when files differ from it."""
    import subprocess

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def optimize(path: Path) -> float:
    """``fulltext.optimize`` on the index at ``path``; the seconds it took."""
    import sqlite3

    from archive.search import fulltext

    conn = sqlite3.connect(path)
    clock = time.perf_counter()
    with conn:
        fulltext.optimize(conn)
    conn.close()
    return round(time.perf_counter() - clock, 1)


def store_build(path: Path, built: dict) -> None:
    """Keep the build's figures in the index, for runs with --reuse."""
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT OR REPLACE INTO search_meta (key, value) VALUES ('bench_build', ?)", [json.dumps(built)])
    conn.close()


def stored_build(path: Path) -> dict:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM search_meta WHERE key = 'bench_build'").fetchone()
    except sqlite3.OperationalError:
        row = None
    conn.close()
    return json.loads(row[0]) if row else {}


def render(result: dict) -> str:
    built = result["build"]
    lines = [
        f"# Search at {built['pages']:,} pages", "",
        f"Measured {result['measured']} on {result['machine']}:",
        f"`{result.get('command', 'python -m bench.search_index')}` at commit {result.get('commit', 'unknown')}.", "",
    ]
    if "build_seconds" in built:
        tables = built.get("search_bytes_per_page", {})
        lines += [
            f"- Index built by `{built.get('command', '?')}` at commit {built.get('commit', '?')}"
            + (" (reused here)" if built.get("reused") else "")
            + (f"; merged into one segment (`--optimize`, {built['optimize_seconds']} s)" if "optimize_seconds" in built
               else "; its full-text index in the segments the build left") + ".",
            f"- Build: {built['build_seconds']:,} s for {built['pages']:,} pages ({built['words']:,} words), "
            f"{built['pages'] / max(built['build_seconds'], 0.001):,.0f} pages/s into SQLite.",
            f"- Size: {built['bytes_per_page']:,} bytes per page in all ({built['fts_bytes_per_page']:,} of them the "
            f"full-text index; the rest is the pages' own text and metadata).",
            "- Search tables, bytes per page: " + ", ".join(f"`{name}` {n:,}" for name, n in tables.items())
            + f"; {sum(tables.values()):,} in all." if tables else "",
            f"- Normaliser: {built['normaliser_words_per_second']:,} words/s on one core, cache warming "
            f"(the search forms of {built['vocabulary_words']:,} vocabulary words took {built['vocabulary_seconds']} s).",
            "",
        ]
    lines += ["| query | order | p50 ms | p95 ms | max ms | matches (median, counted to 1,000) | example |", "|---|---|--:|--:|--:|--:|---|"]
    for q in result["queries"]:
        flag = "" if q["p95_ms"] <= result["goal_p95_ms"] else " ✗"
        lines.append(
            f"| {q['query']} | {q['order']} | {q['p50_ms']} | {q['p95_ms']}{flag} | {q['max_ms']} | "
            f"{q['matches_median']:,} | `{q['example']}` |"
        )
    lines += ["", f"Goal: p95 ≤ {result['goal_p95_ms']} ms for every query: **{'met' if result['goal_met'] else 'not met'}**.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
