"""Starting `mediarchive replay` or `mediarchive ui` for a test, and
stopping it (with the server it runs) however the test ends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def cli_server(command: str, data: Path, *options: str) -> Iterator[str]:
    """Run ``mediarchive COMMAND --port 0 --data DATA``; yields the URL it
    prints once it serves."""
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", command, "--port", "0", "--data", str(data), *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = process.stdout.readline().strip()  # pywb's environment is made on first use
        if not base.startswith("http://127.0.0.1:"):
            process.kill()
            raise AssertionError(f"{command} did not start: {base!r} {process.stderr.read()[-3000:]}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()
