"""Ctrl-C, SIGTERM and SIGKILL (item 11).

Ctrl-C is SIGINT to the whole process group (the crawl starts in a session
of its own); SIGTERM goes to the main process alone, as `timeout` sends it;
SIGKILL goes to the main process alone, and its children must not outlive
it."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.localsite import LocalSite
from tests.commands import write_config
from tests.processes import alive, cmdline, descendants, extraction_workers, gone_within, kill_all, stat

REPO = Path(__file__).resolve().parents[2]
INTERRUPTED = 130
TERMINATED = 143


# ------------------------------------------------------------------ processes


def workers_cpu_seconds(pid: int) -> float:
    """CPU time used so far by the extraction workers under ``pid``: the
    children of its forkserver (whose own CPU, its imports, is not counted)."""
    ticks = 0
    for child in extraction_workers(pid):
        fields = stat(child)
        if fields:
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _default_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """A command started in a session of its own, stderr to a file, its descendants tracked."""

    def __init__(self, args: list[str], workdir: Path):
        self.stderr_path = workdir / "stderr.txt"
        self.stdout_path = workdir / "stdout.txt"
        self._stderr = open(self.stderr_path, "wb")
        self._stdout = open(self.stdout_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", *args], cwd=REPO,
            stdout=self._stdout, stderr=self._stderr, start_new_session=True,
            # a terminal's Ctrl-C as a user has it, even when the tests run as a
            # background job (whose shell starts them with SIGINT ignored)
            preexec_fn=_default_ctrl_c,
        )
        self.seen: dict[int, str] = {}
        self.stderr_at_signal = 0

    def track(self) -> dict[int, str]:
        self.seen.update(descendants(self.process.pid))
        return self.seen

    def signal(self, signum: int, group: bool) -> None:
        self.track()
        self.stderr_at_signal = self.stderr_path.stat().st_size
        if group:
            os.killpg(self.process.pid, signum)
        else:
            os.kill(self.process.pid, signum)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None when the process is still running after ``timeout`` seconds (a hang)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.track()
            time.sleep(0.05)
        return self.process.poll()

    @property
    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")

    @property
    def stderr_after_signal(self) -> str:
        return self.stderr_path.read_bytes()[self.stderr_at_signal:].decode("utf-8", "replace")

    def close(self) -> None:
        self.track() if self.process.poll() is None else None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        finally:
            kill_all(self.seen)
            self._stderr.close()
            self._stdout.close()


def wait_until(condition, run: Run, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.process.poll() is None:
        run.track()
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"not reached (exit {run.process.poll()}): {run.output[-2000:]}")


# ------------------------------------------------------------------ checks


def no_traceback(text: str) -> None:
    assert "Traceback" not in text, text[-3000:]
    assert "--- Logging error ---" not in text, text[-3000:]


def check_index_whole_per_file(data: Path) -> None:
    """Every closed WARC file is in warc_files, or none of its records is a capture."""
    files = sorted((data / "warcs").rglob("*.warc.gz"))
    db = sqlite3.connect(data / "index.sqlite")
    try:
        indexed = {row[0] for row in db.execute("SELECT name FROM warc_files")}
        captured = {row[0] for row in db.execute("SELECT record_id FROM captures")}
    finally:
        db.close()
    for path in files:
        if path.name in indexed or str(path.relative_to(data / "warcs")) in indexed:
            continue
        with open(path, "rb") as fh:
            ids = {record.rec_headers.get_header("WARC-Record-ID") for record in ArchiveIterator(fh)}
        assert not ids & captured, f"{path.name}: {len(ids & captured)} of its records indexed, the file not"


def check_clean_stop(run: Run, data: Path) -> None:
    no_traceback(run.output)
    after = [line for line in run.stderr_after_signal.splitlines() if line.strip()]
    assert len(after) <= 5, after
    assert not list((data / "warcs").rglob("*.open")), sorted(p.name for p in (data / "warcs").rglob("*.open"))
    check_index_whole_per_file(data)
    leftovers = gone_within(run.seen, 10)
    assert leftovers == [], [cmdline(pid) for pid in leftovers]


# ------------------------------------------------------------------ crawls


@pytest.fixture(scope="module")
def site():
    with LocalSite(extras=False) as running:
        yield running


def start_crawl(site: LocalSite, tmp_path: Path, delay: float) -> tuple[Run, Path]:
    config = write_config(site, tmp_path / "sources.yaml", delay)
    data = tmp_path / "data"
    return Run(["crawl", "--config", str(config), "--data", str(data)], tmp_path), data


def capturing(data: Path):
    return lambda: (data / "warcs").is_dir() and bool(list((data / "warcs").glob("*.open")))


@pytest.mark.parametrize("signum, group, code", [
    (signal.SIGINT, True, INTERRUPTED),   # Ctrl-C: the terminal signals the whole group
    (signal.SIGTERM, False, TERMINATED),  # `timeout`, systemd: the main process alone
], ids=["ctrl-c", "sigterm"])
def test_a_crawl_stopped_by_a_signal_stops_cleanly(site, tmp_path, signum, group, code):
    run, data = start_crawl(site, tmp_path, 0.05)
    try:
        wait_until(capturing(data), run)
        time.sleep(1.0)
        assert run.process.poll() is None, "the crawl ended before the signal"
        run.signal(signum, group)
        returncode = run.wait(60)
        assert returncode is not None, "still running 60 s after the signal"
        check_clean_stop(run, data)
        assert returncode == code, run.output[-3000:]
    finally:
        run.close()


def test_sigkill_of_the_main_crawl_process_leaves_no_children(site, tmp_path):
    run, data = start_crawl(site, tmp_path, 0)
    try:
        def extracting() -> bool:
            return bool(extraction_workers(run.process.pid))
        wait_until(extracting, run, timeout=120)
        family = run.track()
        assert len(family) >= 2, [cmdline(pid) for pid in family]
        os.kill(run.process.pid, signal.SIGKILL)
        run.process.wait(timeout=30)
        leftovers = gone_within(family, 10)
        assert leftovers == [], [cmdline(pid) for pid in leftovers]
    finally:
        run.close()


# ------------------------------------------------------------------ import


def generated_warc(path: Path, pages: int) -> Path:
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for number in range(pages):
            paragraphs = "".join(
                f"<p>Report {number}, paragraph {k}: the council debated the bridge repairs, the bus timetable "
                f"and the budget for the library, which reopens in spring after two years of works.</p>"
                for k in range(30)
            )
            body = (
                f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Council report {number}</title></head>"
                f"<body><article><h1>Council report {number}</h1>{paragraphs}</article></body></html>"
            ).encode()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                f"http://council.example/reports/{number}.html", "response",
                payload=io.BytesIO(body), length=len(body), http_headers=headers,
                warc_headers_dict={
                    "WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{number:012d}>",
                    "WARC-Date": f"2024-06-{1 + number % 28:02d}T{number % 24:02d}:00:00Z",
                },
            )
            writer.write_record(record)
    return path


def test_ctrl_c_during_an_import(tmp_path):
    # 2,000 pages: the workers warm up (about 1 s of CPU each) before their first
    # page, and then take about 4 ms a page, so the file outlasts the signal
    warc = generated_warc(tmp_path / "council.warc.gz", 2000)
    data = tmp_path / "data"
    run = Run(["import", str(warc), "--data", str(data)], tmp_path)
    try:
        # while the extraction workers are busy with the pages: 3 s of their CPU,
        # past their warm-up and well before the end of the file
        wait_until(lambda: workers_cpu_seconds(run.process.pid) >= 3.0, run)
        assert run.process.poll() is None, "the import ended before the signal"
        run.signal(signal.SIGINT, group=True)
        returncode = run.wait(60)
        assert returncode is not None, "still running 60 s after Ctrl-C"
        no_traceback(run.output)
        assert returncode == INTERRUPTED, run.output[-3000:]
        leftovers = gone_within(run.seen, 10)
        assert leftovers == [], [cmdline(pid) for pid in leftovers]
    finally:
        run.close()
