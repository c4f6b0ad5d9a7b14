"""All benchmarks in one run; writes bench/results/latest.md and latest.json.

    python -m bench            # the full run (about 2 hours on 2 cores)
    python -m bench --quick    # a smoke run (a few minutes): small sites, one round
    python -m bench --no-memory && python -m bench --memory-only   # the same in two parts

Steps: the pipeline benchmark on a generated 2,000-page site, without and
with 50 ms latency per response ((a) bare Scrapy, (b) capture only, (c) the
full pipeline, (d) wget, in alternation, medians of several rounds), with
the index's size by table; CPU of extraction alone, and of our extraction
job against plain trafilatura; a reindex of (c)'s archive; the recrawl of
the unchanged site; memory over a 100,000-page full-pipeline crawl;
extraction F1 on the Zyte benchmark; language accuracy on two labelled sets;
last, the search benchmark at 1,000,000 pages (``bench.search_index``: about
40 minutes of index building, then every query type timed on an idle
machine). Figures are compared as ratios, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import pipeline
from bench.recrawl import REPO
from bench.report import goals, markdown

RESULTS = REPO / "bench" / "results"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    wget = subprocess.run([pipeline.WGET, "--version"], capture_output=True, text=True).stdout.split("\n", 1)[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "crawler", "archive", "bench"], cwd=REPO,
                                capture_output=True, text=True).stdout.strip())
    import scrapy
    import trafilatura

    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "trafilatura": trafilatura.__version__,
        "wget": wget,
        "commit": commit + ("+uncommitted" if dirty else ""),
    }


def index_languages(data: Path) -> dict:
    """Language of the full crawl's pages against the bench site's (every fifth article Russian)."""
    with sqlite3.connect(data / "index.sqlite") as db:
        rows = db.execute("SELECT url, language FROM pages WHERE url LIKE '%/articles/%'").fetchall()
    right = sum(
        (lang == ("ru" if int(url.rsplit("/", 1)[1].split(".")[0]) % 5 == 0 else "en")) for url, lang in rows
    )
    return {"set": "bench site as crawled by (c), lang attribute declared", "pages": len(rows),
            "accuracy": round(right / len(rows), 4) if rows else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sites, one round: a smoke run")
    parser.add_argument("--pages", type=int, help="articles of the pipeline site (2000; quick: 200)")
    parser.add_argument("--rounds", type=int, help="rounds of the four tools per condition (3; quick: 1)")
    parser.add_argument("--memory-pages", type=int, help="articles of the full-pipeline memory crawl (100000; quick: 3000)")
    parser.add_argument("--search-pages", type=int,
                        help="pages of the search benchmark (1000000; quick: 20000; 0: report the last table written)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=8, help="per-host concurrency of the Scrapy crawls")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.md and latest.json go")
    parser.add_argument("--no-memory", action="store_true", help="leave out the memory crawl (run it with --memory-only)")
    parser.add_argument("--render", action="store_true", help="only write the .md again from the .json in --out")
    parser.add_argument("--memory-only", action="store_true",
                        help="only the memory crawl, added to the results already in --out")
    args = parser.parse_args(argv)
    pages = args.pages or (200 if args.quick else 2000)
    rounds = args.rounds or (1 if args.quick else 3)
    memory_pages = args.memory_pages or (3000 if args.quick else 100_000)
    search_pages = args.search_pages if args.search_pages is not None else (20_000 if args.quick else 1_000_000)

    def log(message: str) -> None:
        print(message, flush=True)

    stem = "quick" if args.quick else "latest"
    args.out.mkdir(parents=True, exist_ok=True)

    def save(result: dict, final: bool = False) -> None:
        """Write what there is so far (a run cut short keeps its figures)."""
        (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if final:
            result["goals"] = goals(result)
            (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            (args.out / f"{stem}.md").write_text(markdown(result), encoding="utf-8")

    started = time.monotonic()
    if args.render:
        result = json.loads((args.out / f"{stem}.json").read_text(encoding="utf-8"))
        save(result, final=True)
        return 0
    if args.memory_only:
        result = json.loads((args.out / f"{stem}.json").read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory(prefix="mediarchive-bench-") as tmp:
            log(f"memory: full-pipeline crawl of {memory_pages} articles")
            result["memory"] = pipeline.memory(memory_pages, Path(tmp), args.concurrency, log)
        result["memory"]["load_after"] = os.getloadavg()
        result["wall_s"] = round(result.get("wall_s", 0) + time.monotonic() - started, 1)
        save(result, final=True)
        log(markdown(result))
        return 0
    result: dict = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "machine": machine(),
        "load_before": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="mediarchive-bench-") as tmp:
        work = Path(tmp)
        log(f"pipeline, {pages} articles, no added latency, concurrency {args.concurrency}, {rounds} round(s)")
        result["no_latency"] = pipeline.run_condition(pages, 0, args.concurrency, rounds, work, log, with_recrawl=True)
        log(f"  recrawl: {result['no_latency']['recrawl']}")
        save(result)
        log("extraction alone (one process, the capture's articles)")
        result["extraction_alone"] = pipeline.extraction_alone(work / "capture" / "data" / "warcs")
        log(f"  {result['extraction_alone']}")
        log("extraction job against plain trafilatura (181 Zyte pages)")
        from bench.extraction_overhead import overhead

        result["extraction_overhead"] = overhead(rounds=1 if args.quick else 3)
        log(f"  {result['extraction_overhead']}")
        result["language_crawled"] = index_languages(work / "full" / "data")
        save(result)
        log(f"pipeline, {pages} articles, {args.latency_ms:g} ms latency, concurrency {args.concurrency}")
        result["latency"] = pipeline.run_condition(pages, args.latency_ms, args.concurrency, rounds, work / "lat", log)
        save(result)
        if not args.no_memory:
            log(f"memory: full-pipeline crawl of {memory_pages} articles")
            result["memory"] = pipeline.memory(memory_pages, work, args.concurrency, log)
            log(f"  {({k: v for k, v in result['memory'].items() if k != 'curve'})}")
            save(result)
    log("extraction quality (Zyte benchmark)")
    from bench import extraction_quality, language_accuracy

    quality = extraction_quality.run(extraction_quality.BENCHMARK_DIR, None, 1000)
    result["extraction_quality"] = {k: v for k, v in quality.to_dict().items() if k != "not_extractable"}
    log("language accuracy")
    result["language"] = {
        "zyte": language_accuracy.zyte(),
        "synthetic": language_accuracy.synthetic(200 if args.quick else 1000),
        "crawled": result.pop("language_crawled"),
    }
    save(result)
    if search_pages:
        from bench import search_index

        log(f"search: an index of {search_pages:,} generated pages, then every query type")
        with tempfile.TemporaryDirectory(prefix="mediarchive-search-bench-") as tmp:
            result["search"] = search_index.measure(Path(tmp) / "index.sqlite", search_pages, 40, log,
                                                    command=f"python -m bench (--search-pages {search_pages})")
        if not args.quick:
            search_index.write_results(result["search"])
    result["load_after"] = os.getloadavg()
    result["wall_s"] = round(time.monotonic() - started, 1)
    save(result, final=True)
    log(markdown(result))
    log(f"written: {args.out / (stem + '.md')}, {args.out / (stem + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
