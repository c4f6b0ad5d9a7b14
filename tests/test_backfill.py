"""Discovery modes: a routine run reads only the first listing pages; a
backfill walks the numbered archive pages until they hold nothing new."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from crawler.spiders.source import BACKFILL_PATIENCE
from tests.localsite import LocalSite

PER_PAGE = 5


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("backfill")
    with LocalSite(extras=False, per_page=PER_PAGE) as site:
        config = root / "sources.yaml"
        config.write_text(
            "sources:\n  - name: local\n"
            f"    start_urls: ['{site.base_url}/news/']\n    delay: 0\n    concurrency: 8\n    routine_pages: 1\n    requisites: false\n"
            "    article_pattern: ['/articles/[0-9a-f]{64}\\.html$']\n    follow_pattern: ['://[^/]+/news/(\\?page=\\d+)?$']\n"
            f"    backfill:\n      urls: ['{site.base_url}/news/?page={{page}}']\n"
        )
        data = root / "data"
        outcomes = []
        for extra in ([], ["--backfill"], ["--backfill"], []):
            site.clear_requests()
            run = subprocess.run(
                [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(data), *extra],
                capture_output=True, text=True, timeout=600, check=False,
            )
            outcomes.append((run, site.requested_paths()))
        yield site, data, outcomes


def article_responses(data) -> int:
    db = sqlite3.connect(data / "index.sqlite")
    try:
        return db.execute("SELECT count(*) FROM captures WHERE url LIKE '%/articles/%' AND record_type = 'response'").fetchone()[0]
    finally:
        db.close()


def test_routine_run_reads_only_the_first_listing_pages(runs):
    site, _, outcomes = runs
    run, paths = outcomes[0]
    assert run.returncode == 0, run.stdout + run.stderr
    listings = [p for p in paths if p.startswith("/news/")]
    assert 1 < len(listings) <= 3  # the start page and the pages it links, not the whole pagination
    articles = [p for p in paths if p.startswith("/articles/")]
    assert 0 < len(articles) < len(site.article_ids)


def test_backfill_walks_the_pagination_to_the_end(runs):
    site, data, outcomes = runs
    run, paths = outcomes[1]
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"/news/?page={site.page_count}" in paths
    assert article_responses(data) == len(site.article_ids)  # every article once


def test_a_second_backfill_stops_when_pages_hold_nothing_new(runs):
    site, data, outcomes = runs
    run, paths = outcomes[2]
    assert run.returncode == 0, run.stdout + run.stderr
    numbered = [p for p in paths if p.startswith("/news/?page=")]
    assert len(numbered) <= BACKFILL_PATIENCE + 2 < site.page_count
    assert not [p for p in paths if p.startswith("/articles/")]  # nothing fetched twice
    assert article_responses(data) == len(site.article_ids)


def test_a_routine_run_over_nothing_new_fetches_no_article_twice(runs):
    site, data, outcomes = runs
    run, paths = outcomes[3]
    assert run.returncode == 0, run.stdout + run.stderr
    assert "/news/" in paths  # the first listing page was read
    assert not [p for p in paths if p.startswith("/articles/")]
    assert article_responses(data) == len(site.article_ids)
