"""CPU cost of extraction alone: the indexer's worker job (trafilatura,
metadata, language) run in one process, one page after another, on the HTML
responses of the given WARC files.

    python -m bench.extraction_cpu WARC_DIR [--limit N] [--json] [--profile FILE]

The first page pays for loading the models and htmldate/dateparser's
warm-up: it is reported apart (``warmup_s``), the rest is steady state.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

from archive.extract.sniff import is_html
from archive.extract.job import extract_job as _extract_job
from archive.warc.names import is_warc_name
from archive.warc.read import iter_records


def html_responses(directory: Path, limit: int | None) -> tuple[int, list[tuple]]:
    """(responses seen, jobs) for the 2xx HTML responses of ``directory``."""
    responses, jobs = 0, []
    for path in sorted(p for p in Path(directory).rglob("*") if is_warc_name(p.name)):
        for record in iter_records(path):
            if record.record_type != "response":
                continue
            responses += 1
            if record.status and 200 <= record.status < 300 and record.body and is_html(record.mime, record.body[:1024]):
                if "/articles/" in (record.url or ""):
                    jobs.append((record.body, record.url, record.header("Content-Type"), record.header("Content-Language"),
                                 None, record.captured_at))
    return responses, jobs[:limit] if limit else jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warcs", type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", type=Path, help="write the top of a cProfile of the steady state here")
    args = parser.parse_args(argv)
    responses, jobs = html_responses(args.warcs, args.limit)
    if len(jobs) < 2:
        raise SystemExit(f"{args.warcs}: fewer than 2 article pages to extract")
    started = time.process_time()
    _extract_job(*jobs[0])
    warmup = time.process_time() - started
    profiler = cProfile.Profile() if args.profile else None
    failed = 0
    started, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for job in jobs[1:]:
        failed += isinstance(_extract_job(*job), str)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - started, time.perf_counter() - wall
    result = {
        "responses_in_warcs": responses,
        "articles_extracted": len(jobs) - 1,
        "not_extracted": failed,
        "warmup_s": round(warmup, 3),
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_article": round(1000 * cpu / (len(jobs) - 1), 2),
        "wall_s": round(wall, 3),
    }
    if profiler:
        with open(args.profile, "w", encoding="utf-8") as out:
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
