"""`mediarchive demo` works offline and shows a Russian and an English hit;
`mediarchive sources` reports each source's archive."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_demo_shows_a_russian_and_an_english_hit(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo", "--keep", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "[en] Harbour renovation plan approved" in run.stdout
    assert "[ru] Фермеры Алтайского края собрали рекордный урожай гречихи" in run.stdout
    assert "6. go further:" in run.stdout
    # counts that add up (issue 18, item 3): articles apart from the requisites and the other pages
    assert "demo-gazette: 4 articles found, 4 archived, 0 failed; also 1 requisite(s) and 3 other page(s)" in run.stdout
    assert list((tmp_path / "demo" / "data" / "warcs").glob("*.warc.gz"))


def test_the_demo_shows_an_edit_and_a_takedown_with_the_diff_and_both_replays(tmp_path):
    """The demo site's second edition edits one article and takes one down;
    the demo crawls it again and shows the changes, the word diff and the
    replay addresses of both versions (issue 18, item 9)."""
    import re

    from tests.indexdb import query

    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo", "--keep", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=180, check=False, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert re.search(r"1 edited, 1 removed", out), out
    assert re.search(r"edited +http://127\.0\.0\.1:\d+/articles/harbour-plan\.html +version 2", out), out
    assert re.search(r"removed +http://127\.0\.0\.1:\d+/articles/tramvai\.html +HTTP 404", out), out
    assert "[-is expected to-] {+will+} begin in" in " ".join(out.split())  # wrapped at 96 columns
    replays = re.findall(r"v([12]) +(http://127\.0\.0\.1:8080/archive/(\d{14})/\S+harbour-plan\.html)", out)
    assert [number for number, _, _ in replays] == ["1", "2"] and replays[0][2] <= replays[1][2]
    data = tmp_path / "demo" / "data"
    versions = query(data, "SELECT version, captured_at FROM page_versions WHERE url LIKE '%harbour-plan%' ORDER BY version")
    assert [re.sub(r"\D", "", v["captured_at"])[:14] for v in versions] == [stamp for _, _, stamp in replays]
    (removed,) = query(data, "SELECT removed_at FROM pages WHERE url LIKE '%tramvai%'")
    assert removed["removed_at"]


def test_sources_lists_every_source_with_its_archive(tmp_path):
    demo = tmp_path / "demo"
    subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--keep", str(demo)], capture_output=True, timeout=120, check=True)
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "sources", "--config", str(demo / "sources.yaml"), "--data", str(demo / "data"), "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert run.returncode == 0, run.stderr
    (row,) = json.loads(run.stdout)
    assert row["name"] == "demo-gazette" and row["status"] == "enabled"
    assert row["last_run_ok"] is True and row["pages_archived"] == 4
    assert row["newest_article"].startswith("2025-10-17")
    shipped = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "sources", "--config", str(REPO / "config" / "sources.yaml"), "--data", str(tmp_path / "none")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert shipped.returncode == 0, shipped.stderr
    assert "thesaker           closed    never" in shipped.stdout


def mediarchive(*args, cwd):
    return subprocess.run([sys.executable, "-m", "crawler.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=180, check=False, cwd=cwd)


def test_init_writes_a_starter_whose_every_key_loads_and_a_data_directory_that_remembers_it(tmp_path):
    """`init DIR` (issue 18, item 7): a commented sources file, every key of
    it valid once uncommented, and DIR/data, from which `sources` and `cron`
    find that file from any folder."""
    import re

    from archive.sources import load_config

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = mediarchive("init", tmp_path / "archive", cwd=elsewhere)
    assert run.returncode == 0, run.stdout + run.stderr
    starter = (tmp_path / "archive" / "sources.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "archive" / "data").is_dir()
    (source,) = load_config(tmp_path / "archive" / "sources.yaml").sources
    assert source.name == "my-outlet" and not source.enabled
    every_key = re.sub(r"(?m)^(\s*)# (\w+:)", r"\1\2", starter).replace("enabled: false", "enabled: true")
    (tmp_path / "every-key.yaml").write_text(every_key, encoding="utf-8")
    assert load_config(tmp_path / "every-key.yaml").sources[0].enabled
    listed = mediarchive("sources", "--json", "--data", tmp_path / "archive" / "data", cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert [row["name"] for row in json.loads(listed.stdout)] == ["my-outlet"]
    cron = mediarchive("cron", "--data", tmp_path / "archive" / "data", cwd=elsewhere)
    assert f"--config {tmp_path / 'archive' / 'sources.yaml'}" in cron.stdout
    again = mediarchive("init", tmp_path / "archive", cwd=elsewhere)
    assert again.returncode == 0 and "kept as it is" in again.stdout
    assert (tmp_path / "archive" / "sources.yaml").read_text(encoding="utf-8") == starter


def test_a_crawled_data_directory_finds_its_sources_file_from_any_folder(tmp_path):
    """The demo's data, from another folder and without --config: `sources`
    lists the demo's source, not the shipped outlets; `reindex` keeps its
    pages. A data directory never crawled, with no ./config/sources.yaml,
    says how to get a sources file."""
    demo, elsewhere = tmp_path / "demo", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert mediarchive("demo", "--keep", demo, cwd=tmp_path).returncode == 0
    listed = mediarchive("sources", "--json", "--data", demo / "data", cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["name"] == "demo-gazette" and row["pages_archived"] == 4
    reindexed = mediarchive("reindex", "--data", demo / "data", cwd=elsewhere)
    assert reindexed.returncode == 0, reindexed.stderr
    assert json.loads(mediarchive("sources", "--json", "--data", demo / "data", cwd=elsewhere).stdout)[0]["pages_archived"] == 4
    none = mediarchive("sources", "--data", tmp_path / "never", cwd=elsewhere)
    assert none.returncode == 2 and "mediarchive init" in none.stderr and "Traceback" not in none.stderr
