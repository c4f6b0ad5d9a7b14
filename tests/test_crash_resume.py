"""Cron safety: one run per data directory, and a run killed with SIGKILL at
any moment leaves valid WARCs that the next run mends, indexes and completes
without fetching again what it stored."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio_main

from archive.index.lock import AlreadyRunning, DataLock
from tests.localsite import LocalSite
from tests.commands import write_config
from tests.processes import cmdline, descendants, gone_within, kill_all

ALREADY_RUNNING = 3


def crawl_command(config: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(data), "--log-level", "INFO"]


@pytest.fixture(scope="module")
def site():
    with LocalSite(extras=False) as running:
        yield running


def test_a_second_run_exits_at_once_with_its_own_code(site, tmp_path):
    config = write_config(site, tmp_path / "sources.yaml", 0)
    with DataLock(tmp_path / "data"):
        with pytest.raises(AlreadyRunning):
            DataLock(tmp_path / "data").acquire()
        started = time.monotonic()
        run = subprocess.run(crawl_command(config, tmp_path / "data"), capture_output=True, text=True, timeout=60)
        assert time.monotonic() - started < 20
    assert run.returncode == ALREADY_RUNNING
    assert run.stderr.strip().startswith("error: ") and "another run is in progress" in run.stderr
    assert not (tmp_path / "data" / "warcs").exists()


def test_two_runs_started_together(site, tmp_path):
    config = write_config(site, tmp_path / "sources.yaml", 0.01)
    runs = [subprocess.Popen(crawl_command(config, tmp_path / "data"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = sorted(run.wait(timeout=300) for run in runs)
    for run in runs:
        run.stdout.close()
        run.stderr.close()
    assert outcomes == [0, ALREADY_RUNNING]


def response_counts(warcs: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in sorted(warcs.rglob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.http_headers.get_statuscode() == "200":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    counts[url] = counts.get(url, 0) + 1
    return counts


def wait_for_open_file(warcs: Path, process: subprocess.Popen, stale: set[Path], timeout: float = 60) -> None:
    """Until this run has opened a WARC file of its own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if set(warcs.glob("*.open")) - stale:
            return
        time.sleep(0.02)


@pytest.fixture(scope="module")
def site_with_validators():
    with LocalSite(extras=False, validators=True) as running:
        yield running


def test_a_run_stopped_early_leaves_what_it_found_to_the_next(site_with_validators, tmp_path):
    """The feed and the first listing page answer 304 to the next run (the
    stopped run captured them with their ETags): the articles they list must
    still be fetched, from the stopped run's frontier."""
    site = site_with_validators
    config = write_config(site, tmp_path / "sources.yaml", 0)
    config.write_text(config.read_text() + f"    feeds: ['{site.feed_url}']\n")
    limited = tmp_path / "limited.yaml"
    limited.write_text(config.read_text() + "    max_pages: 12\n")
    data = tmp_path / "data"
    first = subprocess.run(crawl_command(limited, data), capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    fetched_first = response_counts(data / "warcs")
    assert len([url for url in fetched_first if "/articles/" in url]) < len(site.article_ids) / 2
    site.clear_requests()
    second = subprocess.run(crawl_command(config, data), capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    asked = [r for r in site.requests if r.path in ("/feed.xml", "/news/")]
    assert asked and all("if-none-match" in r.headers for r in asked), "the seeds were not asked conditionally"
    counts = response_counts(data / "warcs")
    missing = [aid for aid in site.article_ids if site.article_url(aid) not in counts]
    assert not missing, f"{len(missing)} article(s) never fetched"
    assert all(counts[site.article_url(aid)] == 1 for aid in site.article_ids)
    assert not list((data / "frontier").glob("*")), "a run that ran to its end keeps no frontier"


def check_closed_files(warcs: Path) -> None:
    for path in sorted(warcs.rglob("*.warc.gz")):
        with pytest.raises(SystemExit) as exit_:
            warcio_main(["check", str(path)])
        assert exit_.value.code in (0, None), path


def test_sigkill_at_five_moments_then_a_clean_run_completes_the_set(site, tmp_path):
    config = write_config(site, tmp_path / "sources.yaml", 0.05)
    data = tmp_path / "data"
    rng = random.Random(20261126)
    # three moments while a WARC file is being written, two anywhere (start-up, crawl, indexing)
    moments = [("writing", rng.uniform(0.0, 1.0)) for _ in range(3)] + [("any", rng.uniform(1.0, 8.0)) for _ in range(2)]
    rng.shuffle(moments)
    cut_mid_file = 0
    for number, (phase, moment) in enumerate(moments):
        stale = set((data / "warcs").glob("*.open")) if (data / "warcs").is_dir() else set()
        process = subprocess.Popen(crawl_command(config, data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if phase == "writing":
            wait_for_open_file(data / "warcs", process, stale)
        time.sleep(moment)
        family = descendants(process.pid)
        if number % 2:
            os.kill(process.pid, signal.SIGKILL)  # the main process alone: its children must follow it
        else:
            os.killpg(process.pid, signal.SIGKILL)  # the crawl and its extraction workers
        process.wait(timeout=30)
        leftovers = gone_within(family, 10)
        kill_all(family)
        assert leftovers == [], [cmdline(pid) for pid in leftovers]  # no process of a killed run lives on
        check_closed_files(data / "warcs")  # every closed file is valid at every moment
        cut_mid_file += bool(list((data / "warcs").rglob("*.open")))
    assert cut_mid_file >= 2, moments  # the kills did land while a WARC was being written
    final = subprocess.run(crawl_command(config, data), capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stdout + final.stderr

    warcs = data / "warcs"
    assert not list(warcs.rglob("*.open"))
    check_closed_files(warcs)
    # every article archived, none of them twice in full
    counts = response_counts(warcs)
    for article_id in site.article_ids:
        assert counts.get(site.article_url(article_id)) == 1, article_id
    # the index and the WARCs agree, record for record
    records = set()
    for path in sorted(warcs.rglob("*.warc.gz")):
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh)
            for record in iterator:
                if record.rec_type in ("response", "revisit"):
                    records.add((path.name, iterator.get_record_offset(), record.rec_headers.get_header("WARC-Record-ID")))
    db = sqlite3.connect(data / "index.sqlite")
    try:
        rows = set(db.execute("SELECT warc_file, offset, record_id FROM captures"))
        pages = db.execute("SELECT count(*) FROM pages WHERE url LIKE '%/articles/%'").fetchone()[0]
    finally:
        db.close()
    assert rows == records
    assert pages == len(site.article_ids)
    assert not list((data / "frontier").glob("*")), "the run that completed the set keeps no frontier"
