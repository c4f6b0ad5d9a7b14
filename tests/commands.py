"""Running `mediarchive` as a user does, for the tests that crawl, import
and interrupt it in subprocesses: the command line, the local site's
sources file, and what no output may hold."""

from __future__ import annotations

import os
import pty
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.localsite import LocalSite

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


def cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *map(str, args)]


def run(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), capture_output=True, text=True, timeout=timeout)


def assert_no_traceback(output: str) -> None:
    for marker in ("Traceback", "--- Logging error ---"):
        at = output.find(marker)
        assert at < 0, output[at:][-3000:]


def write_config(site: LocalSite, path: Path, delay: float, extra: str = "") -> Path:
    """A sources file with one source, ``local``: the site's listing pages
    and articles (``extra``: more keys, indented as the source's)."""
    path.write_text(
        "sources:\n  - name: local\n"
        f"    start_urls: ['{site.base_url}/news/']\n    delay: {delay}\n    concurrency: 4\n    routine_pages: 20\n    requisites: false\n"
        "    article_pattern: ['/articles/[0-9a-f]{64}\\.html$']\n    follow_pattern: ['://[^/]+/news/(\\?page=\\d+)?$']\n"
        + extra
    )
    return path


def copy_of(data: Path, tmp_path: Path) -> Path:
    """A copy of a data directory a module's fixture made, for a test that changes it."""
    target = tmp_path / "data"
    shutil.copytree(data, target)
    return target


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to a command started with ``start_new_session=True`` and all it started."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def on_a_terminal(*args: str | Path, timeout: float = 180) -> tuple[int, str, str]:
    """(exit code, what the terminal shows, stdout) of `mediarchive ARGS`
    run with its stderr on a terminal (a pty) and its stdout a pipe."""
    leader, follower = pty.openpty()
    try:
        run = subprocess.run(cli(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower,
                             timeout=timeout, check=False)
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
    return run.returncode, written.decode("utf-8", "replace"), run.stdout.decode("utf-8", "replace")
