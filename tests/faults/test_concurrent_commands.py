"""Commands run side by side on one data directory: the writers (crawl,
import, reindex) take DATA/.lock, the readers (search, show) never write
DATA/index.sqlite, even when its recorded versions are not the program's.

Command-line level only: every command is a subprocess."""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.localsite import LocalSite
from tests.indexdb import rows
from tests.commands import assert_no_traceback, cli, copy_of, run, write_config

ALREADY_RUNNING = 3
REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
SMALL_WARC = REALDATA / "warc" / "warcio" / "example.warc.gz"


def crawl_command(config: Path, data: Path) -> list[str]:
    return cli("crawl", "--config", config, "--data", data, "--log-level", "INFO")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_is_held(data: Path) -> bool:
    path = data / ".lock"
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def execute(data: Path, sql: str) -> None:
    db = sqlite3.connect(data / "index.sqlite")
    try:
        db.execute(sql)
        db.commit()
    finally:
        db.close()


def assert_index_unchanged(data: Path, before: str) -> None:
    assert digest(data / "index.sqlite") == before
    wal = data / "index.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0, wal.stat().st_size


@pytest.fixture(scope="module")
def site():
    with LocalSite(extras=False) as running:
        yield running


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory) -> Path:
    """A data directory holding a crawl of the LocalSite (copy it to change it)."""
    root = tmp_path_factory.mktemp("crawled")
    config = write_config(site, root / "sources.yaml", 0)
    data = root / "data"
    result = subprocess.run(crawl_command(config, data), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert rows(data, "SELECT count(*) FROM pages")[0][0] >= 150
    return data


# -- item 3: reindex takes the lock ----------------------------------------


def test_reindex_and_import_refuse_a_locked_data_directory(crawled, tmp_path):
    data = copy_of(crawled, tmp_path)
    before = digest(data / "index.sqlite")
    fd = os.open(data / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        for command in (("reindex", "--data", data), ("import", SMALL_WARC, "--data", data)):
            result = run(*command, timeout=120)
            assert_no_traceback(result.stdout + result.stderr)
            assert result.returncode == ALREADY_RUNNING, (command[0], result.returncode, result.stderr[-2000:])
            assert "another run is in progress" in result.stderr
            assert digest(data / "index.sqlite") == before, command[0]
    finally:
        os.close(fd)
    assert not (data / "warcs" / "imported").exists()


def test_two_reindex_at_once(crawled, tmp_path):
    data = copy_of(crawled, tmp_path)
    runs = [
        subprocess.Popen(cli("reindex", "--data", data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = []
    try:
        for process in runs:
            stdout, stderr = process.communicate(timeout=300)
            outputs.append(stdout + stderr)
    finally:
        for process in runs:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    for output in outputs:  # today: both do all the work, then "attempt to write a readonly database"
        assert_no_traceback(output)
    assert sorted(p.returncode for p in runs) == [0, ALREADY_RUNNING], outputs
    loser = outputs[[p.returncode for p in runs].index(ALREADY_RUNNING)]
    assert "another run is in progress" in loser
    assert rows(data, "SELECT count(*) FROM pages") == rows(crawled, "SELECT count(*) FROM pages")


def test_reindex_during_a_crawl_waits_its_turn(site, tmp_path):
    config = write_config(site, tmp_path / "sources.yaml", 0.03)  # ~181 articles: several seconds
    data = tmp_path / "data"
    crawl = subprocess.Popen(crawl_command(config, data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not lock_is_held(data) and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert lock_is_held(data), "the crawl never held DATA/.lock"
        time.sleep(1.0)  # the crawl is writing its first WARC file
        assert crawl.poll() is None
        reindex = run("reindex", "--data", data, timeout=300)
        assert_no_traceback(reindex.stdout + reindex.stderr)
        assert reindex.returncode == ALREADY_RUNNING, reindex.stdout[-1000:] + reindex.stderr[-1000:]  # today: 0
        assert "another run is in progress" in reindex.stderr
        _, crawl_err = crawl.communicate(timeout=300)
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait(timeout=30)
        crawl.stderr.close()
    assert crawl.returncode == 0, crawl_err[-3000:]
    on_disk = {p.relative_to(data / "warcs").as_posix() for p in (data / "warcs").rglob("*.warc.gz")}
    assert on_disk
    indexed = {name for (name,) in rows(data, "SELECT name FROM warc_files")}
    assert on_disk <= indexed  # today the crawl's file is missing from the index the reindex swapped in


# -- item 4: readers never rewrite the index --------------------------------


def reader_commands(data: Path) -> list[tuple]:
    [(url,)] = rows(data, "SELECT url FROM pages WHERE url LIKE '%/articles/%' ORDER BY url LIMIT 1")
    return [("search", "the", "--data", data), ("search", "the", "--json", "--data", data), ("show", url, "--data", data)]


def test_readers_leave_an_index_of_an_older_normaliser_alone(crawled, tmp_path):
    data = copy_of(crawled, tmp_path)
    execute(data, "UPDATE search_meta SET value = 'old' WHERE key = 'normaliser'")
    assert rows(data, "SELECT value FROM search_meta WHERE key = 'normaliser'") == [("old",)]
    before = digest(data / "index.sqlite")
    for command in reader_commands(data):
        result = run(*command, timeout=120)
        assert_no_traceback(result.stdout + result.stderr)
        assert result.returncode == 0, (command[0], result.stderr[-2000:])
        assert_index_unchanged(data, before)  # today: search rebuilds pages_search
    assert rows(data, "SELECT value FROM search_meta WHERE key = 'normaliser'") == [("old",)]


def test_readers_leave_an_index_of_an_older_schema_version_alone(crawled, tmp_path):
    data = copy_of(crawled, tmp_path)
    [(version,)] = rows(data, "PRAGMA user_version")
    assert version >= 1
    execute(data, f"PRAGMA user_version = {version - 1}")
    before = digest(data / "index.sqlite")
    for command in reader_commands(data):
        result = run(*command, timeout=120)
        assert_no_traceback(result.stdout + result.stderr)
        assert result.returncode in (0, 1), (command[0], result.stderr[-2000:])  # served, or refused in one line
        assert_index_unchanged(data, before)  # today: the reader writes PRAGMA user_version
    assert rows(data, "PRAGMA user_version") == [(version - 1,)]
