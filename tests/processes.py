"""The processes of a command under test, read from /proc: its descendants,
whether they are still alive, and their command lines."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    head, tail = text.rsplit(")", 1)
    return tail.split()  # [state, ppid, ..., starttime at index 19]


def descendants(pid: int) -> dict[int, str]:
    """pid -> start time of every live descendant of ``pid``."""
    parents: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat(int(entry))
            if fields:
                parents.setdefault(int(fields[1]), []).append(int(entry))
                starts[int(entry)] = fields[19]
    found: dict[int, str] = {}
    todo = list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        if child not in found:
            found[child] = starts[child]
            todo.extend(parents.get(child, []))
    return found


def alive(processes: dict[int, str]) -> list[int]:
    living = []
    for pid, start in processes.items():
        fields = stat(pid)
        if fields and fields[19] == start and fields[0] not in ("Z", "X"):
            living.append(pid)
    return living


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def kill_all(processes: dict[int, str]) -> None:
    for pid in alive(processes):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def gone_within(processes: dict[int, str], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(processes)


def extraction_workers(pid: int) -> list[int]:
    """The live extraction workers under ``pid``: the children of its pool's
    forkserver (forked, so they share its command line)."""
    under = descendants(pid)
    servers = {child for child in under if "multiprocessing.forkserver" in cmdline(child)}
    return [child for child in alive(under) if (fields := stat(child)) and int(fields[1]) in servers]
