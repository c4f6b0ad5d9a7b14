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
