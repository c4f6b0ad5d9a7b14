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
    assert "4. go further:" in run.stdout
    assert list((tmp_path / "demo" / "data" / "warcs").glob("*.warc.gz"))


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
