"""`mediarchive add URL...` (issue 18, item 6): single pages archived now,
with their requisites, extracted, indexed and replayable, each filed under
the source of its domain, else `--source`, else none.

One local site serves every test: a story with a stylesheet, an image and
links (never followed), a 404, and a page on "localhost" (the same server
under a host name no source holds). Two add runs, shared by the module's
tests: the first adds three URLs; the second, on a copy of its data, adds
the story again and a "localhost" page under `--source`."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.index.lock import DataLock
from archive.index.store import Index
from crawler.cli import main
from tests.commands import assert_no_traceback, copy_of, run

STORY = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Buckwheat harvest report</title>"
    "<link rel='stylesheet' href='/assets/site.css'></head><body><article><h1>Buckwheat harvest report</h1>"
    "<img src='/assets/lead.png' alt='lead'>"
    + "<p>Farmers in the valley gathered a record harvest of buckwheat this autumn, the cooperative said.</p>" * 5
    + "<p><a href='/elsewhere/linked.html'>a link that add does not follow</a></p></article></body></html>"
).encode()
ASIDE = (
    "<!doctype html><html lang='en'><head><title>Lighthouse keepers</title><link rel='stylesheet' href='/assets/site.css'>"
    "</head><body><article><h1>Lighthouse keepers</h1>"
    + "<p>The last lighthouse keepers of the northern coast retired this spring after forty years of service.</p>" * 5
    + "</article></body></html>"
).encode()
PAGES = {
    "/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n"),
    "/stories/harvest.html": (200, "text/html; charset=utf-8", STORY),
    "/notes/lighthouse.html": (200, "text/html; charset=utf-8", ASIDE),
    "/notes/keepers.html": (200, "text/html; charset=utf-8", ASIDE.replace(b"Lighthouse keepers", b"Keepers' logbooks")),
    "/assets/site.css": (200, "text/css", b"body { background: rgb(250, 240, 200); }"),
    "/assets/lead.png": (200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    "/elsewhere/linked.html": (200, "text/html", b"<html><body>never fetched</body></html>"),
}
REDIRECTS = {"/old/keepers.html": "/notes/keepers.html"}


class Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: (path, If-None-Match, If-Modified-Since) of every request
    seen: list[tuple[str, str | None, str | None]] = []

    def do_GET(self):
        self.seen.append((self.path, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")))
        if self.path in REDIRECTS:
            self.send_response(301)
            self.send_header("Location", REDIRECTS[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, kind, body = PAGES.get(self.path, (404, "text/html", b"<html><body>no such page</body></html>"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"v1"')
        self.send_header("Last-Modified", "Mon, 02 Nov 2026 10:00:00 GMT")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        yield f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def config(site, tmp_path_factory):
    """One source, `local`, on 127.0.0.1, whose article_pattern matches none
    of the pages added (add extracts them all the same)."""
    base, _ = site
    path = tmp_path_factory.mktemp("add-config") / "sources.yaml"
    path.write_text(
        "defaults: {delay: 0, concurrency: 4}\nsources:\n  - name: local\n"
        f"    start_urls: ['{base}/news/']\n    article_pattern: ['/articles/']\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def added(site, config, tmp_path_factory):
    """The first run: the story (source `local`, by its domain), a page on
    "localhost" (no source), a 404 and a page that moved."""
    base, other = site
    data = tmp_path_factory.mktemp("add") / "data"
    urls = [f"{base}/stories/harvest.html", f"{other}/notes/lighthouse.html", f"{base}/gone.html", f"{base}/old/keepers.html"]
    result = run("add", *urls, "--config", config, "--data", data)
    return data, urls, result, list(Site.seen)


@pytest.fixture(scope="module")
def added_again(added, site, config, tmp_path_factory):
    """The second run, on a copy of the first's data: the story again, and
    a "localhost" page filed under `--source local`."""
    data = copy_of(added[0], tmp_path_factory.mktemp("add-again"))
    base, other = site
    before = len(Site.seen)
    urls = [f"{base}/stories/harvest.html", f"{other}/notes/keepers.html"]
    result = run("add", *urls, "--source", "local", "--config", config, "--data", data)
    return data, urls, result, Site.seen[before:]


def records(data: Path) -> list[dict]:
    found = []
    for path in sorted((data / "warcs").rglob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                headers = record.rec_headers
                entry = {"file": path.name, "type": record.rec_type, "url": headers.get_header("WARC-Target-URI")}
                if record.rec_type == "metadata":
                    entry["fields"] = record.content_stream().read().decode()
                if record.http_headers is not None and record.rec_type in ("response", "revisit"):
                    entry["status"] = record.http_headers.get_statuscode()
                found.append(entry)
    return found


def test_a_page_is_archived_with_its_requisites_and_not_its_links(added):
    data, (story, *_), result, seen = added
    assert_no_traceback(result.stdout + result.stderr)
    responses = {r["url"]: r["status"] for r in records(data) if r["type"] == "response"}
    base = story.rsplit("/stories/", 1)[0]
    assert responses[story] == "200"
    assert responses[f"{base}/assets/site.css"] == "200" and responses[f"{base}/assets/lead.png"] == "200"
    assert "/elsewhere/linked.html" not in {path for path, *_ in seen}
    (metadata,) = [r for r in records(data) if r["type"] == "metadata" and r["url"] == story and "role:" in r["fields"]]
    assert "role: article" in metadata["fields"] and "source: local" in metadata["fields"]
    assert metadata["file"].startswith("local-")
    lines = result.stdout.splitlines()
    at = lines.index(f"{story}: HTTP 200, archived; source: local")
    assert lines[at + 1] == "  title:      Buckwheat harvest report"
    assert lines[at + 2] == "  requisites: 2 archived, 0 failed"
    assert lines[at + 3].startswith("  replay:     http://127.0.0.1:8080/archive/") and lines[at + 3].split()[1].endswith(f"/{story}")
    assert lines[at + 4] == f"  show:       mediarchive show {story}"


def test_the_page_is_extracted_searchable_and_in_the_replay_index(added):
    data, (story, *_), _, _ = added
    found = CliRunner().invoke(main, ["search", "buckwheat cooperative", "--json", "--data", str(data)])
    assert found.exit_code == 0, found.output
    (hit,) = json.loads(found.output)
    assert hit["url"] == story and hit["title"] == "Buckwheat harvest report" and hit["source"] == "local"
    assert "record harvest" in hit["text"]
    replayed = {json.loads(line.split(" ", 2)[2])["url"] for line in (data / "replay" / "index.cdxj").read_text().splitlines()}
    base = story.rsplit("/stories/", 1)[0]
    assert {story, f"{base}/assets/site.css", f"{base}/assets/lead.png"} <= replayed


def test_a_page_of_no_sources_domain_is_filed_under_no_source(added):
    data, (_, elsewhere, *_), result, _ = added
    with Index(data / "index.sqlite", readonly=True) as index:
        page = index.page(elsewhere)
        captures = index.captures_of(elsewhere)
    assert page is not None and page["title"] == "Lighthouse keepers" and not page["source"]
    assert captures and all(not capture["source"] for capture in captures)
    (metadata,) = [r for r in records(data) if r["type"] == "metadata" and r["url"] == elsewhere and "role:" in r["fields"]]
    assert metadata["file"].startswith("added-") and metadata["fields"].startswith("source: \r\n")
    assert f"{elsewhere}: HTTP 200, archived; source: none" in result.stdout.splitlines()


def test_a_404_is_archived_and_the_run_exits_1(added):
    data, (_, _, gone, _), result, _ = added
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(r["type"] == "response" and r["url"] == gone and r["status"] == "404" for r in records(data))
    assert f"{gone}: HTTP 404, FAILED (an error page, archived all the same); source: local" in result.stdout.splitlines()
    assert f"error: {gone}: HTTP 404 (archived)" in result.stderr
    assert result.stdout.splitlines()[-1].startswith("run ") and "3/4 page(s) archived" in result.stdout


def test_a_page_that_redirects_is_archived_and_extracted_where_it_leads(added):
    data, (*_, moved), result, _ = added
    target = moved.replace("/old/", "/notes/")
    with Index(data / "index.sqlite", readonly=True) as index:
        page = index.page(target)
        statuses = [c["status"] for c in index.captures_of(moved)]
    assert statuses == [301]
    (metadata,) = [r for r in records(data) if r["type"] == "metadata" and r["url"] == target and "role:" in r["fields"]]
    assert "role: article" in metadata["fields"]  # not judged again by local's article_pattern
    assert page is not None and page["title"] == "Keepers' logbooks" and page["source"] == "local"
    lines = result.stdout.splitlines()
    at = lines.index(f"{moved}: HTTP 200, archived; source: local")
    assert lines[at + 1:at + 3] == [f"  led to:     {target}", "  title:      Keepers' logbooks"]
    assert lines[at + 5] == f"  show:       mediarchive show {target}"


def test_a_page_added_twice_is_captured_twice_unconditionally(added_again):
    data, (story, _), result, seen = added_again
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("/stories/harvest.html", None, None) in seen  # no If-None-Match, no If-Modified-Since
    with Index(data / "index.sqlite", readonly=True) as index:
        captures = [c for c in index.captures_of(story) if c["status"] == 200]
    assert [c["record_type"] for c in captures] == ["response", "response"]
    assert len({c["record_id"] for c in captures}) == 2


def test_source_names_the_source_of_a_page_of_no_sources_domain(added_again):
    data, (_, keepers), result, _ = added_again
    with Index(data / "index.sqlite", readonly=True) as index:
        page = index.page(keepers)
    assert page is not None and page["source"] == "local" and page["title"] == "Keepers' logbooks"
    assert f"{keepers}: HTTP 200, archived; source: local" in result.stdout.splitlines()


@pytest.mark.parametrize(("arguments", "said"), [
    (["ftp://example.org/file.txt"], "error: 'ftp://example.org/file.txt' is not an http(s) URL"),
    (["example.org/story.html"], "error: 'example.org/story.html' is not an http(s) URL"),
    (["https://example.org/story.html", "--source", "nope"], "error: "),
])
def test_a_bad_url_or_an_unknown_source_is_one_line_and_exit_2(tmp_path, config, arguments, said):
    result = CliRunner().invoke(main, ["add", *arguments, "--config", str(config), "--data", str(tmp_path / "data")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(said) and result.output.count("\n") == 1, result.output
    assert not (tmp_path / "data").exists()
    if "nope" in arguments:
        assert "no source named 'nope' (known: local)" in result.output


def test_add_waits_for_no_other_run_exit_3(tmp_path, site, config):
    lock = DataLock(tmp_path / "data").acquire()
    try:
        result = run("add", f"{site[0]}/stories/harvest.html", "--config", config, "--data", tmp_path / "data")
    finally:
        lock.release()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "another run is in progress" in result.stderr
    assert_no_traceback(result.stdout + result.stderr)
