"""A crawl's WARC segments: rolled by a growing size and by age, each indexed
by the indexer process while the crawl writes the next (archive.index.segments)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive.warc.write import RollingWarcWriter
from tests.commands import assert_no_traceback

ARTICLES = 6
#: The last article's answer waits for this long at most (the test releases it sooner).
GATE_SECONDS = 90


def write(writer: RollingWarcWriter, n: int, size: int = 2000) -> None:
    writer.write_exchange(
        url=f"http://example.test/{n}", method="GET", request_headers=[("Host", "example.test")],
        request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
        response_headers=[("Content-Type", "text/plain")], body=bytes(range(256)) * (size // 256),
    )


def test_segments_grow_from_the_first_size_to_the_largest(tmp_path: Path) -> None:
    closed: list[Path] = []
    writer = RollingWarcWriter(tmp_path, "s", first_size=4000, max_size=16000, gzip=False, on_close=closed.append)
    for n in range(40):
        write(writer, n)
    writer.close()
    sizes = [p.stat().st_size for p in closed]
    assert closed == writer.files_written
    assert all(p.exists() and not p.name.endswith(".open") for p in closed)
    # each closed at the first whole exchange past its limit: 4 kB, 8 kB, 16 kB, 16 kB...
    for size, limit in zip(sizes, [4000, 8000, 16000, 16000, 16000]):
        assert limit <= size < limit + 3000
    assert len(closed) >= 5


def test_a_segment_open_too_long_is_closed_between_writes(tmp_path: Path) -> None:
    closed: list[Path] = []
    writer = RollingWarcWriter(tmp_path, "s", max_age=0.05, on_close=closed.append)
    write(writer, 1)
    assert writer.roll_if_old() is None and not closed  # not old yet
    time.sleep(0.06)
    path = writer.roll_if_old()
    assert path is not None and closed == [path] and path.exists()
    assert writer.current_path is None
    write(writer, 2)  # the next exchange opens the next file
    writer.close()
    assert len(closed) == 2


@pytest.mark.parametrize("bad", [{"first_size": 0}, {"max_age": 0}, {"max_age": -1.0}])
def test_limits_must_be_positive(tmp_path: Path, bad: dict) -> None:
    with pytest.raises(ValueError):
        RollingWarcWriter(tmp_path, "s", **bad)


# -- a crawl whose end waits until its first segments are in the index --------


def article(n: int) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {p} of article {n}: the river rose through the night and the town council met at dawn "
        f"to decide which roads to close, while volunteers filled sandbags by the old bridge.</p>"
        for p in range(8)
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Flood report {n}</title></head>"
        f"<body><article><h1>Flood report {n}</h1>{paragraphs}</article></body></html>"
    ).encode()


class GatedSite(ThreadingHTTPServer):
    """A listing of ARTICLES articles; the last one is answered only once ``gate`` is set."""

    daemon_threads = True

    def __init__(self) -> None:
        self.gate = threading.Event()
        super().__init__(("127.0.0.1", 0), _GatedHandler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _GatedHandler(BaseHTTPRequestHandler):
    server: GatedSite

    def do_GET(self) -> None:
        if self.path == "/news/":
            links = "".join(f"<li><a href='/a/{n}.html'>Report {n}</a></li>" for n in range(ARTICLES))
            body, status = f"<html><body><ul>{links}</ul></body></html>".encode(), 200
        elif self.path.startswith("/a/") and self.path.endswith(".html"):
            n = int(self.path[3:-5])
            if n == ARTICLES - 1:
                self.server.gate.wait(GATE_SECONDS)
            body, status = article(n), 200
        else:
            body, status = b"not here", 404
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass


#: routine_run with every exchange its own segment (no CLI option sets the writer's sizes)
DRIVER = """
import sys
from pathlib import Path
from archive.paths import DataDir
from archive.sources import load_config
from crawler.run import routine_run

config = load_config(sys.argv[1])
report = routine_run(config, config.select(None), DataDir(Path(sys.argv[2])),
                     settings_overrides={"ARCHIVE_WARC_FIRST_SIZE": 1, "ARCHIVE_WARC_MAX_SIZE": 1, "LOG_LEVEL": "ERROR"})
print("exit", report.exit_code)
"""


def indexed_pages(index: Path) -> int:
    if not index.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM pages").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy
        return 0


def test_closed_segments_are_indexed_while_the_crawl_goes_on(tmp_path: Path) -> None:
    site = GatedSite()
    threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    config = tmp_path / "sources.yaml"
    config.write_text(
        "defaults: {delay: 0, concurrency: 4, requisites: false, user_agent: 'mediarchive-test (+http://127.0.0.1/)'}\n"
        "sources:\n  - name: gated\n"
        f"    start_urls: ['{site.base}/news/']\n"
        "    allowed_domains: ['127.0.0.1']\n"
        "    article_pattern: ['/a/[0-9]+\\.html$']\n"
        "    follow_pattern: ['/news/$']\n"
    )
    data = tmp_path / "data"
    crawl = subprocess.Popen([sys.executable, "-c", DRIVER, str(config), str(data)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + GATE_SECONDS - 10
        while indexed_pages(data / "index.sqlite") == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        during = indexed_pages(data / "index.sqlite")
        still_crawling = crawl.poll() is None
    finally:
        site.gate.set()
    out, err = crawl.communicate(timeout=120)
    site.shutdown()
    site.server_close()
    assert crawl.returncode == 0, out + err
    assert_no_traceback(out + err)
    # pages were searchable while the last article was still being fetched
    assert still_crawling and 0 < during < ARTICLES
    assert indexed_pages(data / "index.sqlite") == ARTICLES
    with sqlite3.connect(data / "index.sqlite") as db:
        files = db.execute("SELECT count(*) FROM warc_files").fetchone()[0]
    assert files == len(list((data / "warcs").rglob("*.warc.gz"))) > ARTICLES
