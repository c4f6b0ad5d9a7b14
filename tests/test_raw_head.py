"""Response heads stored as received (issue 15, part 3): a server on a raw
socket sends a reason phrase of its own, names in mixed case, two
``Set-Cookie`` lines around another header and an unusual order; the
response record holds that head byte for byte, apart from the framing
headers (``Transfer-Encoding`` dropped, ``Content-Length`` the stored
body's). ``warcio check`` passes, and pywb replays the page."""

from __future__ import annotations

import socketserver
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc.received_head import received_response_head
from archive.warc.records import InvalidExchangeError, response_head
from tests.commands import assert_no_traceback, run
from tests.indexdb import query
from tests.servers import cli_server

ARTICLE = "/articles/odd-head.html"
CHUNKED_ARTICLE = "/articles/chunked-head.html"
PAGE = (
    b"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>An odd head</title></head><body>"
    b"<article><h1>An odd head</h1>"
    + b"".join(b"<p>Paragraph %d says something about the headers a server sends and how they are kept.</p>" % i for i in range(8))
    + b"</article></body></html>"
)


def _head(*lines: bytes) -> bytes:
    return b"".join(line + b"\r\n" for line in lines) + b"\r\n"


#: What the server sends before the body, each path its own.
ARTICLE_HEAD = _head(
    b"HTTP/1.1 200 Fine",
    b"x-Served-By: raw socket",
    b"set-cookie: first=1; Path=/",
    b"ETAG: \"odd-1\"",
    b"Set-Cookie: second=2; Path=/",
    b"content-type: text/html; charset=utf-8",
    b"Cache-control: no-cache,",
    b"\tmax-age=0",  # a folded line
    b"Connection: keep-alive",
    b"content-LENGTH: %d" % len(PAGE),
)
CHUNKED_HEAD = _head(
    b"HTTP/1.1 200 Quite Fine Indeed",
    b"Transfer-Encoding: chunked",
    b"Content-Type: text/html; charset=utf-8",
    b"X-Later: yes",
    b"x-later: again",
)
#: A 1xx the client did not ask for, which Twisted skips: not stored.
INFORMATIONAL = _head(b"HTTP/1.1 103 Early Hints", b"Link: </x.css>; rel=preload")


def _chunked(body: bytes) -> bytes:
    half = len(body) // 2
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:half], body[half:])) + b"0\r\n\r\n"


def _listing(base: str) -> bytes:
    links = "".join(f"<li><a href='{base}{path}'>{path}</a></li>" for path in (ARTICLE, CHUNKED_ARTICLE))
    return f"<html><head><title>News</title></head><body><ul>{links}</ul></body></html>".encode()


class _RawHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while True:  # keep-alive: one request after another on the connection
            request_line = self.rfile.readline()
            if not request_line:
                return
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            path = request_line.split()[1].decode()
            self.server.paths.append(path)
            if path == ARTICLE:
                self.wfile.write(ARTICLE_HEAD + PAGE)
            elif path == CHUNKED_ARTICLE:
                self.wfile.write(INFORMATIONAL + CHUNKED_HEAD + _chunked(PAGE))
            elif path == "/news/":
                body = _listing(self.server.base)
                self.wfile.write(_head(b"HTTP/1.1 200 OK", b"Content-Type: text/html", b"Content-Length: %d" % len(body)) + body)
            else:
                body = b"User-agent: *\nAllow: /\n" if path == "/robots.txt" else b"not here"
                status = b"200 OK" if path == "/robots.txt" else b"404 Not Found"
                self.wfile.write(_head(b"HTTP/1.1 " + status, b"Content-Type: text/plain", b"Content-Length: %d" % len(body)) + body)
            self.wfile.flush()


@contextmanager
def raw_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RawHandler)
    server.daemon_threads = True
    server.paths = []
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = tmp_path_factory.mktemp("rawhead")
    with raw_server() as server:
        config = root / "sources.yaml"
        config.write_text(
            "sources:\n  - name: raw\n"
            f"    start_urls: ['{server.base}/news/']\n    delay: 0\n    requisites: false\n"
            "    article_pattern: ['/articles/[a-z-]+\\.html$']\n"
        )
        result = run("crawl", "--config", config, "--data", root / "data")
        assert result.returncode == 0, result.stdout + result.stderr
        assert_no_traceback(result.stdout + result.stderr)
        yield server, root / "data"


