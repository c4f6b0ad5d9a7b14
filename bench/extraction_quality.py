#!/usr/bin/env python3
"""Score ``archive.extract.article.extract`` against plain trafilatura, on the Zyte benchmark and the fundus pages.

``python bench/extraction_quality.py`` prints one table: ours and plain
trafilatura's (``bare_extraction``, metadata on, comments off, the page's
bytes as fetched), field by field, on the two labelled sets, with the
fundus figures per language group (:mod:`bench.fundus` says how each field
is scored), and the CPU each takes a page. ``--worst N`` lists, per field,
the pages ours gets wrong, with both answers. ``--zyte-only`` prints the
Zyte report alone, as below.

Data: ``../shared/realdata/extraction/zyte-article-benchmark/`` next to the
project (181 gzipped pages and ``ground-truth.json``). The metric is a
re-implementation of the benchmark's ``evaluate.py``
(scrapinghub/article-extraction-benchmark):

* text is tokenised as the ``\\w+`` runs (Unicode, case kept);
* each text becomes a multiset of 4-token shingles (a text of 1-3 tokens is
  one shorter shingle, an empty text has none);
* per page, TP/FP/FN are the multiset overlaps, then divided by their sum
  so that every page weighs the same;
* precision is averaged over the pages with TP+FP > 0 (an empty prediction
  is left out of precision), recall over pages with TP+FN > 0 (an empty
  prediction scores 0 there); both are 1 when FP = FN = 0;
* F1 is the harmonic mean of the *averaged* precision and recall (not an
  average of per-page F1s);
* accuracy is the share of pages whose token list equals the truth's exactly;
* ``±`` is the standard deviation over bootstrap resamples of the pages
  (1000 by default, as the benchmark does; seeded here for repeatability).

Run: ``python bench/extraction_quality.py [--worst N] [--json]``, or
``--zyte-only [--limit N] [--n-bootstrap N]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from archive.extract.article import EXTRACTOR, NotExtractable, extract  # noqa: E402

BENCHMARK_DIR: Final = PROJECT_ROOT / ".." / "shared" / "realdata" / "extraction" / "zyte-article-benchmark"
#: trafilatura 2.0.0 in the benchmark's published results table (its README).
PUBLISHED_TRAFILATURA: Final[dict[str, float | str]] = {
    "version": "2.0.0",
    "f1": 0.958,
    "precision": 0.938,
    "recall": 0.978,
    "accuracy": 0.293,
}
#: How far below the published F1 our wrapper may fall before something is wrong.
F1_TOLERANCE: Final = 0.01
SHINGLE_TOKENS: Final = 4
METRICS: Final = ("f1", "precision", "recall", "accuracy")

_TOKEN_RE: Final = re.compile(r"\w+")


@dataclass(frozen=True)
class PageScore:
    """Normalised shingle overlap of one page, and whether its tokens match exactly."""

    tp: float
    fp: float
    fn: float
    exact: bool


def tokenize(text: str | None) -> list[str]:
    """Split text into ``\\w+`` tokens, as the benchmark does."""
    return _TOKEN_RE.findall(text or "")


def shingles(tokens: Sequence[str], size: int = SHINGLE_TOKENS) -> Counter[tuple[str, ...]]:
    """Count the ``size``-token shingles of ``tokens`` (one shorter shingle if fewer tokens)."""
    count = max(1, len(tokens) - size + 1)
    return Counter(shingle for i in range(count) if (shingle := tuple(tokens[i : i + size])))


def score_page(truth: str | None, prediction: str | None) -> PageScore:
    """Score one prediction against the ground truth."""
    true_tokens, pred_tokens = tokenize(truth), tokenize(prediction)
    true_shingles, pred_shingles = shingles(true_tokens), shingles(pred_tokens)
    tp = float(sum((true_shingles & pred_shingles).values()))
    fp = float(sum((pred_shingles - true_shingles).values()))
    fn = float(sum((true_shingles - pred_shingles).values()))
    total = tp + fp + fn
    if total > 0:
        tp, fp, fn = tp / total, fp / total, fn / total
    return PageScore(tp, fp, fn, exact=true_tokens == pred_tokens)


def _precision(page: PageScore) -> float:
    if page.fp == page.fn == 0:
        return 1.0
    return page.tp / (page.tp + page.fp)


def _recall(page: PageScore) -> float:
    if page.fp == page.fn == 0:
        return 1.0
    return page.tp / (page.tp + page.fn)


def aggregate(pages: Sequence[PageScore]) -> dict[str, float]:
    """Average precision, recall and accuracy over pages; F1 from the averages."""
    precision = statistics.mean(_precision(p) for p in pages if p.tp + p.fp > 0)
    recall = statistics.mean(_recall(p) for p in pages if p.tp + p.fn > 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = statistics.mean(float(p.exact) for p in pages)
    return {"f1": f1, "precision": precision, "recall": recall, "accuracy": accuracy}


def bootstrap_std(pages: Sequence[PageScore], resamples: int, seed: int = 0) -> dict[str, float]:
    """Standard deviation of each metric over bootstrap resamples of the pages."""
    if resamples < 2:
        return {name: 0.0 for name in METRICS}
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {name: [] for name in METRICS}
    for _ in range(resamples):
        resample = rng.choices(pages, k=len(pages))
        try:
            metrics = aggregate(resample)
        except statistics.StatisticsError:  # a resample made only of empty predictions
            continue
        for name, value in metrics.items():
            samples[name].append(value)
    return {name: statistics.stdev(values) if len(values) > 1 else 0.0 for name, values in samples.items()}


def load_benchmark(directory: Path) -> list[tuple[str, str, str, Path]]:
    """Return ``(id, url, articleBody, html_path)`` per page, sorted by id."""
    truth_path = directory / "ground-truth.json"
    if not truth_path.is_file():
        raise FileNotFoundError(f"benchmark data not found: {truth_path.resolve()}")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return [
        (page_id, entry.get("url") or "", entry.get("articleBody") or "", directory / "html" / f"{page_id}.html.gz")
        for page_id, entry in sorted(truth.items())
    ]


@dataclass(frozen=True)
class Report:
    """Scores of one run, with the published trafilatura figures to compare against."""

    extractor: str
    pages: int
    complete: bool  # all pages of the benchmark (the published figures are over all of them)
    metrics: dict[str, float]
    std: dict[str, float]
    seconds_total: float
    not_extractable: dict[str, str]
    published_trafilatura: dict[str, float | str] = field(default_factory=lambda: dict(PUBLISHED_TRAFILATURA))

    @property
    def seconds_per_page(self) -> float:
        return self.seconds_total / self.pages if self.pages else 0.0

    @property
    def f1_difference(self) -> float:
        return self.metrics["f1"] - PUBLISHED_TRAFILATURA["f1"]

    @property
    def f1_within_tolerance(self) -> bool | None:
        """Whether F1 is at most :data:`F1_TOLERANCE` below the published one; None on a subset."""
        return self.f1_difference >= -F1_TOLERANCE if self.complete else None

    def to_dict(self) -> dict[str, object]:
        """Return the report, derived figures included, as JSON-serialisable data."""
        return {
            **asdict(self),
            "seconds_per_page": self.seconds_per_page,
            "f1_difference": self.f1_difference,
            "f1_tolerance": F1_TOLERANCE,
            "f1_within_tolerance": self.f1_within_tolerance,
        }


def run(directory: Path, limit: int | None, resamples: int) -> Report:
    """Extract every page with ``archive.extract.article.extract``, score it, and report."""
    benchmark = load_benchmark(directory)
    selected = benchmark[:limit] if limit is not None else benchmark
    # Warm up: the first call loads py3langid's model (~0.6 s), a once-per-process cost.
    extract(b"<html><body><p>warm-up text</p></body></html>", "https://example.com/")
    pages: list[PageScore] = []
    not_extractable: dict[str, str] = {}
    extraction_seconds = 0.0
    for page_id, url, truth, html_path in selected:
        body = gzip.decompress(html_path.read_bytes())
        started = time.perf_counter()
        try:
            text = extract(body, url).text
        except NotExtractable as error:  # scored as an empty prediction, as the benchmark does
            text = ""
            not_extractable[page_id] = error.reason
        extraction_seconds += time.perf_counter() - started
        pages.append(score_page(truth, text))
    return Report(
        extractor=EXTRACTOR,
        pages=len(pages),
        complete=len(pages) == len(benchmark),
        metrics=aggregate(pages),
        std=bootstrap_std(pages, resamples),
        seconds_total=extraction_seconds,
        not_extractable=not_extractable,
    )


def print_report(report: Report) -> None:
    """Print the report as a small table, in the benchmark's layout."""
    published = report.published_trafilatura
    print(f"Zyte article-extraction benchmark, {report.pages} pages, {report.extractor} via archive.extract.article")
    print(f"{'metric':<10} {'ours':<14} {'trafilatura ' + str(published['version']):<18} {'difference':>10}")
    for name in METRICS:
        ours, theirs = report.metrics[name], float(published[name])
        print(f"{name:<10} {ours:.3f} ± {report.std[name]:.3f}  {theirs:<18.3f} {ours - theirs:>+10.3f}")
    verdict = {True: "OK", False: "BELOW TOLERANCE", None: "not comparable (a subset of the pages)"}[
        report.f1_within_tolerance
    ]
    print(f"F1 vs published: {report.f1_difference:+.3f} (tolerance -{F1_TOLERANCE}): {verdict}")
    print(f"time per page: {report.seconds_per_page * 1000:.1f} ms (total {report.seconds_total:.1f} s)")
    if report.not_extractable:
        print(f"not extractable: {report.not_extractable}")


