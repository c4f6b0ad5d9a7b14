"""Servers run as child processes on a socket bound here (``replay``: pywb;
``ui``: Datasette): the address is checked and taken before the child
starts, so "port in use" is one clear message, and port 0 works."""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from archive.errors import UsageError

logger = logging.getLogger(__name__)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: any free port)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listener.listen(128)
    return listener


def start_on_socket(
    argv: Sequence[str], host: str, port: int, failure: type[Exception], name: str, cwd: Path | None = None
) -> tuple[subprocess.Popen, int]:
    """Run ``argv`` plus the listening socket's file descriptor; the child
    prints READY when it serves. Returns the process and the port."""
    listener = listen(host, port)
    bound = listener.getsockname()[1]
    process = subprocess.Popen(
        [*argv, str(listener.fileno())], pass_fds=[listener.fileno()], cwd=cwd, stdout=subprocess.PIPE, text=True
    )
    listener.close()
    ready = process.stdout.readline().strip() if process.stdout else ""
    if ready != "READY":
        process.kill()
        process.wait()
        raise failure(f"{name} did not start (see its messages above); {ready or 'no output'}")
    # from now on nobody waits on the child's output: read it for as long as
    # it runs (a pipe left unread blocks the child once 64 KB are in it)
    threading.Thread(target=_relay, args=(process.stdout, name), name=f"{name}-output", daemon=True).start()
    return process, bound


def _relay(stream: TextIO, name: str) -> None:
    """The child's output after READY, to the log (tracebacks of pages it
    could not serve, warnings), line by line."""
    for line in stream:
        line = line.rstrip()
        if line:
            logger.debug("%s: %s", name, line)
    stream.close()
