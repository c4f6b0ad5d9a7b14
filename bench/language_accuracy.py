"""Language accuracy of ``archive.extract.article.extract`` on two labelled sets.

1. The 181 real pages of the Zyte article-extraction benchmark, labelled in
   ``bench/data/zyte-languages.json`` (py3langid on the benchmark's clean
   ground-truth text, every non-English label checked by reading it): 9
   languages, 161 English. Pages are extracted as served (their ``<html
   lang>`` counts, as in a crawl; the benchmark has no HTTP headers).
2. Generated bench-site articles (``bench.site``) whose language is known by
   construction (every fifth Russian), with their ``lang`` attribute taken
   out, so only the extracted text decides.

    python -m bench.language_accuracy [--synthetic N] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

from archive.extract.article import NotExtractable, extract
from bench.extraction_quality import BENCHMARK_DIR, load_benchmark
from bench.site import article_html

LABELS = Path(__file__).resolve().parent / "data" / "zyte-languages.json"


def zyte(directory: Path = BENCHMARK_DIR) -> dict:
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["labels"]
    right, wrong = 0, []
    for page_id, url, _truth, html_path in load_benchmark(directory):
        try:
            found = extract(gzip.decompress(html_path.read_bytes()), url).language
        except NotExtractable:
            found = None
        if found == labels[page_id]:
            right += 1
        else:
            wrong.append({"id": page_id[:12], "label": labels[page_id], "found": found, "url": url})
    return {
        "set": "Zyte benchmark, 181 real pages, 9 languages (labels: bench/data/zyte-languages.json)",
        "pages": len(labels),
        "languages": dict(Counter(labels.values()).most_common()),
        "accuracy": round(right / len(labels), 4),
        "wrong": wrong,
    }


def synthetic(pages: int) -> dict:
    right, wrong = 0, []
    for number in range(pages):
        body = article_html(number, pages).replace(b" lang='ru'", b"").replace(b" lang='en'", b"")
        expected = "ru" if number % 5 == 0 else "en"
        found = extract(body, f"http://127.0.0.1/articles/{number}.html").language
        if found == expected:
            right += 1
        else:
            wrong.append({"page": number, "label": expected, "found": found})
    return {
        "set": f"bench site, {pages} generated articles (20% ru), lang attribute removed",
        "pages": pages,
        "accuracy": round(right / pages, 4),
        "wrong": wrong[:20],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=500, help="generated articles to check")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = {"zyte": zyte(), "synthetic": synthetic(args.synthetic)}
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    for result in results.values():
        print(f"{result['set']}: accuracy {result['accuracy']:.3f} over {result['pages']} pages")
        for miss in result["wrong"]:
            print(f"  wrong: {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