# -- side by side with plain trafilatura --------------------------------------


def ours(body: bytes, url: str) -> tuple[object, float]:
    """Our extraction of a page (None if not extractable) and its CPU seconds."""
    started = time.process_time()
    try:
        result = extract(body, url)
    except NotExtractable:
        result = None
    return result, time.process_time() - started


def plain_trafilatura(body: bytes, url: str) -> tuple[object, float]:
    """Plain trafilatura's extraction of a page and its CPU seconds."""
    import trafilatura

    started = time.process_time()
    try:
        document = trafilatura.bare_extraction(body, url=url, with_metadata=True, include_comments=False)
    except Exception:  # noqa: BLE001 - plain trafilatura as a user calls it: whatever it raises is a miss
        document = None
    return document, time.process_time() - started


def _prediction(result: object):
    from bench.fundus import Prediction

    if result is None:
        return Prediction(None, (), None, "")
    authors = tuple(getattr(result, "authors", None) or ())
    author = getattr(result, "author", None)
    if not authors and author:
        authors = (author,)
    published = getattr(result, "published", None) or getattr(result, "date", None)
    return Prediction(getattr(result, "title", None), authors, published, getattr(result, "text", None) or "")


@dataclass
class Side:
    """One extractor's answers and CPU on both sets."""

    zyte: list[PageScore] = field(default_factory=list)
    fundus: list = field(default_factory=list)  # bench.fundus.PageScore
    predictions: list = field(default_factory=list)  # bench.fundus.Prediction, per fundus page
    cpu: float = 0.0
    pages: int = 0


