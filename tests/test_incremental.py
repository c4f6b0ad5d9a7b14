"""Routine runs over a site whose pages change between runs: revisits for
what did not change, versions for edits, events for takedowns."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from email.utils import formatdate
from hashlib import sha1
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio_main

from archive.warc.records import IDENTICAL_PAYLOAD_DIGEST, SERVER_NOT_MODIFIED
from tests.indexdb import query

PARAGRAPH = (
    "The regional council met on {day} to discuss the harbour renovation plan, which has been delayed "
    "for three years because of disputes over the budget and the choice of contractors. "
)


def article(title: str, body: str, extra: str = "") -> bytes:
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><nav><a href='/news/'>News</a></nav>"
        f"<article><h1>{title}</h1><p class='byline'>By Anna Smith</p>{extra}<p>{body}</p>"
        + "".join(f"<p>{PARAGRAPH.format(day=d)}</p>" for d in ("Monday", "Tuesday", "Wednesday", "Thursday"))
        + "</article></body></html>"
    ).encode()


class Site:
    """Pages by run number (1, 2, 3); /news/ lists the seven articles."""

    def __init__(self):
        self.run = 1
        self.lock = threading.Lock()

    def page(self, path: str) -> tuple[int, dict[str, str], bytes]:
        run = self.run
        if path == "/news/":
            links = "".join(f"<a href='/a/{n}.html'>story {n}</a> " for n in range(1, 8))
            return 200, {"ETag": '"news-1"', "Last-Modified": formatdate(1700000000, usegmt=True)}, f"<html><body>{links}</body></html>".encode()
        if path == "/a/1.html":  # unchanged, with validators: 304 on re-check
            return 200, {"ETag": '"a1"', "Last-Modified": formatdate(1700000000, usegmt=True)}, article("Harbour plan delayed", "Nothing new here.")
        if path == "/a/2.html":  # unchanged, no validators: identical payload
            return 200, {}, article("Budget vote", "The budget vote was postponed again.")
        if path == "/a/3.html":  # text edited in run 2
            body = "The mayor resigned on Friday." if run == 1 else "The mayor resigned on Friday after a long dispute with the council."
            return 200, {}, article("Mayor resigns", body)
        if path == "/a/4.html":  # title edited in run 2
            return 200, {}, article("Ferry strike" if run == 1 else "Ferry strike ends", "Ferries stopped for a day.")
        if path == "/a/5.html":  # removed in run 2, back in run 3
            if run == 2:
                return 404, {}, b"<html><body>Not found</body></html>"
            return 200, {}, article("Tram line", "A new tram line opens in spring.")
        if path == "/a/6.html":  # redirected to the home page in run 2
            if run >= 2:
                return 301, {"Location": "/"}, b""
            return 200, {}, article("Bridge repairs", "The old bridge is closed for repairs.")
        if path == "/a/7.html":  # only noise changes: relative time and a view counter
            extra = f"<p>Updated {run * 5} minutes ago · {run * 1000 + 17} views</p>"
            return 200, {}, article("Park reopens", "The city park reopened this week.", extra)
        if path == "/":
            return 200, {}, b"<html><body><a href='/news/'>News</a></body></html>"
        return 404, {}, b"no"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site

    def do_GET(self):
        status, headers, body = self.site.page(self.path)
        etag = headers.get("ETag")
        if status == 200 and etag and self.headers.get("If-None-Match") == etag:
            status, body = 304, b""
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    site = Site()
    handler = type("BoundHandler", (Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = tmp_path_factory.mktemp("incremental")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = root / "sources.yaml"
    config.write_text(
        "sources:\n  - name: town\n"
        f"    start_urls: ['{base}/news/']\n    delay: 0\n    concurrency: 4\n"
        "    article_pattern: ['/a/\\d+\\.html$']\n    follow_pattern: ['/news/$']\n"
    )
    data = root / "data"
    outputs = []
    try:
        for run in (1, 2, 3):
            site.run = run
            args = ["crawl", "--config", str(config), "--data", str(data), "--log-level", "INFO"]
            if run > 1:
                args += ["--recheck", "all"]
            outputs.append(cli(*args))
    finally:
        server.shutdown()
        server.server_close()
    yield base, data, outputs


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, timeout=300, check=False)


def test_all_three_runs_succeed(runs):
    _, _, outputs = runs
    for run in outputs:
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.splitlines()[-1].startswith("run ")


def test_unchanged_pages_become_revisits_with_the_right_profile(runs):
    base, data, _ = runs
    rows = query(data, "SELECT url, record_type, status, revisit_profile, refers_to FROM captures ORDER BY captured_at, id")
    a1 = [r for r in rows if r["url"] == f"{base}/a/1.html"]
    a2 = [r for r in rows if r["url"] == f"{base}/a/2.html"]
    assert [r["record_type"] for r in a1] == ["response", "revisit", "revisit"]
    assert {r["revisit_profile"] for r in a1[1:]} == {SERVER_NOT_MODIFIED}
    assert {r["status"] for r in a1[1:]} == {304}
    assert [r["record_type"] for r in a2] == ["response", "revisit", "revisit"]
    assert {r["revisit_profile"] for r in a2[1:]} == {IDENTICAL_PAYLOAD_DIGEST}
    originals = {r["refers_to"] for r in a1[1:] + a2[1:]}
    found = query(data, f"SELECT record_id FROM captures WHERE record_id IN ({','.join('?' * len(originals))}) AND record_type = 'response'", list(originals))
    assert len(found) == 2  # each revisit points at the full capture of its URL
    news = [r for r in rows if r["url"] == f"{base}/news/"]
    assert [r["status"] for r in news] == [200, 304, 304]


def test_revisit_records_in_the_warc(runs):
    _, data, _ = runs
    revisits = []
    for path in sorted((data / "warcs").glob("*.warc.gz")):
        with pytest.raises(SystemExit) as exit_:
            warcio_main(["check", str(path)])
        assert exit_.value.code in (0, None)
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "revisit":
                    revisits.append(record)
                    assert record.rec_headers.get_header("WARC-Refers-To-Target-URI") == record.rec_headers.get_header("WARC-Target-URI")
                    assert record.rec_headers.get_header("WARC-Refers-To-Date")
                    assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
                    assert record.content_stream().read() == b""
    assert len(revisits) >= 6


def test_exactly_the_edited_pages_gain_a_version(runs):
    base, data, _ = runs
    versions = {r["url"]: r["n"] for r in query(data, "SELECT url, count(*) AS n FROM page_versions GROUP BY url")}
    assert versions == {
        f"{base}/a/1.html": 1, f"{base}/a/2.html": 1, f"{base}/a/3.html": 2, f"{base}/a/4.html": 2,
        f"{base}/a/5.html": 1, f"{base}/a/6.html": 1, f"{base}/a/7.html": 1,
    }
    noisy = query(data, "SELECT record_type FROM captures WHERE url = ? ORDER BY captured_at", [f"{base}/a/7.html"])
    assert [r["record_type"] for r in noisy] == ["response"] * 3  # its bytes changed, its text did not


def test_exactly_the_removed_pages_are_marked_and_the_return_recorded(runs):
    base, data, _ = runs
    events = query(data, "SELECT url, event, detail FROM page_events WHERE event IN ('removed', 'restored') ORDER BY url, at")
    assert [(e["url"], e["event"]) for e in events] == [
        (f"{base}/a/5.html", "removed"),
        (f"{base}/a/5.html", "restored"),
        (f"{base}/a/6.html", "removed"),
    ]
    assert events[0]["detail"] == "HTTP 404" and events[2]["detail"] == f"HTTP 301 to {base}/"
    (page,) = query(data, "SELECT removed_at FROM pages WHERE url = ?", [f"{base}/a/6.html"])
    assert page["removed_at"]
    (back,) = query(data, "SELECT removed_at FROM pages WHERE url = ?", [f"{base}/a/5.html"])
    assert back["removed_at"] is None


def test_changes_json_lists_them(runs):
    base, data, outputs = runs
    second_run_start = json.loads(sorted((data / "runs").glob("*.json"))[1].read_text())["started"]
    result = cli("changes", "--since", second_run_start, "--json", "--data", str(data))
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)["town"]
    assert sorted(c["url"] for c in changes["edited"]) == [f"{base}/a/3.html", f"{base}/a/4.html"]
    assert sorted(c["url"] for c in changes["removed"]) == [f"{base}/a/5.html", f"{base}/a/6.html"]
    assert [c["url"] for c in changes["restored"]] == [f"{base}/a/5.html"]
    assert changes["new"] == []
    assert "2 edited, 2 removed" in outputs[1].stdout.splitlines()[-1]


def test_history_and_word_diff(runs):
    base, data, _ = runs
    result = cli("history", f"{base}/a/3.html", "--json", "--data", str(data))
    assert result.returncode == 0, result.stderr
    history = json.loads(result.stdout)
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert history["versions"][1]["words_added"] == 8 and history["versions"][1]["words_removed"] == 1
    result = cli("diff", f"{base}/a/3.html", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert "[-Friday.-] {+Friday after a long dispute with the council.+}" in " ".join(result.stdout.split())
    result = cli("diff", f"{base}/a/4.html", "--data", str(data))
    assert "title: [-Ferry strike-]{+Ferry strike ends+}" in result.stdout


def test_diff_of_a_page_with_one_version_says_so(runs):
    base, data, _ = runs
    (unchanged,) = query(data, "SELECT url FROM pages WHERE url = ?", [f"{base}/a/1.html"])
    assert len(query(data, "SELECT version FROM page_versions WHERE url = ?", [unchanged["url"]])) == 1
    result = cli("diff", unchanged["url"], "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{unchanged['url']} has one version (v1, captured ")
    assert "nothing to compare" in result.stdout and "---" not in result.stdout
    result = cli("diff", f"{base}/a/3.html", "--from", "2", "--to", "2", "--data", str(data))
    assert result.returncode == 2 and "both name v2" in result.stderr


def test_each_version_text_is_stored_once_and_history_gives_every_text(runs):
    base, data, _ = runs
    edited = f"{base}/a/3.html"
    rows = query(data, "SELECT version, text FROM page_versions WHERE url = ? ORDER BY version", [edited])
    (page,) = query(data, "SELECT text FROM pages WHERE url = ?", [edited])
    # the current version's text is the page's; the older one keeps its own
    assert [r["text"] is None for r in rows] == [False, True]
    assert rows[0]["text"] != page["text"]
    assert query(data, "SELECT count(*) AS n FROM page_versions v JOIN pages p ON p.url = v.url"
                       " WHERE v.text = p.text")[0]["n"] == 0
    result = cli("history", edited, "--json", "--data", str(data))
    texts = [v["text"] for v in json.loads(result.stdout)["versions"]]
    assert texts == [rows[0]["text"], page["text"]]
    assert "Friday after a long dispute with the council." in texts[1]


def test_report_per_run(runs):
    _, data, _ = runs
    reports = [json.loads(p.read_text()) for p in sorted((data / "runs").glob("*.json"))]
    assert len(reports) == 3
    assert reports[0]["changes"]["new"] == 7
    assert reports[1]["changes"] == {"new": 0, "edited": 2, "removed": 2, "restored": 0}
    assert reports[2]["changes"]["restored"] == 1
    assert all(r["exit_code"] == 0 and r["warc_bytes"] > 0 for r in reports)


def test_replay_index_points_304_revisits_at_their_original(runs):
    base, data, _ = runs
    lines = (data / "replay" / "index.cdxj").read_text().splitlines()
    assert lines == sorted(lines)
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines if f"{base}/a/1.html" in line.split(" ", 2)[2]]
    assert [e.get("recorded_status") for e in entries] == [None, "304", "304"]
    original = entries[0]
    for revisit in entries[1:]:  # replayed from the original record, the 304 kept on record
        assert (revisit["filename"], revisit["offset"], revisit["status"]) == (original["filename"], original["offset"], "200")
        assert revisit["recorded_filename"] != original["filename"]
    identical = [json.loads(l.split(" ", 2)[2]) for l in lines if f"{base}/a/2.html" in l.split(" ", 2)[2]]
    assert [e["mime"] for e in identical] == ["text/html", "warc/revisit", "warc/revisit"]  # pywb resolves these itself


def test_changes_as_an_atom_feed_from_the_cli_and_the_ui(runs):
    """`changes --atom`: an entry per event, newest first; an edit's entry
    links to its diff page and to the replay of both versions, and shows the
    word diff. `mediarchive ui` serves the same feed and the diff page."""
    import re
    import urllib.request

    import feedparser

    from tests.servers import cli_server

    base, data, _ = runs
    run = cli("changes", "--atom", "--replay-url", "http://replay.test/archive/", "--ui-url", "http://ui.test",
              "--data", str(data))
    assert run.returncode == 0, run.stderr
    feed = feedparser.parse(run.stdout)
    assert not feed.bozo, feed.bozo_exception
    events = query(data, "SELECT event, url, at FROM page_events ORDER BY at DESC, id DESC")
    assert [(e.title.split(":")[0], e.link) for e in feed.entries] == [(e["event"], e["url"]) for e in events]
    assert feed.feed.links[0].href == "http://ui.test/-/changes.atom"
    # each entry's id is an IRI (RFC 4287), a URN of its own
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", e.id) for e in feed.entries), [e.id for e in feed.entries]
    assert len({e.id for e in feed.entries}) == len(feed.entries)
    edits = [e for e in feed.entries if e.title.startswith("edited: ") and e.link == f"{base}/a/3.html"]
    (edit,) = edits
    captured = [v["captured_at"] for v in query(data, "SELECT captured_at FROM page_versions WHERE url = ? ORDER BY version",
                                                [f"{base}/a/3.html"])]
    related = [link.href for link in edit.links if link.rel == "related"]
    stamps = [re.sub(r"\D", "", at)[:14] for at in captured]
    assert related[:2] == [f"http://replay.test/archive/{stamp}/{base}/a/3.html" for stamp in stamps]
    assert related[2].startswith("http://ui.test/-/diff?") and "from=1" in related[2] and "to=2" in related[2]
    assert "<ins>Friday after a long dispute with the council.</ins>" in edit.content[0].value
    assert cli("changes", "--atom", "--json", "--data", str(data)).returncode == 2

    with cli_server("ui", data) as ui:
        with urllib.request.urlopen(ui + "-/changes.atom", timeout=60) as response:
            assert response.headers["Content-Type"].startswith("application/atom+xml")
            served = feedparser.parse(response.read())
        assert [e.id for e in served.entries] == [e.id for e in feed.entries]
        diff = [link.href for link in served.entries[feed.entries.index(edit)].links if "/-/diff?" in link.href][0]
        assert diff.startswith(ui)
        with urllib.request.urlopen(diff, timeout=60) as response:
            page = response.read().decode("utf-8")
        assert "<ins>Friday after a long dispute with the council.</ins>" in page and "version 2" in page
