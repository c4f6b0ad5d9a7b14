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
    """The top-left pixel of an 8-bit RGB(A) PNG."""
    return first_row(png)[0]


def first_row(png: bytes) -> list[tuple[int, int, int]]:
    """The top row's pixels of an 8-bit RGB(A) PNG (a tiny decoder: row 0 only)."""
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
    return [tuple(row[i:i + 3]) for i in range(0, len(row), channels)]


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


# -- an article whose stylesheet and image come from another host (a CDN) ----------

CDN_BACKGROUND = (200, 255, 200)
CDN_IMAGE = (220, 20, 60)


def solid_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def serve(routes: dict[str, tuple[str, bytes]]):
    """A tiny site on 127.0.0.1 (a free port): path -> (content type, body); returns (server, port)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            kind, body = routes.get(self.path, ("text/plain", b"not found"))
            self.send_response(200 if self.path in routes else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def test_an_articles_stylesheet_and_image_from_a_cdn_replay_from_the_archive(tmp_path):
    """The page is on 127.0.0.1, its stylesheet and image on "localhost"
    (another host name, the same loopback address): requisites from the
    hosts the article loads styles and images from are archived, politely,
    and replay shows both with the live sites gone. The CDN's script is not
    fetched: scripts come only from the source's own hosts."""
    assert CHROMIUM, "Debian's chromium is needed (.ci/run installs it: apt-get install chromium)"
    cdn, cdn_port = serve({
        "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
        "/assets/cdn.css": ("text/css", b"body { background: rgb(200, 255, 200); margin: 0; }"
                                        b" img.lead { position: absolute; top: 0; left: 0; width: 64px; height: 64px; }"),
        "/assets/lead.png": ("image/png", solid_png(8, 8, CDN_IMAGE)),
        "/assets/tracker.js": ("application/javascript", b"/* not archived */"),
    })
    cdn_base = f"http://localhost:{cdn_port}"
    article = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Harvest report</title>"
        f"<link rel='stylesheet' href='{cdn_base}/assets/cdn.css'><script src='{cdn_base}/assets/tracker.js'></script>"
        "</head><body><article><h1>Harvest report</h1>"
        f"<img class='lead' src='{cdn_base}/assets/lead.png' alt='lead'>"
        + "<p>Farmers in the region gathered a record harvest of buckwheat this year, officials said.</p>" * 4
        + "</article></body></html>"
    ).encode()
    site, port = serve({
        "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
        "/news/": ("text/html; charset=utf-8", b"<html><body><a href='/articles/harvest.html'>Harvest</a></body></html>"),
        "/articles/harvest.html": ("text/html; charset=utf-8", article),
    })
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "sources.yaml").write_text(
        "defaults: {delay: 0, concurrency: 4}\nsources:\n  - name: cdn-test\n"
        f"    start_urls: ['{base}/news/']\n    article_pattern: ['/articles/[a-z]+\\.html$']\n"
    )
    try:
        run = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(tmp_path / "sources.yaml"),
             "--data", str(tmp_path / "data")], capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
    finally:
        for server in (site, cdn):
            server.shutdown()
            server.server_close()
    captured = {r["url"]: r["status"] for r in query(tmp_path / "data", "SELECT url, status FROM captures")}
    assert captured[f"{cdn_base}/assets/cdn.css"] == 200 and captured[f"{cdn_base}/assets/lead.png"] == 200
    assert captured[f"{cdn_base}/robots.txt"] == 200  # robots.txt asked of the CDN too
    assert f"{cdn_base}/assets/tracker.js" not in captured
    (page,) = query(tmp_path / "data", "SELECT url, captured_at FROM captures WHERE url LIKE '%/articles/harvest.html'")
    with cli_server("replay", tmp_path / "data") as replay:
        stamp = re.sub(r"\D", "", page["captured_at"])[:14]
        screenshot, netlog = tmp_path / "cdn-article.png", tmp_path / "netlog.json"
        shot = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={screenshot}",
             f"--log-net-log={netlog}", "--dump-dom", f"{replay}{stamp}mp_/{page['url']}"],
            capture_output=True, text=True, timeout=120,
        )
    assert shot.returncode == 0, shot.stderr[-2000:]
    row = first_row(screenshot.read_bytes())
    assert row[10] == CDN_IMAGE  # the CDN's image, from the archive
    assert row[600] == CDN_BACKGROUND  # laid out with the CDN's stylesheet, from the archive
    urls = set(re.findall(r'"url":"(https?://[^"]+)"', netlog.read_text(errors="replace")))
    assert any(u.startswith(replay) and "localhost" in u and "cdn.css" in u for u in urls)
    assert {u for u in urls if not re.match(r"https?://127\.0\.0\.1[:/]", u)} == set()
    print(json.dumps({"screenshot": str(screenshot)}))
