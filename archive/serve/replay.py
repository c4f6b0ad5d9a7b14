"""Replaying the archive with pywb, in pywb's own virtual environment.

pywb 2.10 pins ``redis==2.10.6`` and brings ``brotlipy``, which shadows
Scrapy's ``brotli``: it cannot share mediarchive's environment. It gets its
own (``<this environment>/pywb-venv``, made once from the pinned
``pywb-requirements.txt``) and runs as a separate process. pywb reads
``DATA/warcs`` in place through ``DATA/replay/index.cdxj`` (see
:mod:`archive.warc.cdxj`). The listening socket is bound here, on 127.0.0.1
unless asked otherwise, and handed to pywb, whose own default is 0.0.0.0.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from archive.paths import DataDir
from archive.errors import MediarchiveError, UsageError
from archive.serve.bind import start_on_socket

COLLECTION = "archive"
REQUIREMENTS = Path(__file__).with_name("pywb-requirements.txt")
SERVER_SCRIPT = Path(__file__).with_name("pywb_child.py")
ENV_VAR = "MEDIARCHIVE_PYWB_VENV"


class ReplayUnavailable(MediarchiveError):
    exit_code = 1


def pywb_venv() -> Path:
    """Where pywb's environment lives: $MEDIARCHIVE_PYWB_VENV, else beside this one."""
    return Path(os.environ.get(ENV_VAR) or Path(sys.prefix) / "pywb-venv")


def pywb_python(venv: Path | None = None) -> Path:
    return (venv or pywb_venv()) / "bin" / "python"


def ensure_pywb(progress: Callable[[str], None]) -> Path:
    """pywb's Python, after making its environment if it is missing."""
    venv = pywb_venv()
    python = pywb_python(venv)
    marker = venv / ".mediarchive-requirements"
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    if python.exists() and marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return python
    progress(f"setting up pywb in its own environment ({venv}); once, about 30 s")
    for command in (
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
    ):
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        if run.returncode != 0:
            last = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ReplayUnavailable(
                f"replay needs pywb in an environment of its own, installed once from the package index"
                f" (so with network, or a mirror in PIP_INDEX_URL); making it in {venv} failed: {last[0].strip()}."
                f" Run `mediarchive replay --setup-only` once where the index can be reached, or point"
                f" ${ENV_VAR} at an environment made with `pip install -r {REQUIREMENTS}`"
            )
    marker.write_text(wanted, encoding="utf-8")
    return python


def check_bind(host: str, allow_remote: bool) -> None:
    """Loopback only, unless the user asked for another address explicitly."""
    try:
        address = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError):
        raise UsageError(f"--host: cannot resolve {host!r}") from None
    if not address.is_loopback and not allow_remote:
        raise UsageError(
            f"--host {host} would serve the archive beyond this machine; add --allow-remote if that is meant"
        )


def write_config(data: DataDir) -> Path:
    """pywb's config.yaml for the archive, in ``DATA/replay``."""
    folder = data.replay
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    index = data.replay_index.resolve()
    # archive_paths is glued to each CDXJ file name: the trailing slash matters
    config.write_text(
        "# written by mediarchive replay; pywb reads DATA/warcs in place\n"
        f"collections:\n  {COLLECTION}:\n    index_paths: {index}\n    archive_paths: {data.warcs.resolve()}/\n"
        "framed_replay: false\nenable_memento: true\n",
        encoding="utf-8",
    )
    return config


def start(data: DataDir, host: str, port: int, python: Path) -> tuple[subprocess.Popen, str]:
    """Start pywb on host:port (0: any free port); returns the process and
    the base URL of the archive's collection."""
    config = write_config(data)
    process, bound = start_on_socket(
        [str(python), str(SERVER_SCRIPT), str(config)], host, port, ReplayUnavailable, "pywb", cwd=config.parent
    )
    return process, f"http://{host}:{bound}/{COLLECTION}/"


DEFAULT_BASE = f"http://127.0.0.1:8080/{COLLECTION}/"


def replay_url(url: str, captured_at: str, base: str = DEFAULT_BASE) -> str:
    """The replay address of a capture (``captured_at`` as the index holds it)."""
    stamp = "".join(ch for ch in captured_at if ch.isdigit())[:14]
    return f"{base}{stamp}/{url}"
