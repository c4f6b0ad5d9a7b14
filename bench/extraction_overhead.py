"""What our extraction job costs on top of plain trafilatura, on the Zyte pages.

    python -m bench.extraction_overhead [--rounds N] [--pages-dir DIR] [--profile FILE] [--json]

In one process, page by page, alternating which goes first: plain
``trafilatura.bare_extraction(html, url=..., with_metadata=True,
include_comments=False)`` on the page decoded beforehand (the text
``archive.extract.decode.decode_html`` gives, which for these pages is what
trafilatura's own decoding gives), and the indexer's worker job
``extract_job(body, url, "text/html", None, ExtractionOptions())`` on the
raw bytes (decoding, language, dates, content hash and search forms
included). Both are warmed up first (see :func:`_warm_up`). CPU time
(``time.process_time``) is summed per variant; the ratio of the two sums is
the figure, and it is what is worth comparing between runs on a shared
machine, not the milliseconds.

After the first round the words' search forms are all cached in the
process's normaliser (as in a worker that has seen many pages of a site):
``first_round_ours_ms`` is ours in the first round, with the words new.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import pstats
import re
import sys
import time
from pathlib import Path

import trafilatura

from archive.extract.decode import decode_html
from archive.extract.job import extract_job
from archive.sources import ExtractionOptions
from bench.extraction_quality import BENCHMARK_DIR, load_benchmark

CONTENT_TYPE = "text/html"
_CYRILLIC_RE = re.compile("[\u0430-\u044f]")


def load_pages(pages_dir: Path = BENCHMARK_DIR) -> list[tuple[str, bytes, str]]:
    """(url, body, decoded text) of each benchmark page, by id."""
    pages = []
    for _page_id, url, _truth, path in load_benchmark(Path(pages_dir)):
        body = gzip.decompress(path.read_bytes())
        pages.append((url, body, decode_html(body, CONTENT_TYPE)[0]))
    return pages


def plain_trafilatura(url: str, html: str) -> object:
    return trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)


def ours(url: str, body: bytes, options: ExtractionOptions) -> object:
    return extract_job(body, url, CONTENT_TYPE, None, options)


def _warm_up(pages: list[tuple[str, bytes, str]], options: ExtractionOptions) -> None:
    """Load what both variants load on first use: trafilatura on every page (htmldate
    loads dateparser's locales on the few pages it hands to it, 0.6 s the first
    time), our job on an English and a Russian page (py3langid's model, simplemma's
    dictionaries); the other pages' words are new to our job in the first round."""
    russian = max(pages, key=lambda page: len(_CYRILLIC_RE.findall(page[2])))
    for url, _body, html in pages:
        plain_trafilatura(url, html)
    for url, body, _html in (pages[0], russian):
        ours(url, body, options)


def overhead(pages_dir: Path = BENCHMARK_DIR, rounds: int = 3, profile: Path | None = None) -> dict[str, float | int]:
    """CPU ms a page of our job and of plain trafilatura on the same pages, and their ratio.

    Returns ``{"pages", "rounds", "ours_ms", "trafilatura_ms", "ratio",
    "first_round_ours_ms", "first_round_trafilatura_ms"}``; ``profile``, if
    given, receives the top of a cProfile of our job over the last round.
    """
    pages = load_pages(pages_dir)
    options = ExtractionOptions()
    _warm_up(pages, options)
    totals = {"ours": 0.0, "trafilatura": 0.0}
    first: dict[str, float] = {}
    profiler = cProfile.Profile() if profile else None
    for round_number in range(rounds):
        profiling = profiler is not None and round_number == rounds - 1
        for index, (url, body, html) in enumerate(pages):
            order = ("ours", "trafilatura") if (index + round_number) % 2 else ("trafilatura", "ours")
            for variant in order:
                started = time.process_time()
                if variant == "ours":
                    if profiling:
                        profiler.enable()
                    ours(url, body, options)
                    if profiling:
                        profiler.disable()
                else:
                    plain_trafilatura(url, html)
                totals[variant] += time.process_time() - started
        if round_number == 0:
            first = dict(totals)
    if profiler is not None:
        with open(profile, "w", encoding="utf-8") as out:
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
    per_page = len(pages) * rounds
    return {
        "pages": len(pages),
        "rounds": rounds,
        "ours_ms": round(1000 * totals["ours"] / per_page, 2),
        "trafilatura_ms": round(1000 * totals["trafilatura"] / per_page, 2),
        "ratio": round(totals["ours"] / totals["trafilatura"], 3),
        "first_round_ours_ms": round(1000 * first["ours"] / len(pages), 2),
        "first_round_trafilatura_ms": round(1000 * first["trafilatura"] / len(pages), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages-dir", type=Path, default=BENCHMARK_DIR, help="the Zyte benchmark's folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write the top of a cProfile of our job (last round) here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = overhead(args.pages_dir, args.rounds, args.profile)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
