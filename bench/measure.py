"""Running one command and measuring it: wall time, CPU of its process tree,
peak RSS, bytes kept on disk.

CPU comes from ``os.wait4``: user + system time of the process and of every
descendant it waited for (Scrapy's process, the indexer process, the
extraction workers). A descendant that outlives its parent (the extraction
pool's forkserver, which reaps the workers and ends just after the process
that started it) is reparented to this process, made a subreaper for the
purpose, and waited for here, so that its CPU is counted too. Memory is sampled from ``/proc`` over the whole tree
(the sum at each sample; 0.2 s apart), so a pool of workers counts as much
as it weighs: PSS (``smaps_rollup``: each shared page divided among the
processes sharing it, so a forked process's pages are not counted twice),
and RSS beside it (which counts them in every process).
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    """Orphaned descendants of the commands run here come to this process."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1)


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


@dataclass
class Measurement:
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    returncode: int
    peak_pss_bytes: int = 0
    stdout: str = ""
    stderr: str = ""
    #: (seconds since start, tree RSS in bytes, value of ``probe``, tree PSS in bytes) per sample
    samples: list[tuple[float, int, int, int]] = field(default_factory=list)


def tree_pids(root: int) -> list[int]:
    """``root`` and its descendants, from ``/proc/PID/task/TID/children``."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    todo.extend(int(child) for child in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_SIZE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def pss(pid: int) -> int:
    """Proportional set size of one process, in bytes."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one running process (for the site server)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    interval: float = 0.2,
    probe=None,
    env: dict | None = None,
) -> Measurement:
    """Run ``command`` to its end and measure it. ``probe()``, when given,
    is called at each sample (e.g. bytes written so far)."""
    _become_subreaper()
    started = time.monotonic()
    process = subprocess.Popen(
        list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    samples: list[tuple[float, int, int, int]] = []
    seen: set[int] = set()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pids = tree_pids(process.pid)
            seen.update(pids)
            total, proportional = sum(rss(pid) for pid in pids), sum(pss(pid) for pid in pids)
            samples.append((time.monotonic() - started, total, probe() if probe else 0, proportional))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # read the pipes in threads: a chatty child must not block on a full pipe
    out: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda name=name, fh=fh: out.__setitem__(name, fh.read()), daemon=True)
        for name, fh in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    cpu = usage.ru_utime + usage.ru_stime
    for orphan in sorted(seen - {process.pid}):
        if _parent(orphan) == os.getpid():  # outlived its parent: ours to wait for now
            _, _, usage = os.wait4(orphan, 0)
            cpu += usage.ru_utime + usage.ru_stime
    for reader in readers:
        reader.join()
    return Measurement(
        wall_s=wall,
        cpu_s=cpu,
        peak_rss_bytes=max((s[1] for s in samples), default=0),
        peak_pss_bytes=max((s[3] for s in samples), default=0),
        returncode=process.returncode,
        stdout=out.get("stdout", ""),
        stderr=out.get("stderr", ""),
        samples=samples,
    )


def tree_size(path: Path) -> int:
    """Bytes of every file under ``path``."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0