def compare(limit: int | None = None) -> dict[str, object]:
    """Both extractors on every page of both sets; the figures of the table."""
    from bench import fundus

    zyte_pages = load_benchmark(BENCHMARK_DIR)[:limit]
    fundus_pages = fundus.load()[:limit]
    sides = {"ours": (ours, Side()), "trafilatura": (plain_trafilatura, Side())}
    for extractor, _ in sides.values():  # models and caches load once per process, not in the figures
        extractor(b"<html><body><p>warm-up text</p></body></html>", "https://example.com/")
    for _, url, truth, path in zyte_pages:
        body = gzip.decompress(path.read_bytes())
        for extractor, side in sides.values():
            result, cpu = extractor(body, url)
            side.zyte.append(score_page(truth, getattr(result, "text", None) or ""))
            side.cpu, side.pages = side.cpu + cpu, side.pages + 1
    for page in fundus_pages:
        body = page.html()
        for extractor, side in sides.values():
            result, cpu = extractor(body, page.url)
            prediction = _prediction(result)
            side.predictions.append(prediction)
            side.fundus.append(fundus.score(page, prediction))
            side.cpu, side.pages = side.cpu + cpu, side.pages + 1
    figures: dict[str, object] = {
        "zyte_pages": len(zyte_pages),
        "fundus_groups": fundus.group_sizes(fundus_pages),
        "pages": fundus_pages,
    }
    for name, (_, side) in sides.items():
        figures[name] = {
            "zyte": aggregate(side.zyte)["f1"],
            "fundus": fundus.by_group(fundus_pages, side.fundus),
            "cpu_ms": 1000 * side.cpu / side.pages,
            "scores": side.fundus,
            "predictions": side.predictions,
        }
    figures["cpu_ratio"] = figures["ours"]["cpu_ms"] / figures["trafilatura"]["cpu_ms"]
    return figures


GOALS: Final = {"zyte": 0.975, "title": 0.90, "authors": 0.92, "date": 0.99, "body": 0.97}


