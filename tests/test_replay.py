"""`mediarchive replay`: pywb, in its own environment, serves every archived
article with status 200 and its headline; revisits replay as the original;
no bind beyond loopback without asking."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from crawler.demo import ARTICLES, demo_site, demo_sources_yaml
from tests.commands import REALDATA, copy_of
from tests.indexdb import query
from tests.servers import cli_server


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The demo site crawled twice (the second time every article is a revisit)."""
    root = tmp_path_factory.mktemp("replay")
    with demo_site() as base:
        config = root / "sources.yaml"
        config.write_text(demo_sources_yaml(base))
        for extra in ([], ["--recheck", "all"]):
            run = cli("crawl", "--config", str(config), "--data", str(root / "data"), *extra)
            assert run.returncode == 0, run.stdout + run.stderr
    return root / "data"


@pytest.fixture(scope="module")
def replay(archive):
    with cli_server("replay", archive) as base:
        yield base


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, response.read().decode("utf-8", "replace")


def stamp(captured_at: str) -> str:
    return re.sub(r"\D", "", captured_at)[:14]


def test_every_article_replays_with_its_headline(archive, replay):
    articles = query(archive, "SELECT url, captured_at FROM captures WHERE url LIKE '%/articles/%' AND record_type = 'response'")
    assert len(articles) == len(ARTICLES)
    for capture in articles:
        title = ARTICLES[capture["url"].rsplit("/", 1)[1].removesuffix(".html")][1]
        for mode in ("id_", "mp_"):
            status, body = fetch(f"{replay}{stamp(capture['captured_at'])}{mode}/{capture['url']}")
            assert status == 200 and f"<h1>{title}</h1>" in body, (mode, capture["url"])


def test_revisits_replay_as_the_original(archive, replay):
    revisits = query(archive, "SELECT url, captured_at FROM captures WHERE url LIKE '%/articles/%' AND record_type = 'revisit'")
    assert len(revisits) == len(ARTICLES)
    for capture in revisits:
        title = ARTICLES[capture["url"].rsplit("/", 1)[1].removesuffix(".html")][1]
        status, body = fetch(f"{replay}{stamp(capture['captured_at'])}id_/{capture['url']}")
        assert status == 200 and f"<h1>{title}</h1>" in body


def test_capture_index_and_show_give_replay_addresses(archive, replay):
    url = query(archive, "SELECT url FROM pages LIMIT 1")[0]["url"]
    status, body = fetch(f"{replay}cdx?url={url}&output=json")
    assert status == 200 and len(body.strip().splitlines()) == 2  # both captures of the page
    shown = json.loads(cli("show", url, "--json", "--data", str(archive)).stdout)
    assert all(c["replay_url"].startswith("http://127.0.0.1:8080/archive/") and c["replay_url"].endswith(url) for c in shown["captures"])


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1"])
def test_replay_refuses_a_non_loopback_bind_without_the_flag(archive, host):
    run = cli("replay", "--host", host, "--data", str(archive), timeout=60)
    assert run.returncode == 2
    assert "--allow-remote" in run.stderr and run.stderr.count("\n") == 1


def test_a_reindex_of_unchanged_files_keeps_the_replay_index_which_holds_a_fresh_ones_lines(archive, tmp_path):
    """The replay index names the files it was made of: `reindex` of an
    archive whose files are as they were keeps it (no record is read again
    for it); a merge of an imported file keeps the listing true; and what is
    kept is, line for line, the index made afresh from the files."""
    data = copy_of(archive, tmp_path)
    replay_index = data / "replay" / "index.cdxj"
    made = replay_index.stat()
    run = cli("reindex", "--data", str(data))
    assert run.returncode == 0, run.stdout + run.stderr
    kept = replay_index.stat()
    assert (kept.st_ino, kept.st_mtime_ns) == (made.st_ino, made.st_mtime_ns)

    imported = REALDATA / "warc" / "warcio" / "example.warc.gz"
    run = cli("import", str(imported), "--data", str(data))
    assert run.returncode == 0, run.stdout + run.stderr
    merged = replay_index.read_text(encoding="utf-8")
    assert "example.com" in merged and merged != archive.joinpath("replay", "index.cdxj").read_text(encoding="utf-8")
    merged_stat = replay_index.stat()
    run = cli("reindex", "--data", str(data))
    assert run.returncode == 0, run.stdout + run.stderr
    assert replay_index.stat().st_mtime_ns == merged_stat.st_mtime_ns

    shutil.rmtree(data / "replay")  # made afresh from every file
    run = cli("reindex", "--data", str(data))
    assert run.returncode == 0, run.stdout + run.stderr
    assert replay_index.read_text(encoding="utf-8") == merged