def stored_head(data: Path, url: str) -> bytes:
    """The HTTP head of ``url``'s response record, as its bytes lie in the WARC file."""
    (capture,) = query(data, "SELECT warc_file, offset FROM captures WHERE url = ? AND record_type = 'response'", [url])
    path = next((data / "warcs").rglob(Path(capture["warc_file"]).name))
    with path.open("rb") as stream:
        stream.seek(capture["offset"])
        record = next(iter(ArchiveIterator(stream, no_record_parse=True)))
        block = record.raw_stream.read()
    return block[: block.index(b"\r\n\r\n") + 4]


def test_the_head_is_stored_byte_for_byte(crawled):
    server, data = crawled
    assert stored_head(data, server.base + ARTICLE) == ARTICLE_HEAD


def test_a_chunked_head_loses_only_its_framing_and_no_informational_head_is_kept(crawled):
    server, data = crawled
    expected = CHUNKED_HEAD.replace(b"Transfer-Encoding: chunked\r\n", b"").removesuffix(b"\r\n") + b"Content-Length: %d\r\n\r\n" % len(PAGE)
    assert stored_head(data, server.base + CHUNKED_ARTICLE) == expected


def test_both_articles_are_pages_and_every_file_passes_warcio_check(crawled):
    server, data = crawled
    titles = {row["url"]: row["title"] for row in query(data, "SELECT url, title FROM pages")}
    assert titles == {server.base + ARTICLE: "An odd head", server.base + CHUNKED_ARTICLE: "An odd head"}
    files = sorted((data / "warcs").rglob("*.warc.gz"))
    assert files
    for path in files:
        check = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v", str(path)],
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr


def test_pywb_replays_the_page_with_its_own_headers(crawled):
    server, data = crawled
    (capture,) = query(data, "SELECT captured_at FROM captures WHERE url = ? AND record_type = 'response'", [server.base + ARTICLE])
    stamp = "".join(ch for ch in capture["captured_at"] if ch.isdigit())[:14]
    with cli_server("replay", data) as base:
        with urllib.request.urlopen(f"{base}{stamp}id_/{server.base}{ARTICLE}", timeout=60) as response:
            assert response.status == 200
            assert response.read() == PAGE
            assert response.headers["X-Served-By"] == "raw socket"
            assert response.headers.get_all("Set-Cookie") and len(response.headers.get_all("Set-Cookie")) == 2


# -- the rules, without a crawl -------------------------------------------------


def test_a_head_that_already_states_the_stored_length_is_kept_as_is():
    lines = ARTICLE_HEAD.split(b"\n")[:-1]
    assert received_response_head(lines, len(PAGE)) == ARTICLE_HEAD


def test_a_wrong_length_is_corrected_in_place_and_a_second_one_dropped():
    lines = [b"HTTP/1.0 404 Gone Away\r", b"content-length: 99\r", b"X-A: 1\r", b"Content-Length: 98\r", b"\r"]
    assert received_response_head(lines, 7) == b"HTTP/1.0 404 Gone Away\r\ncontent-length: 7\r\nX-A: 1\r\n\r\n"


def test_bare_line_feeds_are_kept_and_the_added_length_follows_them():
    lines = [b"HTTP/1.1 200 OK", b"Transfer-Encoding: chunked", b"  gzip", b"X-A: 1", b""]
    assert received_response_head(lines, 3) == b"HTTP/1.1 200 OK\nX-A: 1\nContent-Length: 3\n\n"


def test_a_received_head_that_disagrees_with_the_response_is_not_used():
    lines = [b"HTTP/1.1 302 Found\r", b"Location: /x\r", b"\r"]
    rebuilt = response_head(200, "OK", "HTTP/1.1", [("Content-Type", "text/html")], 0, lines)
    assert rebuilt == b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n"


def test_a_head_without_its_blank_line_is_refused():
    with pytest.raises(InvalidExchangeError, match="does not end in a blank line"):
        response_head(200, "OK", "HTTP/1.1", [], 0, [b"HTTP/1.1 200 OK\r", b"X-A: 1\r"])


def test_the_handler_is_scrapys_for_http_and_https():
    from scrapy.settings import Settings

    from crawler import settings as project

    configured = Settings(vars(project)).getdict("DOWNLOAD_HANDLERS")
    assert configured == {"http": "crawler.rawhead.RawHeadDownloadHandler", "https": "crawler.rawhead.RawHeadDownloadHandler"}


def test_a_line_without_a_colon_is_kept_as_received():
    # Scrapy's lenient parser skips it; the record keeps it, and warcio's reader skips it too
    lines = [b"HTTP/1.1 200 OK\r", b"this is no header\r", b"X-A: 1\r", b"Content-Length: 2\r", b"\r"]
    assert received_response_head(lines, 2) == b"\n".join(lines) + b"\n"
