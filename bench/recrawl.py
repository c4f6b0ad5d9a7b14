"""Recrawl cost: a first crawl of a generated 2,000-page site, then a second
routine run over the unchanged site. Goal: the second run at least 10x
faster, adding at most 2% of the first run's WARC bytes.

    python bench/recrawl.py [--pages 2000] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def start_site(pages: int, latency_ms: float = 0) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.site", "--pages", str(pages), "--latency-ms", str(latency_ms), "--warm"],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline().strip()
    if not line.startswith("LISTENING "):
        process.kill()
        raise SystemExit(f"bench site did not start: {line!r}")
    return process, line.split(" ", 1)[1]


def sources_yaml(base: str, concurrency: int = 8) -> str:
    """The bench site as a source: no delay (no AutoThrottle), ``concurrency`` per host."""
    return (
        "sources:\n  - name: bench\n"
        f"    start_urls: ['{base}/news/']\n    feeds: ['{base}/feed.xml']\n    sitemaps: ['{base}/sitemap.xml']\n"
        f"    delay: 0\n    concurrency: {concurrency}\n    requisites: false\n"
        "    article_pattern: ['/articles/\\d+\\.html$']\n    follow_pattern: ['/news/(\\?page=\\d+)?$']\n"
    )


def crawl(config: Path, data: Path) -> tuple[float, int, str]:
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(data), "--log-level", "WARNING"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"crawl failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    size = sum(p.stat().st_size for p in (data / "warcs").rglob("*") if p.is_file())
    return elapsed, size, run.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    site, base = start_site(args.pages)
    try:
        with tempfile.TemporaryDirectory(prefix="mediarchive-bench-") as tmp:
            config = Path(tmp) / "sources.yaml"
            config.write_text(sources_yaml(base))
            data = Path(tmp) / "data"
            first_s, first_bytes, first_line = crawl(config, data)
            second_s, second_total, second_line = crawl(config, data)
    finally:
        site.terminate()
        site.wait()
    added = second_total - first_bytes
    result = {
        "pages": args.pages,
        "first_run_s": round(first_s, 2),
        "first_run_bytes": first_bytes,
        "second_run_s": round(second_s, 2),
        "second_run_bytes_added": added,
        "speedup": round(first_s / second_s, 1),
        "bytes_added_pct": round(100 * added / first_bytes, 3),
        "goal_speedup_10x": first_s / second_s >= 10,
        "goal_bytes_2pct": added <= 0.02 * first_bytes,
        "first_run": first_line,
        "second_run": second_line,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"recrawl of an unchanged {args.pages}-page site")
    print(f"  first run   {first_s:8.1f} s  {first_bytes / 1e6:9.2f} MB of WARC   {first_line}")
    print(f"  second run  {second_s:8.1f} s  {added / 1e6:9.3f} MB added     {second_line}")
    print(f"  speed-up {result['speedup']}x (goal >= 10x: {'met' if result['goal_speedup_10x'] else 'NOT met'})")
    print(f"  bytes added {result['bytes_added_pct']}% (goal <= 2%: {'met' if result['goal_bytes_2pct'] else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
