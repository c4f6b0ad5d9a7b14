"""`mediarchive crawl --no-index`: a capture-only run writes WARC files and
indexes nothing; the next run without it indexes those files first.

The crawls run as subprocesses (Twisted's reactor cannot restart in one
process) against the local site of the Zyte benchmark's pages, capped at a
few pages to keep the test short.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.paths import DataDir
from crawler.cli import main
from tests.localsite import LocalSite

CRAWL_TIMEOUT = 300


def crawl(config: Path, data: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(data),
         "--log-level", "WARNING", *extra],
        capture_output=True, text=True, timeout=CRAWL_TIMEOUT, check=False,
    )


def count(db_path: Path, table: str) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def reports(data: DataDir) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((data.root / "runs").glob("*.json"))]


@pytest.fixture(scope="module")
def capture_then_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("capture-only")
    data = DataDir(root / "data")
    with LocalSite() as site:
        config = root / "sources.yaml"
        config.write_text(
            "defaults: {delay: 0, concurrency: 8, requisites: false, user_agent: 'mediarchive-test (+http://127.0.0.1/)'}\n"
            "sources:\n  - name: local\n"
            f"    start_urls: ['{site.base_url}/news/']\n"
            "    allowed_domains: ['127.0.0.1']\n"
            "    article_pattern: ['/articles/[0-9a-f]{64}\\.html$']\n"
            "    follow_pattern: ['://[^/]+/news/$']\n"
            "    max_pages: 12\n"
        )
        first = crawl(config, data.root, "--no-index")
        after_first = {
            "warcs": sorted(p.name for p in data.warcs.rglob("*.warc.gz")),
            "captures": count(data.index_path, "captures"),
            "pages": count(data.index_path, "pages"),
            "replay_index": any((data.root).rglob("*.cdxj")),
        }
        second = crawl(config, data.root, "--recheck", "none")
    return first, after_first, second, data


def test_capture_only_writes_warcs_and_indexes_nothing(capture_then_index):
    first, after_first, _, _ = capture_then_index
    assert first.returncode == 0, first.stdout + first.stderr
    assert after_first["warcs"], "no WARC file written"
    assert after_first["captures"] == 0
    assert after_first["pages"] == 0
    assert not after_first["replay_index"]


def test_next_run_indexes_what_the_capture_only_run_left_first(capture_then_index):
    first, after_first, second, data = capture_then_index
    assert second.returncode == 0, second.stdout + second.stderr
    first_report, second_report = reports(data)
    assert first_report["indexed_before"]["files"] == first_report["indexed"]["files"] == 0
    assert second_report["indexed_before"]["files"] == len(after_first["warcs"])
    assert second_report["indexed_before"]["captures"] >= first_report["sources"][0]["captured"]
    assert second_report["indexed_before"]["pages"] > 0
    assert count(data.index_path, "pages") >= second_report["indexed_before"]["pages"]


def test_no_index_with_from_warc_is_a_usage_error(tmp_path):
    warc = tmp_path / "x.warc.gz"
    warc.write_bytes(b"")
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n  - name: a\n    start_urls: ['http://127.0.0.1/']\n")
    result = CliRunner().invoke(
        main, ["crawl", "--config", str(config), "--data", str(tmp_path / "d"), "--no-index", "--from-warc", str(warc)]
    )
    assert result.exit_code == 2
    assert "--no-index" in result.output


def test_help_names_the_option():
    result = CliRunner().invoke(main, ["crawl", "--help"])
    assert "--no-index" in result.output
    assert "Capture only" in result.output
