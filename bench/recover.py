"""``recover`` against a local web archive, with politeness off, beside a
crawl of the same articles from the site itself.

The bench site (``bench.site``) also plays an archive holding one capture of
each of its N articles: a CDX answer listing them, then N raw mementos.
The crawl fetches the same N articles (and its listings, feed and
sitemap) and indexes them; so the ratio says what recovering costs beyond
fetching and indexing the pages.

Run: ``python -m bench.recover [--pages 1000]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.recrawl import REPO, crawl, sources_yaml, start_site


def recover_yaml(base: str) -> str:
    return (
        "sources:\n  - name: bench\n    start_urls: ['https://bench.example/news/']\n    delay: 0\n    concurrency: 8\n"
        "    requisites: false\n    article_pattern: ['/articles/\\d+\\.html$']\n"
        f"    recover: {{archives: ['{base}/cdx/search/cdx']}}\n"
    )


def recover(config: Path, data: Path) -> tuple[float, str]:
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "recover", "--source", "bench", "--delay", "0", "--config", str(config),
         "--data", str(data), "--log-level", "WARNING"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"recover failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    return elapsed, run.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    site, base = start_site(args.pages, 0)
    try:
        with tempfile.TemporaryDirectory(prefix="mediarchive-bench-recover-") as tmp:
            work = Path(tmp)
            (work / "recover.yaml").write_text(recover_yaml(base))
            (work / "crawl.yaml").write_text(sources_yaml(base, 8))
            recover_s, summary = recover(work / "recover.yaml", work / "recovered")
            again_s, again = recover(work / "recover.yaml", work / "recovered")
            crawl_s, _, _ = crawl(work / "crawl.yaml", work / "crawled")
    finally:
        site.terminate()
        site.wait()
    result = {
        "pages": args.pages,
        "recover_s": round(recover_s, 2),
        "recover_pages_per_s": round(args.pages / recover_s, 1),
        "second_recover_s": round(again_s, 2),
        "crawl_s": round(crawl_s, 2),
        "crawl_pages_per_s": round(args.pages / crawl_s, 1),
        "recover_vs_crawl": round(crawl_s / recover_s, 2),
        "summary": summary.splitlines(),
        "second_summary": again.splitlines()[0],
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
