"""Politeness: Retry-After is waited out, the configured User-Agent is sent,
only gzip/deflate are asked for."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.middlewares.retryafter import retry_after_seconds

NOW = datetime(2024, 5, 6, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (b"5", 5.0),
        ("Mon, 06 May 2024 12:00:30 GMT", 30.0),
        ("Mon, 06 May 2024 11:00:00 GMT", 0.0),  # in the past: no wait
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds


class BusyOnce(BaseHTTPRequestHandler):
    """/busy answers 429 with Retry-After: 1 the first time, then 200."""

    protocol_version = "HTTP/1.1"
    hits: list[tuple[str, float, dict]] = []

    def do_GET(self):
        BusyOnce.hits.append((self.path, time.monotonic(), dict(self.headers)))
        if self.path == "/":
            self.reply(200, b"<html><body><a href='/busy'>busy</a></body></html>")
        elif self.path == "/busy" and sum(1 for p, *_ in BusyOnce.hits if p == "/busy") == 1:
            self.reply(429, b"slow down", [("Retry-After", "1")])
        elif self.path == "/busy":
            self.reply(200, b"<html><head><title>Now</title></head><body><p>Served after waiting.</p></body></html>")
        else:
            self.reply(404, b"no")

    def reply(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_429_with_retry_after_is_waited_out_and_archived(tmp_path):
    BusyOnce.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), BusyOnce)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        config = tmp_path / "sources.yaml"
        config.write_text(
            "sources:\n  - name: busy\n"
            f"    start_urls: ['{base}/']\n    delay: 0\n"
            "    user_agent: 'mediarchive-test (+https://archive.example/contact)'\n"
        )
        run = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(tmp_path / "data"),
             "--log-level", "WARNING"],
            capture_output=True, text=True, timeout=120, check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert run.returncode == 0, run.stderr
    busy = [t for path, t, _ in BusyOnce.hits if path == "/busy"]
    assert len(busy) == 2 and busy[1] - busy[0] >= 0.95
    for _, _, headers in BusyOnce.hits:
        assert headers["User-Agent"] == "mediarchive-test (+https://archive.example/contact)"
        assert headers["Accept-Encoding"] == "gzip, deflate"
    db = sqlite3.connect(tmp_path / "data" / "index.sqlite")
    statuses = [s for (s,) in db.execute("SELECT status FROM captures WHERE url = ? ORDER BY id", [f"{base}/busy"])]
    db.close()
    assert statuses == [429, 200]
