"""Jobs for tests/test_pool.py, importable by the workers (forked from a fresh forkserver)."""

from __future__ import annotations

import os
import struct
import sys
import time

from archive.extract.job import JobFailed


def job(timeout: float, action: str, value: int, use_timer: bool = True) -> object:
    """What a page's extraction might do: return, raise, hang, or take its worker down."""
    if action == "crash":
        os._exit(70)  # as a segfault or the OOM killer would
    if action == "die-writing":
        # killed while it wrote its result: half a message in the pipe every
        # worker shares (concurrent.futures' worker loop holds its write end)
        frame = sys._getframe()
        while "result_queue" not in frame.f_locals:
            frame = frame.f_back
        os.write(frame.f_locals["result_queue"]._writer.fileno(), struct.pack("!i", 100_000) + b"\x80\x04half")
        os._exit(70)
    if action == "hang":
        time.sleep(3600)  # deaf to the interval timer: only the parent's deadline ends it
    if action == "raise":
        try:
            raise ValueError(f"page {value} is odd")
        except ValueError as exc:
            return JobFailed(f"{type(exc).__name__}: {exc}")
    return value * 2
