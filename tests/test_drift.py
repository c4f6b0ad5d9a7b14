"""Rules that say when they stop matching (archive.index.drift): two runs of
the real spider over Moon of Alabama pages, the second with the template
changed, warn about the rules the change broke, and only then."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from archive.index import drift
from archive.warc.write import RollingWarcWriter

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "sources.yaml"
SAMPLE = REPO / "tests" / "samples" / "moonofalabama"
SITE = "https://www.moonofalabama.org"
ARTICLES = 6


def warc(directory: Path, prefix: str, start: datetime, template_changed: bool) -> Path:
    """The front page and six posts (the sample post under six URLs), as captured."""
    post = (SAMPLE / "kazakhstan-riots-requests-and-a-rapid-response.html").read_bytes()
    if template_changed:  # a redesign: the rules' classes are gone
        post = post.replace(b'class="blogbody"', b'class="entry-content"').replace(b'class="posted"', b'class="entry-footer"')
    pages = [(f"{SITE}/", (SAMPLE / "front-page.html").read_bytes())]
    pages += [(f"{SITE}/2022/01/post-{n}.html", post) for n in range(ARTICLES)]
    clock = (start + timedelta(seconds=n) for n in itertools.count())
    ids = (f"<urn:uuid:{prefix}-0000-4000-8000-{n:012d}>" for n in itertools.count(1))
    with RollingWarcWriter(directory, prefix, record_id_factory=lambda: next(ids), clock=lambda: next(clock),
                           hostname="h", pid=1) as writer:
        for url, body in pages:
            writer.write_exchange(
                url=url, method="GET", request_headers=[("User-Agent", "t")], request_body=b"", status=200,
                reason="OK", protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8")],
                body=body,
            )
    (path,) = writer.files_written
    return path


def crawl(data: Path, path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(CONFIG), "--source", "moonofalabama",
         "--from-warc", str(path), "--data", str(data), "--log-level", "WARNING"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    report = json.loads(sorted((data / "runs").glob("*.json"))[-1].read_text())
    return run, report


@pytest.mark.parametrize("changed", [True, False], ids=["template changed", "template unchanged"])
def test_a_changed_template_warns_about_the_rules_it_broke(tmp_path, changed):
    data = tmp_path / "data"
    first, report = crawl(data, warc(tmp_path / "one", "00000001", datetime(2022, 1, 7, tzinfo=timezone.utc), False))
    assert first.returncode == 0, first.stdout + first.stderr
    (source,) = report["sources"]
    assert source["rules"] == {"author": [ARTICLES, ARTICLES], "body": [ARTICLES, ARTICLES], "date": [ARTICLES, ARTICLES]}
    assert source["drift"] == [] and "layout" not in first.stderr
    second, report = crawl(data, warc(tmp_path / "two", "00000002", datetime(2022, 2, 7, tzinfo=timezone.utc), changed))
    assert second.returncode == 0, second.stdout + second.stderr  # a warning, not a failure
    (source,) = report["sources"]
    if not changed:
        assert source["drift"] == [] and "layout may have changed" not in second.stdout + second.stderr
        return
    expected = [
        f"moonofalabama: rule '{rule}' matched 0 of {ARTICLES} articles ({ARTICLES} of {ARTICLES} last run):"
        " the site's layout may have changed"
        for rule in ("author", "body", "date")
    ]
    assert source["drift"] == expected
    assert set(expected) <= set(report["warnings"])
    assert f"warning: {expected[0]}" in second.stderr
    summary = second.stdout.strip().splitlines()[-1]
    assert expected[0] in summary and "(and 2 more)" in summary
    shown = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "sources", "--config", str(CONFIG), "--data", str(data)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    assert "rules matched: author 0/6, body 0/6, date 0/6" in shown and expected[1] in shown


def test_rates_are_compared_only_over_enough_pages():
    before = {"rules": {"title": [48, 50]}, "feed_articles": 20, "listing_articles": 4}
    assert drift.warnings("s", {"rules": {"title": [0, 48]}, "feed_articles": 20}, before) == [
        "s: rule 'title' matched 0 of 48 articles (48 of 50 last run): the site's layout may have changed",
    ]
    assert drift.warnings("s", {"rules": {"title": [30, 48]}, "feed_articles": 20}, before) == []  # not below half
    assert drift.warnings("s", {"rules": {"title": [0, 4]}, "feed_articles": 20}, before) == []  # too few pages
    assert drift.warnings("s", {"rules": {}, "feed_articles": 3, "listing_articles": 0}, before) == [
        "s: the feeds listed 3 articles (20 last run): the site's layout may have changed",  # listings: 4 was too few
    ]
    assert drift.warnings("s", {"rules": {"title": [0, 48]}}, None) == []  # a first run has nothing to compare
