"""CPU a page of capture alone, against bare Scrapy: variants (a), (a') and
(b) of the pipeline benchmark (bench.pipeline), in alternation, on one bench
site, without the full pipeline, wget or the latency condition.

    python -m bench.capture_cost [--pages 1000] [--rounds 3] [--baseline DIR]...

``--baseline DIR`` (repeatable) also runs (a') and (b) from another source
tree (e.g. an older commit unpacked with ``git archive REV | tar -x -C DIR``),
in the same alternation, so that a change is measured against what it changes
under the same load. Prints one line a run and the medians; the crawls are bound by one
core, so CPU ms a page is the figure to compare.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from bench import measure, pipeline
from bench.recrawl import REPO, sources_yaml, start_site

TOOLS = ("bare", "bare_discovery", "capture")


def run(tool: str, tree: Path, base: str, out: Path, config: Path, concurrency: int) -> dict:
    """One measured run of ``tool`` (one of TOOLS) with the code of ``tree``."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    result = measure.run(pipeline.command(tool, base, out, config, concurrency), cwd=tree)
    if result.returncode != 0:
        raise RuntimeError(f"{tool} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    if tool == "capture":
        pages = pipeline.warc_counts(out)[0]
    else:
        pages = json.loads((out / "stats.json").read_text()).get("response_received_count", 0)
    shutil.rmtree(out)
    return {"pages": pages, "wall_s": result.wall_s, "cpu_ms_per_page": 1000 * result.cpu_s / max(pages, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--baseline", type=Path, action="append", default=[],
                        help="another source tree, whose (a') and (b) run alongside (repeatable)")
    args = parser.parse_args(argv)
    variants = [(tool, REPO) for tool in TOOLS]
    for tree in args.baseline:
        variants += [("bare_discovery", tree.resolve()), ("capture", tree.resolve())]
    results: dict[tuple[str, Path], list[dict]] = {variant: [] for variant in variants}
    site, base = start_site(args.pages)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "sources.yaml"
            config.write_text(sources_yaml(base, args.concurrency))
            for round_ in range(args.rounds):
                turn = round_ % len(variants)
                for tool, tree in variants[turn:] + variants[:turn]:
                    result = run(tool, tree, base, Path(tmp) / "out", config, args.concurrency)
                    results[(tool, tree)].append(result)
                    print(f"round {round_ + 1} {tool:<15} {tree.name:<14} {result['pages']:5d} pages "
                          f"{result['wall_s']:6.1f} s {result['cpu_ms_per_page']:6.2f} CPU ms/page", flush=True)
    finally:
        site.terminate()
        site.wait()
    print("medians:")
    for (tool, tree), runs in results.items():
        print(f"  {tool:<15} {tree.name:<14} {statistics.median(r['cpu_ms_per_page'] for r in runs):6.2f} CPU ms/page "
              f"{statistics.median(r['pages'] / r['wall_s'] for r in runs):6.1f} pages/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
