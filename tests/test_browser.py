"""A real browser replays an archived article through `mediarchive replay`:
Debian's chromium, headless, with an empty profile and every non-loopback
request refused and recorded. The headline must be in the rendered DOM,
the page laid out with its archived stylesheet (seen in the screenshot's
pixels), and nothing asked of any address but 127.0.0.1."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import zlib

import pytest

from crawler.demo import ARTICLES, demo_site, demo_sources_yaml
from tests.indexdb import query
from tests.servers import cli_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: the demo stylesheet's body background
ARCHIVED_BACKGROUND = (230, 240, 255)
#: Chromium phones home even headless; these keep it on the machine.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-quic",
    "--disable-features=NetworkTimeServiceQuerying,AutofillServerCommunication,OptimizationHints,MediaRouter,Translate",
    "--gaia-url=http://127.0.0.1:9/", "--google-apis-url=http://127.0.0.1:9/",
    "--component-updater=url-source=http://127.0.0.1:9/update",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1280,900",
]


def first_pixel(png: bytes) -> tuple[int, int, int]:
    """The top-left pixel of an 8-bit RGB(A) PNG (a tiny decoder: row 0 only)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width, bit_depth, colour = 8, b"", 0, 0, 0
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        data = png[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, _, bit_depth, colour = struct.unpack(">IIBB", data[:10])
        elif kind == b"IDAT":
            idat += data
        position += 12 + length
    assert bit_depth == 8 and colour in (2, 6), (bit_depth, colour)
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    row_filter, row = raw[0], bytearray(raw[1:1 + width * channels])
    if row_filter in (1, 4):  # Sub, Paeth (the row above is zeros: Paeth picks the left byte)
        for i in range(channels, len(row)):
            row[i] = (row[i] + row[i - channels]) & 0xFF
    elif row_filter == 3:  # Average
        for i in range(len(row)):
            row[i] = (row[i] + (row[i - channels] if i >= channels else 0) // 2) & 0xFF
    return tuple(row[:3])


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    assert CHROMIUM, "Debian's chromium is needed (.ci/run installs it: apt-get install chromium)"
    root = tmp_path_factory.mktemp("browser")
    with demo_site() as base:
        (root / "sources.yaml").write_text(demo_sources_yaml(base))
        run = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(root / "sources.yaml"), "--data", str(root / "data")],
            capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
    # the live site is gone: whatever the browser shows comes from the archive
    with cli_server("replay", root / "data") as replay:
        yield root, replay


def test_archived_article_renders_with_its_archived_stylesheet(replayed):
    root, replay = replayed
    (capture,) = query(root / "data", "SELECT url, captured_at FROM captures WHERE url LIKE '%/articles/grechikha.html'")
    stamp = re.sub(r"\D", "", capture["captured_at"])[:14]
    page = f"{replay}{stamp}mp_/{capture['url']}"
    screenshot, netlog = root / "archived-article.png", root / "netlog.json"  # the test's own output folder
    run = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={root / 'profile'}", f"--screenshot={screenshot}",
         f"--log-net-log={netlog}", "--dump-dom", page],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    title = ARTICLES["grechikha"][1]
    assert f"<h1>{title}</h1>" in run.stdout  # the headline is in the rendered DOM
    assert first_pixel(screenshot.read_bytes()) == ARCHIVED_BACKGROUND  # laid out with the archived stylesheet
    css = query(root / "data", "SELECT status, mime FROM captures WHERE url LIKE '%/static/site.css'")
    assert css == [{"status": 200, "mime": "text/css"}]
    urls = set(re.findall(r'"url":"(https?://[^"]+)"', netlog.read_text(errors="replace")))
    assert any("site.css" in u and u.startswith(replay) for u in urls)  # the stylesheet came through replay
    outside = {u for u in urls if not re.match(r"https?://127\.0\.0\.1[:/]", u)}
    assert outside == set(), outside
    print(json.dumps({"screenshot": str(screenshot)}))
