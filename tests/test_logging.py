"""What a crawl shows while it runs (issue 18, item 1): on a terminal a
live table per source and the log at the level asked for (WARNING unless
told), Scrapy's own loggers included, no deprecation warning, no stats
dump; the full log in DATA/logs/ whatever the terminal shows; off a
terminal a line per source every --progress-interval seconds, then the
summary."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from crawler.demo import demo_site, demo_sources_yaml
from tests.commands import cli, on_a_terminal

#: A terminal's control sequences (colours, cursor moves of the live table).
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def crawl(tmp_path: Path, *options: str, terminal: bool) -> tuple[str, str]:
    """(stderr, stdout) of a crawl of the demo site; stderr a terminal (a pty) when ``terminal``."""
    with demo_site() as base:
        (tmp_path / "sources.yaml").write_text(demo_sources_yaml(base), encoding="utf-8")
        args = ("crawl", "--config", tmp_path / "sources.yaml", "--data", tmp_path / "data", *options)
        if not terminal:
            run = subprocess.run(cli(*args), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
            assert run.returncode == 0, run.stderr[-3000:]
            return run.stderr, run.stdout
        code, text, stdout = on_a_terminal(*args)
    assert code == 0, text[-3000:]
    return text, stdout


@pytest.fixture(scope="module")
def default_crawl(tmp_path_factory) -> tuple[str, str, Path]:
    """A crawl on a terminal with the default options: (terminal, stdout, data directory)."""
    folder = tmp_path_factory.mktemp("default-crawl")
    terminal, stdout = crawl(folder, terminal=True)
    return terminal, stdout, folder / "data"


def test_the_level_asked_for_holds_for_scrapys_loggers_on_the_terminal_and_in_the_file(tmp_path, capsys):
    """Scrapy sets its own loggers to DEBUG: the level is the handlers'."""
    import logging

    from crawler import logsetup

    root = logging.getLogger()
    kept = list(root.handlers), root.level
    try:
        path = logsetup.configure(tmp_path, "WARNING", interactive=True)
        scrapy_logger = logging.getLogger("scrapy.core.engine")
        scrapy_logger.setLevel(logging.DEBUG)
        scrapy_logger.info("an INFO line")
        scrapy_logger.warning("a WARNING line")
        for handler in root.handlers:
            handler.flush()
        terminal, log = capsys.readouterr().err, path.read_text(encoding="utf-8")
        for text in (terminal, log):
            assert "a WARNING line" in text and "an INFO line" not in text, text
        logsetup.configure(tmp_path, None, interactive=True)  # the defaults: the file at INFO, the terminal at WARNING
        scrapy_logger.info("a second INFO line")
        for handler in root.handlers:
            handler.flush()
        assert "a second INFO line" not in capsys.readouterr().err
        assert "a second INFO line" in path.read_text(encoding="utf-8")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in kept[0]:
            root.addHandler(handler)
        root.setLevel(kept[1])
        logging.getLogger("scrapy.core.engine").setLevel(logging.NOTSET)


def test_by_default_the_terminal_gets_warnings_only_and_no_warning_of_ours(default_crawl):
    terminal, _, _ = default_crawl
    assert "crawling 1 source(s): demo-gazette" in terminal
    for text in (" DEBUG: ", " INFO: ", "Dumping Scrapy stats", "DeprecationWarning", "UserWarning",
                 "RANDOMIZE_DOWNLOAD_DELAY"):
        assert text not in terminal, (text, terminal[-3000:])


def test_the_terminal_shows_a_live_table_of_each_source_left_at_its_end(default_crawl):
    terminal, stdout, _ = default_crawl
    screen = CONTROL.sub("", terminal)
    assert re.search(r"source\s+found\s+fetched\s+queued\s+failed\s+pages/s", screen), screen[-3000:]
    rows = re.findall(r"demo-gazette\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+\s+(\w+)", screen)
    assert rows, screen[-3000:]
    found, fetched, queued, failed, state = rows[-1]
    # its last frame: the crawl finished, nothing queued, every URL found fetched or failed
    assert state == "finished" and queued == "0"
    assert int(found) == int(fetched) + int(failed) > 0
    assert "demo-gazette" in stdout and "1/1 source(s) ok" in stdout  # the summary follows it


def test_the_full_log_goes_to_the_log_file_whatever_the_terminal_shows(default_crawl):
    _, stdout, data = default_crawl
    log = (data / "logs" / "mediarchive.log").read_text(encoding="utf-8")
    assert " INFO: Spider opened" in log and "Dumping Scrapy stats" in log
    assert f"(log: {data / 'logs' / 'mediarchive.log'})" in stdout


def test_off_a_terminal_a_line_per_source_then_the_summary(tmp_path):
    stderr, stdout = crawl(tmp_path, "--progress-interval", "0.1", terminal=False)
    lines = stdout.splitlines()
    progress = [n for n, line in enumerate(lines) if re.match(r"\[\d+:\d\d:\d\d\] demo-gazette: ", line)]
    assert progress, stdout
    last = lines[progress[-1]]
    found, fetched, queued, failed = map(int, re.search(
        r"(\d+) found, (\d+) fetched, (\d+) queued, (\d+) failed, [\d.]+ pages/s \(finished\)$", last).groups())
    assert queued == 0 and found == fetched + failed > 0
    summary = next(n for n, line in enumerate(lines) if line.startswith("source "))
    assert progress[-1] < summary  # the lines, then the summary
    assert "demo-gazette" not in stderr  # no table, no log on a pipe: the log is in DATA/logs/
