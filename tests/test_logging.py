"""A crawl on a terminal logs at the level asked for (issue 18, item 1, in
part): --log-level is honoured for Scrapy's own loggers too, no
deprecation warning or warning of our code is printed, and the stats dump
is left to --log-level debug."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from crawler.demo import demo_site, demo_sources_yaml


def crawl_on_a_terminal(tmp_path, *options: str) -> str:
    """What a crawl of the demo site writes to the terminal it runs on (a pty)."""
    with demo_site() as base:
        (tmp_path / "sources.yaml").write_text(demo_sources_yaml(base), encoding="utf-8")
        leader, follower = pty.openpty()
        try:
            run = subprocess.run(
                [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(tmp_path / "sources.yaml"),
                 "--data", str(tmp_path / "data"), *options],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, timeout=180, check=False,
            )
            os.close(follower)
            follower = -1
            written = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: the terminal's other end is closed and drained
                    break
                if not chunk:
                    break
                written += chunk
        finally:
            if follower != -1:
                os.close(follower)
            os.close(leader)
    assert run.returncode == 0, written.decode(errors="replace")[-3000:]
    return written.decode("utf-8", "replace")


@pytest.mark.parametrize(("options", "absent"), [
    (("--log-level", "warning"), (" DEBUG: ", " INFO: ", "Dumping Scrapy stats")),
    ((), (" DEBUG: ", "Dumping Scrapy stats", "DeprecationWarning", "UserWarning", "RANDOMIZE_DOWNLOAD_DELAY")),
])
def test_the_terminal_gets_the_level_asked_for_and_no_warnings_of_ours(tmp_path, options, absent):
    terminal = crawl_on_a_terminal(tmp_path, *options)
    assert "crawling 1 source(s): demo-gazette" in terminal
    for text in absent:
        assert text not in terminal, (text, terminal[-3000:])
