"""``reindex --from-records`` against ``reindex``: one full crawl of the
bench site, then both rebuilds of its data, in alternation.

Run: ``python -m bench.reindex_records [--pages 1000] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from bench import pipeline
from bench.recrawl import sources_yaml, start_site


def measure(pages: int, rounds: int, work: Path, log=print) -> dict:
    site, base = start_site(pages, 0)
    try:
        config = work / "sources.yaml"
        config.write_text(sources_yaml(base, 8))
        crawl = pipeline.run_once("full", base, work / "full", config, 8, site.pid)
        log(f"crawled {crawl['pages']} pages ({crawl['articles']} articles) in {crawl['wall_s']:.1f} s")
        runs: dict[str, list[dict]] = {"reindex": [], "from_records": []}
        for number in range(rounds):
            for kind in (("reindex", "from_records") if number % 2 == 0 else ("from_records", "reindex")):
                result = pipeline.reindex(work / "full" / "data", config, from_records=kind == "from_records")
                runs[kind].append(result)
                log(f"  round {number + 1}: {kind:<13} {result['wall_s']:6.2f} s, {result['cpu_s']:6.2f} s CPU,"
                    f" {result['pages']} pages")
    finally:
        site.terminate()
        site.wait()
    wall = {kind: statistics.median(r["wall_s"] for r in results) for kind, results in runs.items()}
    return {"pages": runs["reindex"][-1]["pages"], "runs": runs, "median_wall_s": wall,
            "speed_up": round(wall["reindex"] / wall["from_records"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mediarchive-bench-records-") as tmp:
        result = measure(args.pages, args.rounds, Path(tmp))
    print(json.dumps(result, indent=2))
    print(f"reindex {result['median_wall_s']['reindex']:.2f} s, --from-records {result['median_wall_s']['from_records']:.2f} s"
          f" for {result['pages']} pages: {result['speed_up']}x")


if __name__ == "__main__":
    main()
