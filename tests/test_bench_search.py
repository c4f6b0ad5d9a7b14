"""The search benchmark still runs (on a small corpus; its figures are not
judged here: timings belong to bench/, not to tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_search_benchmark_builds_an_index_and_times_every_query_type():
    run = subprocess.run(
        [sys.executable, "-m", "bench.search_index", "--pages", "1000", "--runs", "3", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    assert result["build"]["pages"] == 1000 and result["build"]["bytes_per_page"] > 0
    kinds = {q["query"] for q in result["queries"]}
    for kind in ("rare word", "word in 80% of pages", "two words", "phrase", "prefix"):
        assert {kind, kind + " + source + dates"} <= kinds
    assert {q["order"] for q in result["queries"]} == {"relevance", "newest"}
    common = next(q for q in result["queries"] if q["query"] == "word in 80% of pages")
    assert common["matches_median"] >= 600  # "the": in about 80% of the 1,000 pages
    phrase = next(q for q in result["queries"] if q["query"] == "phrase")
    assert 0 < phrase["matches_median"] < 100  # the planted phrase, in 1% of the pages of its language