def print_table(figures: dict[str, object]) -> None:
    from bench.fundus import FIELDS

    ours_, theirs = figures["ours"], figures["trafilatura"]
    groups = figures["fundus_groups"]
    print(f"{'set':<10} {'field':<8} {'pages':>5} {'ours':>7} {'trafilatura':>11} {'goal':>6}  "
          + "  ".join(f"{g} ({n}) ours/traf" for g, n in groups.items() if g != "all"))
    goal = GOALS["zyte"]
    print(f"{'Zyte':<10} {'body F1':<8} {figures['zyte_pages']:>5} {ours_['zyte']:>7.3f} {theirs['zyte']:>11.3f} "
          f"{goal:>6.3f}  {'met' if ours_['zyte'] >= goal else 'not met'}")
    for name in FIELDS:
        row_ours, row_theirs = ours_["fundus"]["all"][name], theirs["fundus"]["all"][name]
        cells = []
        for group in groups:
            if group == "all":
                continue
            a, b = ours_["fundus"][group][name], theirs["fundus"][group][name]
            cells.append("      -" if a is None else f"{a:.3f}/{b:.3f}")
        verdict = "met" if row_ours >= GOALS[name] else "not met"
        print(f"{'fundus':<10} {name:<8} {groups['all']:>5} {row_ours:>7.3f} {row_theirs:>11.3f} {GOALS[name]:>6.3f}  "
              + "  ".join(f"{c:>{len(g) + len(str(groups[g])) + 13}}" for c, g in zip(cells, [g for g in groups if g != "all"]))
              + f"  {verdict}")
    print(f"extraction CPU a page (both sets): ours {ours_['cpu_ms']:.1f} ms, trafilatura {theirs['cpu_ms']:.1f} ms"
          f" = {figures['cpu_ratio']:.2f}x (limit 1.30x)")


def print_worst(figures: dict[str, object], count: int) -> None:
    """Per field, the fundus pages ours gets wrong: expected, ours, trafilatura's."""
    pages = figures["pages"]
    ours_, theirs = figures["ours"], figures["trafilatura"]
    shown = {
        "title": lambda page, p: (page.title, p.title),
        "authors": lambda page, p: (list(page.authors), list(p.authors)),
        "date": lambda page, p: (page.date, p.published),
    }
    for name, values in shown.items():
        wrong = [i for i, s in enumerate(ours_["scores"]) if getattr(s, name) == 0.0]
        print(f"\n{name}: ours wrong on {len(wrong)} pages (trafilatura right on "
              f"{sum(1 for i in wrong if getattr(theirs['scores'][i], name) == 1.0)} of them)")
        for i in wrong[:count]:
            expected, got = values(pages[i], ours_["predictions"][i])
            print(f"  {pages[i].id}: expected {expected!r}; ours {got!r}; trafilatura {values(pages[i], theirs['predictions'][i])[1]!r}")
    losses = sorted(
        range(len(pages)),
        key=lambda i: ours_["scores"][i].body_precision + ours_["scores"][i].body_recall,
    )
    print("\nbody: the pages ours scores lowest (precision, recall; trafilatura's)")
    for i in losses[:count]:
        a, b = ours_["scores"][i], theirs["scores"][i]
        print(f"  {pages[i].id}: {a.body_precision:.2f} {a.body_recall:.2f}; {b.body_precision:.2f} {b.body_recall:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; with ``--zyte-only``, exit status 1 if F1 is below the tolerance."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zyte-only", action="store_true", help="the Zyte report alone, against the published figures")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages (by id) of each set")
    parser.add_argument("--worst", type=int, default=0, help="list up to N pages ours gets wrong, per field")
    parser.add_argument("--json", action="store_true", help="print a machine-readable JSON report")
    parser.add_argument("--n-bootstrap", type=int, default=1000, help="bootstrap resamples for ± (0 to skip)")
    parser.add_argument("--data", type=Path, default=BENCHMARK_DIR, help="Zyte benchmark folder")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if not args.zyte_only:
        figures = compare(args.limit)
        if args.json:
            keep = ("zyte", "fundus", "cpu_ms")
            print(json.dumps({
                "zyte_pages": figures["zyte_pages"], "fundus_groups": figures["fundus_groups"],
                "cpu_ratio": figures["cpu_ratio"],
                **{name: {k: figures[name][k] for k in keep} for name in ("ours", "trafilatura")},
            }, indent=2))
        else:
            print_table(figures)
            if args.worst:
                print_worst(figures, args.worst)
        return 0

    report = run(args.data, args.limit, args.n_bootstrap)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        print_report(report)
    return 1 if report.f1_within_tolerance is False else 0


if __name__ == "__main__":
    sys.exit(main())
