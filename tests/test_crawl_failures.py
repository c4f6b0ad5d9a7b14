"""A crawl names why a source failed (issue 18, item 2), and its limits are
a source's keys (item 4): `timeout`, and `max_body_size`, past which a body
is archived up to the cap and marked `WARC-Truncated: length`, not dropped."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio_main

from crawler.failures import cause_of, summary

BIG = 200 * 1024


class Site(BaseHTTPRequestHandler):
    """/missing/ answers 404; /closed/ is forbidden by robots.txt; /slow/
    never answers; /big/ links an article of 200 KB; the rest is plain."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/robots.txt":
            return self.reply(200, b"User-agent: *\nDisallow: /closed/\n", "text/plain")
        if self.path.startswith("/missing/"):
            return self.reply(404, b"<html><body>gone</body></html>")
        if self.path.startswith("/slow/"):
            threading.Event().wait(5)  # past the source's timeout of 1 s
            return None
        if self.path == "/big/":
            return self.reply(200, b"<html><body><a href='/big/story.html'>story</a></body></html>")
        if self.path == "/big/story.html":
            paragraph = b"<p>" + b"A long report on the harbour, the council and the budget. " * 20 + b"</p>"
            body = b"<html><head><title>Long story</title></head><body><article><h1>Long story</h1>"
            return self.reply(200, (body + paragraph * (BIG // len(paragraph) + 1))[:BIG])
        return self.reply(200, b"<html><body>ok</body></html>")

    def reply(self, status: int, body: bytes, kind: str = "text/html; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = tmp_path_factory.mktemp("failures")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    sources = {
        "refused": f"http://127.0.0.1:{closed}/",
        "tls": f"https://127.0.0.1:{server.server_address[1]}/",  # a plain HTTP server, asked for TLS
        "slow": f"{base}/slow/",
        "missing": f"{base}/missing/",
        "robots": f"{base}/closed/",
        "big": f"{base}/big/",
    }
    config = root / "sources.yaml"
    config.write_text(
        "defaults: {delay: 0, concurrency: 2, timeout: 1, max_body_size: 64KB}\nsources:\n" + "".join(
            f"  - name: {name}\n    start_urls: ['{url}']\n    article_pattern: ['/story\\.html$']\n"
            for name, url in sources.items()
        ),
        encoding="utf-8",
    )
    try:
        run = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(root / "data")],
            capture_output=True, text=True, timeout=300, check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.split() and line.split()[0] in sources}
    return root, run, lines


@pytest.mark.parametrize(("source", "said"), [
    ("refused", "FAILED (no page could be fetched: connection refused ×"),
    ("tls", "FAILED (no page could be fetched: TLS ×"),
    ("slow", "FAILED (no page could be fetched: timeout ×"),
    ("missing", "FAILED (the site answered only errors: HTTP 404 ×1)"),
    ("robots", "FAILED (no page could be fetched: forbidden by robots.txt ×1)"),
])
def test_the_summary_names_why_a_source_failed(crawled, source, said):
    _, run, lines = crawled
    assert run.returncode == 1, run.stdout + run.stderr
    assert said in lines[source], lines[source]


def test_a_body_past_max_body_size_is_archived_up_to_it_and_marked_truncated(crawled):
    root, _, lines = crawled
    assert lines["big"].split()[-1] != "FAILED" and "ok (1 body(ies) cut at max_body_size" in lines["big"], lines["big"]
    records = []
    for path in sorted((root / "data" / "warcs").glob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, check_digests=True):
                if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI").endswith("/story.html"):
                    records.append((dict(record.rec_headers.headers), record.http_headers, record.content_stream().read()))
    ((headers, http, body),) = records
    assert headers["WARC-Truncated"] == "length"
    assert len(body) == 64 * 1024 and http.get_header("Content-Length") == str(64 * 1024)
    for path in (root / "data" / "warcs").glob("*.warc.gz"):
        with pytest.raises(SystemExit) as checked:
            warcio_main(["check", str(path)])
        assert checked.value.code in (0, None), path


def test_causes_that_no_local_server_can_show():
    """A failed DNS lookup (a test may not ask a resolver) and a TLS failure
    inside Twisted's ResponseNeverReceived."""
    from OpenSSL.SSL import Error as TLSError

    assert cause_of(Failure(DNSLookupError("nowhere.example"))) == "DNS lookup failed"
    assert cause_of(Failure(ResponseNeverReceived([Failure(TLSError([("SSL routines", "", "wrong version number")]))]))) == "TLS"
    assert summary({"timeout": 1, "HTTP 404": 3, "TLS": 1}) == "HTTP 404 ×3, TLS ×1, timeout ×1"


@pytest.mark.parametrize(("yaml_value", "message"), [
    ("timeout: 0", "timeout: 0 must be a number of seconds, more than 0"),
    ("max_body_size: lots", "max_body_size: 'lots' must be a size"),
])
def test_bad_limits_are_refused_in_one_line(tmp_path, yaml_value, message):
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: one\n    start_urls: ['http://127.0.0.1:9/']\n    {yaml_value}\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "crawler.cli", "sources", "--config", str(config), "--data", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and message in run.stderr, run.stderr


def test_the_readmes_list_of_source_keys_is_the_loaders():
    """Every key the sources-file loader takes is documented in the README's
    "Keys:" paragraph, and it documents no key the loader refuses."""
    import re
    from pathlib import Path

    from archive.sources import _KNOWN_KEYS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Keys: `name` (required)"):]
    paragraph = paragraph[:paragraph.index("\n\n")]
    documented = set(re.findall(r"`([a-z_]+)", paragraph))
    assert _KNOWN_KEYS <= documented, sorted(_KNOWN_KEYS - documented)
    top_level = paragraph.removeprefix("Keys: ")
    while re.search(r"\([^()]*\)", top_level):  # what is said of a key, in parentheses, names other things
        top_level = re.sub(r"\([^()]*\)", "", top_level)
    listed = {key for item in top_level.split(";") for key in re.findall(r"`([a-z_]+)", item.split(".")[0])}
    assert listed <= _KNOWN_KEYS, sorted(listed - _KNOWN_KEYS)
    assert len(listed) > 25


def test_articles_requisites_and_the_rest_are_counted_apart(crawled):
    """Counts that add up (issue 18, item 3): a column each for articles
    (found/archived/failed), requisites and the other pages (archived/failed),
    and a line that says what the numbers mean."""
    _, run, lines = crawled
    assert lines["big"].split()[1:4] == ["1/1/0", "0/0", "2/0"], lines["big"]  # robots.txt and the listing
    assert lines["missing"].split()[1:4] == ["0/0/0", "0/0", "2/1"], lines["missing"]  # its 404 listing: archived, failed
    header = next(line for line in run.stdout.splitlines() if line.startswith("source "))
    assert header.split() == ["source", "articles", "requisites", "other", "result"]
    assert "articles: found/archived/failed (found: article URLs this run knew of" in run.stdout
