"""What an extraction worker holds in memory once warmed up, item by item.

    python -m bench.worker_memory [--json]

A fresh interpreter (as the pool's forkserver is) imports what a
worker imports, one library after another, loads py3langid's model, extracts
an English and then a Russian page of the Zyte benchmark step by step
(trafilatura and language, then the search forms, then the whole job), the
svpressa sample with that source's rules, and last every Zyte page (the
caches a worker fills). After each step it reads its resident set (``VmRSS``,
and how much of it is file pages, shared with other processes mapping the
same libraries). The difference between steps is what the step added: the
first importer of a shared dependency (numpy, lxml) pays for it.

The function for other benchmarks is :func:`worker_memory`.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import subprocess
import sys

from pathlib import Path

# Nothing that the worker imports may be imported here: the child measures the imports.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
BENCHMARK_DIR = PROJECT_ROOT / ".." / "shared" / "realdata" / "extraction" / "zyte-article-benchmark"

#: The worker's libraries, in an order where each pulls in little the next needs.
IMPORTS = (
    ("lxml", "lxml.html"),
    ("charset_normalizer", "charset_normalizer"),
    ("trafilatura (+justext, htmldate, courlan)", "trafilatura"),
    ("numpy", "numpy"),
    ("py3langid (module)", "py3langid.langid"),
    ("PyStemmer", "Stemmer"),
    ("simplemma (module)", "simplemma"),
    ("yaml", "yaml"),
    ("archive.extract.job (the rest it imports)", "archive.extract.job"),
)
ENGLISH_PAGE = "3cb22bfabed8de715c0813a7bb5052363c96bd71ccce3bb2dfb3ab9d1d7a9bbc"
RUSSIAN_PAGE = "c82b3d1d540bbbd6081bdfb78b4c068c583aa766bcaaefe7ad16d24e5413a829"


def _rss_mb() -> tuple[float, float]:
    """(resident MB, of which file-backed MB) of this process."""
    fields = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssFile", "RssShmem"):
                fields[name] = int(value.split()[0]) / 1024
    return round(fields["VmRSS"], 1), round(fields.get("RssFile", 0.0) + fields.get("RssShmem", 0.0), 1)


def _page(page_id: str) -> tuple[bytes, str]:
    truth = json.loads((BENCHMARK_DIR / "ground-truth.json").read_text(encoding="utf-8"))
    return gzip.decompress((BENCHMARK_DIR / "html" / f"{page_id}.html.gz").read_bytes()), truth[page_id]["url"]


def _steps() -> list[dict[str, object]]:
    """Run in a fresh interpreter: the steps and the RSS after each."""
    rows: list[dict[str, object]] = []

    def record(step: str) -> None:
        rss, file_backed = _rss_mb()
        previous = rows[-1]["rss_mb"] if rows else rss
        rows.append({"step": step, "rss_mb": rss, "added_mb": round(rss - previous, 1), "file_mb": file_backed,
                     "dateparser": "dateparser" in sys.modules})

    record("python")
    for label, module in IMPORTS:
        importlib.import_module(module)
        record(f"import {label}")
    from archive.extract.article import extract
    from archive.extract.job import extract_job
    from archive.extract.language import _identifier
    from archive.search.fulltext import word_forms
    from archive.sources import load_config

    _identifier()
    record("py3langid model")
    for language, page_id in (("English", ENGLISH_PAGE), ("Russian", RUSSIAN_PAGE)):
        body, url = _page(page_id)
        extraction = extract(body, url, "text/html").to_dict()
        record(f"{language} page: trafilatura, htmldate, language")
        word_forms(extraction)
        record(f"{language} page: search forms")
        extract_job(body, url, "text/html", None)
        record(f"{language} page: the whole job")
    svpressa = load_config(PROJECT_ROOT / "config" / "sources.yaml").source("svpressa").extraction_options()
    sample = PROJECT_ROOT / "tests" / "samples" / "svpressa" / "war21-article-321239.html"
    extract_job(sample.read_bytes(), "https://svpressa.ru/war21/article/321239/", "text/html; charset=utf-8", None,
                svpressa, "2022-01-07T09:00:00Z")
    record("svpressa sample with its rules")
    for page_id in sorted(json.loads((BENCHMARK_DIR / "ground-truth.json").read_text(encoding="utf-8"))):
        extract_job(*_page(page_id), "text/html", None)
    record("every Zyte page (181)")
    return rows


def worker_memory() -> list[dict[str, object]]:
    """The steps of a warmed worker and its RSS after each, measured in a fresh interpreter."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.worker_memory", "--child"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_steps()))
        return 0
    rows = worker_memory()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'step':<48} {'RSS MB':>7} {'added':>7} {'files':>6}  dateparser")
    for row in rows:
        print(f"{row['step']:<48} {row['rss_mb']:>7} {row['added_mb']:>+7} {row['file_mb']:>6}  {row['dateparser']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
