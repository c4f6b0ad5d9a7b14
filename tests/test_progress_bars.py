"""Progress of `reindex`, `import`, `export` and `verify` (issue 18, item 5):
on a terminal a bar per counted step, each ending at 100%, the result
after them; off a terminal no bar. The library counts the steps right:
the bytes of the files read, the rows checked, the captures copied."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.index.ingest import Ingest
from archive.index.store import Index
from archive.paths import DataDir
from archive.progress import Progress, Task
from archive.warc.fixity import audit
from crawler.demo import demo_site, demo_sources_yaml
from tests.commands import copy_of, on_a_terminal, run

CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The demo site crawled into a data directory (no terminal)."""
    folder = tmp_path_factory.mktemp("bars")
    with demo_site() as base:
        (folder / "sources.yaml").write_text(demo_sources_yaml(base), encoding="utf-8")
        crawl = run("crawl", "--config", folder / "sources.yaml", "--data", folder / "data")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    return folder / "data"


def bars(terminal: str) -> dict[str, str]:
    """Each bar's label and the last percentage it showed."""
    screen = CONTROL.sub("\n", terminal)
    return dict(re.findall(r"^([a-zA-Z][\w. ]+?)\s+━[━╺╸ ]*\s+(\d+)%", screen, re.MULTILINE))


def test_verify_shows_a_bar_for_the_files_and_one_for_the_index_rows(archive):
    code, terminal, stdout = on_a_terminal("verify", "--data", archive)
    assert code == 0, terminal[-3000:]
    assert bars(terminal) == {"reading files": "100", "checking index rows": "100"}, terminal[-3000:]
    assert "0 mismatch(es)" in stdout


def test_export_then_import_show_their_bars(archive, tmp_path):
    package = tmp_path / "demo.wacz"
    code, terminal, stdout = on_a_terminal("export", "--wacz", package, "--data", archive)
    assert code == 0, terminal[-3000:]
    assert bars(terminal) == {"copying records": "100", "writing pages.jsonl": "100"}, terminal[-3000:]
    assert "packing 1 WARC file(s)" in terminal and "wacz validate: Validation succeeded" in stdout
    code, terminal, stdout = on_a_terminal("import", package, "--data", tmp_path / "elsewhere")
    assert code == 0, terminal[-3000:]
    assert bars(terminal)["importing"] == "100", terminal[-3000:]
    assert "imported 1 of 1 file(s)" in stdout


def test_reindex_shows_its_bar_on_a_terminal_and_none_off_it(archive, tmp_path):
    data = copy_of(archive, tmp_path)
    code, terminal, stdout = on_a_terminal("reindex", "--data", data)
    assert code == 0, terminal[-3000:]
    assert bars(terminal)["indexing"] == "100", terminal[-3000:]
    assert re.search(r"reindexed \d+ file\(s\)", stdout)
    piped = run("reindex", "--data", data)
    assert piped.returncode == 0 and "━" not in piped.stderr and "%" not in piped.stderr, piped.stderr
    assert "indexed 1/" in piped.stderr  # the lines, as before


class Recorder(Progress):
    """Every task opened, with each count it was given."""

    def __init__(self) -> None:
        self.tasks: dict[str, tuple[float, list[float]]] = {}

    def task(self, label: str, total: float, unit: str = "") -> Task:
        counts: list[float] = []
        self.tasks[label] = (total, counts)

        class Counted(Task):
            def advance(self, amount: float = 1) -> None:
                counts.append((counts[-1] if counts else 0) + amount)

            def update(self, completed: float) -> None:
                counts.append(completed)

        return Counted()


def warc_bytes(data: DataDir) -> int:
    return sum(p.stat().st_size for p in data.warcs.rglob("*.warc.gz"))


def test_the_library_counts_the_bytes_read_and_the_rows_checked(archive, tmp_path):
    data = DataDir(copy_of(archive, tmp_path))
    recorder = Recorder()
    with Index(data.index_path, readonly=True) as index:
        report = audit(data, index, progress=recorder)
    total, counts = recorder.tasks["reading files"]
    assert total == warc_bytes(data) == counts[-1] and counts == sorted(counts)
    total, counts = recorder.tasks["checking index rows"]
    assert total == report.index_rows == counts[-1] > 0

    recorder, before = Recorder(), warc_bytes(data)
    with Ingest(data, rebuild=True, progress=recorder) as ingest:
        ingest.index_pending()
        ingest.finish()
    total, counts = recorder.tasks["indexing"]
    assert total == before  # a rebuild reads every file
    assert counts == sorted(counts) and counts[-1] <= total and len(counts) > 1
