"""What each downloader middleware costs a page: a capture-only crawl
(``mediarchive crawl --no-index``) of the bench site under cProfile, its
time grouped by middleware, summing the cumulative time of the ``process_*``
methods each class has (its own or inherited, helpers they call included).

    python -m bench.middleware_cost [--pages 1000] [--profile FILE]

The downloader calls the middlewares one after the other, never one inside
another, so these sums do not overlap. Times are CPU times under the profiler
(which inflates Python code more than C code such as zlib); the profile's total
and an unprofiled run's CPU a page are printed beside them for scale.
"""

from __future__ import annotations

import argparse
import inspect
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

from scrapy.utils.misc import load_object

from bench import measure, pipeline
from bench.recrawl import REPO, sources_yaml, start_site
from crawler.run import crawler_settings

#: ``python -c PROFILED FILE ARGS...``: the mediarchive command with ARGS under
#: cProfile timed by CPU time, not wall time (the machine is shared), to FILE.
PROFILED = """
import cProfile, runpy, sys, time
out = sys.argv.pop(1)
profile = cProfile.Profile(time.process_time)
try:
    profile.runcall(runpy.run_module, "crawler.cli", run_name="__main__", alter_sys=True)
finally:
    profile.dump_stats(out)
"""


def middlewares() -> list[tuple[int, str]]:
    """(order, class path) of every downloader middleware a crawl enables."""
    settings = crawler_settings(Path("unused"))
    merged = dict(settings.getdict("DOWNLOADER_MIDDLEWARES_BASE"))
    merged.update(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    return sorted((order, path) for path, order in merged.items() if order is not None)


def process_methods(cls: type) -> list[tuple[str, int, str]]:
    """(file, first line, name) of the ``process_*`` methods ``cls`` has, as
    cProfile keys them: the functions themselves, not the wrapper Scrapy's
    decorators put around many (one code object shared by all)."""
    keys = []
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("process_"):
            code = inspect.unwrap(member).__code__
            keys.append((code.co_filename, code.co_firstlineno, code.co_name))
    return keys


def per_middleware(profile: Path, pages: int) -> list[tuple[int, str, int, float]]:
    """(order, class path, calls, profiled ms a page) of every enabled middleware."""
    stats = pstats.Stats(str(profile)).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    rows = []
    for order, path in middlewares():
        entries = [stats[key] for key in process_methods(load_object(path)) if key in stats]
        calls = sum(entry[1] for entry in entries)
        rows.append((order, path, calls, 1000 * sum(entry[3] for entry in entries) / pages))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", type=Path, help="keep the profile here")
    args = parser.parse_args(argv)
    site, base = start_site(args.pages)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            config = work / "sources.yaml"
            config.write_text(sources_yaml(base, args.concurrency))
            crawl = pipeline.command("capture", base, work / "out", config, args.concurrency)
            plain = measure.run(crawl, cwd=REPO)
            pages = pipeline.warc_counts(work / "out")[0]
            shutil.rmtree(work / "out")
            profile = args.profile or work / "capture.prof"
            profiled = measure.run([sys.executable, "-c", PROFILED, str(profile), *crawl[3:]], cwd=REPO)
            if plain.returncode or profiled.returncode:
                raise SystemExit(f"crawl failed:\n{plain.stderr[-2000:]}\n{profiled.stderr[-2000:]}")
            total = pstats.Stats(str(profile)).total_tt
            print(f"{pages} pages; CPU a page: {1000 * plain.cpu_s / pages:.2f} ms unprofiled, "
                  f"{1000 * profiled.cpu_s / pages:.2f} ms profiled ({1000 * total / pages:.2f} ms in the profile)")
            print(f"{'order':>5}  {'downloader middleware':<62} {'calls':>6} {'ms/page':>8}")
            for order, path, calls, ms in per_middleware(profile, pages):
                print(f"{order:>5}  {path:<62} {calls:>6} {ms:8.3f}")
    finally:
        site.terminate()
        site.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
