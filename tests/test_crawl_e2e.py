"""End to end: `mediarchive crawl` of a local site serving the 181 real
articles of the Zyte benchmark, then the WARC files, the index, `reindex`,
`search` and `show` checked against what the server sent.

The crawl runs as a subprocess (Twisted's reactor cannot restart in one
process), once for the module.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio_main

from archive.paths import DataDir
from archive.warc.readback import capture_record
from tests.localsite import LocalSite
from tests.servers import cli_server

CRAWL_TIMEOUT = 600


def mediarchive(*args: str, timeout: int = CRAWL_TIMEOUT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def sources_yaml(site: LocalSite, extra: str = "") -> str:
    base = site.base_url
    return f"""
defaults: {{delay: 0, concurrency: 8, requisites: false, user_agent: "mediarchive-test (+http://127.0.0.1/contact)"}}
sources:
  - name: local
    start_urls: ["{base}/news/"]
    feeds: ["{base}/feed.xml"]
    sitemaps: ["{base}/sitemap_index.xml"]
    allowed_domains: ["127.0.0.1"]
    article_pattern:
      - '/articles/[0-9a-f]{{64}}\\.html$'
      - '/(old|ru|files|private)/'
      - '/(missing|broken|cookies|empty|big)\\.html$'
      - '/search\\?q='
    follow_pattern: ['://[^/]+/news/(\\?page=\\d+)?$']
    language: en
{extra}"""


@pytest.fixture(scope="module")
def site():
    with LocalSite() as running:
        yield running


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    root = tmp_path_factory.mktemp("crawl")
    config = root / "sources.yaml"
    config.write_text(sources_yaml(site))
    data = DataDir(root / "data")
    run = mediarchive("crawl", "--config", str(config), "--data", str(data.root))  # the default level, INFO
    db = sqlite3.connect(data.index_path)
    db.row_factory = sqlite3.Row
    yield run, data, db, config
    db.close()


def test_crawl_succeeds_with_a_summary(crawled):
    run, data, *_ = crawled
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    line = next(l for l in run.stdout.splitlines() if l.startswith("local "))
    assert line.rstrip().endswith("ok (failed: HTTP 404 ×1, HTTP 500 ×1)")  # the site's two broken pages, named
    assert run.stdout.splitlines()[-1].startswith("run ")
    assert "Traceback" not in run.stderr
    log = (data.root / "logs" / "mediarchive.log").read_text()  # no terminal: the log goes to a file
    assert "Traceback" not in log and "Spider closed (finished)" in log
    assert " DEBUG: " not in log  # the level holds for Scrapy's loggers too
    (report,) = (data.root / "runs").glob("*.json")
    assert json.loads(report.read_text())["sources"][0]["succeeded"] is True


def test_scheduled_requests_wait_on_disk_and_go_with_the_run(crawled):
    """A sitemap of 100,000 articles held 100,000 Request objects in memory
    (600 MB): they wait in Scrapy's disk queues, scratch space of the run."""
    run, data, *_ = crawled
    log = (data.root / "logs" / "mediarchive.log").read_text()
    enqueued = {kind: int(n) for kind, n in re.findall(r"'scheduler/enqueued/(disk|memory)': (\d+)", log)}
    assert enqueued.get("disk", 0) > 10 and "memory" not in enqueued, enqueued
    assert not (data.root / "frontier" / "queues").exists()


def test_every_article_captured_and_indexed(site, crawled):
    _, _, db, _ = crawled
    for article_id in site.article_ids:
        url = site.article_url(article_id)
        statuses = [r["status"] for r in db.execute("SELECT status FROM captures WHERE url = ?", [url])]
        assert 200 in statuses, url
        page = db.execute("SELECT * FROM pages WHERE url = ?", [url]).fetchone()
        assert page is not None, url
        assert page["title"] and page["language"] and page["text"], url
        assert page["source"] == "local"


def test_russian_pages_get_ru(site, crawled):
    _, _, db, _ = crawled
    russian = [i for i in site.article_ids if re.search("[а-яА-Я]{4}", site.ground_truth(i)["articleBody"][:400])]
    assert len(russian) >= 4
    for article_id in russian:
        (language,) = db.execute("SELECT language FROM pages WHERE url = ?", [site.article_url(article_id)]).fetchone()
        assert language == "ru", article_id


def test_cp1251_pages_decoded_and_detected(site, crawled):
    _, _, db, _ = crawled
    for name in ("cp1251_declared_utf8", "cp1251_undeclared"):
        page = db.execute("SELECT * FROM pages WHERE url = ?", [site.extras[name].url]).fetchone()
        assert page is not None, name
        assert page["language"] == "ru"
        assert re.search("[а-яА-ЯёЁ]{5,}", page["title"]), page["title"]
        assert "\ufffd" not in page["text"]


def test_warcio_check_passes_on_every_file(crawled, capsys):
    _, data, _, _ = crawled
    files = sorted(data.warcs.rglob("*.warc.gz"))
    assert files and not list(data.warcs.rglob("*.open"))
    for path in files:
        with pytest.raises(SystemExit) as exit_:
            warcio_main(["check", str(path)])
        assert exit_.value.code in (0, None), capsys.readouterr().out


def test_every_index_row_reads_back_its_record(crawled):
    _, data, db, _ = crawled
    rows = db.execute("SELECT * FROM captures").fetchall()
    assert len(rows) > 181
    for row in rows:
        record = capture_record(data, dict(row))
        assert record.record_id == row["record_id"]
        assert record.url == row["url"]
        assert record.record_type == row["record_type"]
        assert record.status == row["status"]


def test_warc_layout_warcinfo_first_and_request_follows_response(crawled):
    _, data, _, _ = crawled
    for path in data.warcs.rglob("*.warc.gz"):
        with open(path, "rb") as fh:
            records = [(r.rec_type, r.rec_headers.get_header("WARC-Concurrent-To"), r.rec_headers.get_header("WARC-Record-ID"))
                       for r in ArchiveIterator(fh)]
        assert records[0][0] == "warcinfo"
        for (kind, _, rid), (next_kind, concurrent, _) in zip(records, records[1:]):
            if kind == "response":
                assert next_kind == "request" and concurrent == rid


def test_errors_redirects_and_odd_responses_are_archived(site, crawled):
    _, data, db, _ = crawled

    def captures(name):
        return db.execute("SELECT * FROM captures WHERE url = ?", [site.extras[name].url]).fetchall()

    (redirect,) = captures("redirect")
    assert redirect["status"] == 301 and redirect["redirect_to"] == site.extras["redirect"].location
    assert captures("missing")[0]["status"] == 404
    assert {r["status"] for r in captures("broken")} == {500}  # every retry archived
    assert len(captures("broken")) == 3
    for name, mime in (("pdf", "application/pdf"), ("png", "image/png")):
        (capture,) = captures(name)
        assert capture["status"] == 200 and capture["mime"] == mime
        assert db.execute("SELECT 1 FROM pages WHERE url = ?", [site.extras[name].url]).fetchone() is None
    (empty,) = captures("empty")
    assert empty["status"] == 200
    assert db.execute("SELECT 1 FROM pages WHERE url = ?", [site.extras["empty"].url]).fetchone() is None
    (big,) = captures("big")
    assert capture_record(data, dict(big)).body == site_body(site, "big")
    assert db.execute("SELECT title FROM pages WHERE url = ?", [site.extras["big"].url]).fetchone()[0]
    (query,) = captures("query")
    assert query["url"].endswith("/search?q=election+results&page=2")


def site_body(site, name):
    import urllib.request

    with urllib.request.urlopen(site.extras[name].url) as response:
        return response.read()


def test_robots_txt_obeyed_and_archived(site, crawled):
    _, _, db, _ = crawled
    assert not site.private_requested
    assert db.execute("SELECT 1 FROM captures WHERE url = ?", [site.robots_url]).fetchone()


def test_repeated_headers_kept(site, crawled):
    _, data, db, _ = crawled
    row = db.execute("SELECT * FROM captures WHERE url = ?", [site.extras["cookies"].url]).fetchone()
    record = capture_record(data, dict(row))
    cookies = [v for k, v in record.http_headers.headers if k.lower() == "set-cookie"]
    assert len(cookies) == 2


def test_gzip_bodies_stored_as_received(site, crawled):
    _, data, db, _ = crawled
    article_id = site.ids_with_encoding("gzip")[0]
    row = db.execute("SELECT * FROM captures WHERE url = ? AND status = 200", [site.article_url(article_id)]).fetchone()
    record = capture_record(data, dict(row))
    assert record.header("Content-Encoding") == "gzip"
    assert record.raw_body[:2] == b"\x1f\x8b"
    assert record.body == site.article_body(article_id)


def test_show_html_returns_the_bytes_the_server_sent(site, crawled):
    _, data, _, _ = crawled
    for kind in ("plain", "gzip", "chunked"):
        article_id = site.ids_with_encoding(kind)[1]
        run = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "show", site.article_url(article_id), "--html", "--data", str(data.root)],
            capture_output=True, timeout=120, check=False,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout == site.article_body(article_id), kind


def test_search_finds_a_ground_truth_sentence(site, crawled):
    _, data, _, _ = crawled
    hits = 0
    for article_id in site.article_ids[::30]:
        body = site.ground_truth(article_id)["articleBody"]
        sentence = next((s for s in re.split(r"(?<=[.!?])\s+", body) if 8 <= len(s.split()) <= 30), None)
        if sentence is None:
            continue
        words = re.findall(r"\w+", sentence)[:8]
        run = mediarchive("search", '"' + " ".join(words) + '"', "--json", "--data", str(data.root), timeout=120)
        assert run.returncode == 0, run.stderr
        results = json.loads(run.stdout)
        assert site.article_url(article_id) in [r["url"] for r in results], sentence
        assert {"url", "title", "author", "published", "language", "text"} <= set(results[0])
        hits += 1
    assert hits >= 4


def test_show_json(site, crawled):
    _, data, _, _ = crawled
    url = site.article_url(site.article_ids[0])
    run = mediarchive("show", url, "--json", "--data", str(data.root), timeout=120)
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["url"] == url and shown["title"] and shown["text"]
    assert {"author", "published", "language"} <= set(shown)
    assert shown["captures"][0]["status"] == 200


def test_reindex_reproduces_the_index(crawled):
    _, data, db, _ = crawled
    before = snapshot(db)
    run = mediarchive("reindex", "--data", str(data.root))
    assert run.returncode == 0, run.stderr
    fresh = sqlite3.connect(data.index_path)
    try:
        after = snapshot(fresh)
    finally:
        fresh.close()
    assert after == before
    assert len(after["pages"]) >= 181


def snapshot(db: sqlite3.Connection) -> dict[str, list]:
    captures = db.execute(
        "SELECT record_id, url, captured_at, record_type, status, mime, payload_digest, warc_file, offset, length,"
        " source, role, redirect_to, refers_to FROM captures ORDER BY record_id"
    ).fetchall()
    pages = db.execute(
        "SELECT p.url, p.source, p.title, p.author, p.published, p.language, p.text, c.record_id"
        " FROM pages p JOIN captures c ON c.id = p.capture_id ORDER BY p.url"
    ).fetchall()
    return {"captures": [tuple(r) for r in captures], "pages": [tuple(r) for r in pages]}


def test_unreachable_host_fails_its_source_and_the_crawl_goes_on(site, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"""
defaults: {{delay: 0, concurrency: 4, requisites: false}}
sources:
  - name: dead
    start_urls: ["http://127.0.0.1:{dead_port}/"]
  - name: alive
    # seeds sent together, while robots.txt is still being fetched
    start_urls: ["{site.base_url}/news/", "{site.base_url}/about/", "{site.base_url}/tag/politics/",
                 "{site.base_url}/private/secret.html", "{site.base_url}/private/other.html"]
    follow_pattern: ['/news/$']
    article_pattern: ['/articles/[0-9a-f]{{64}}\\.html$']
    max_pages: 5
"""
    )
    run = mediarchive("crawl", "--config", str(config), "--data", str(tmp_path / "data"), "--log-level", "ERROR")
    assert run.returncode == 1, run.stdout + run.stderr
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.split()}
    assert "FAILED" in lines["dead"] and "no page could be fetched" in lines["dead"]
    assert lines["alive"].rstrip().endswith("ok")
    assert "Traceback" not in run.stderr + (tmp_path / "data" / "logs" / "mediarchive.log").read_text()
    assert not site.private_requested  # robots.txt obeyed for requests sent together


def test_crawl_from_warc_finds_everything_without_the_network(site, crawled, tmp_path):
    _, data, _, config = crawled
    requests_before = len(site.requests)
    files = sorted(str(p) for p in data.warcs.rglob("*.warc.gz"))
    args = ["crawl", "--config", str(config), "--data", str(tmp_path / "data"), "--log-level", "INFO"]
    for path in files:
        args += ["--from-warc", path]
    run = mediarchive(*args)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(site.requests) == requests_before  # nothing was asked of the site
    line = next(l for l in run.stdout.splitlines() if l.startswith("local "))
    served = int(re.search(r"(\d+) served", line).group(1))
    assert served >= 181 + site.page_count and ", 0 missing" in line
    db = sqlite3.connect(tmp_path / "data" / "index.sqlite")
    try:
        pages = db.execute("SELECT count(*) FROM pages WHERE url LIKE '%/articles/%'").fetchone()[0]
        own_files = db.execute("SELECT count(*) FROM warc_files WHERE origin = 'crawl'").fetchone()[0]
    finally:
        db.close()
    assert pages == 181 and own_files == 0  # indexed from the imported files; no WARC of its own
    # captured by the crawl before, new to this archive in this run: counted so (issue 18, item 3)
    assert int(re.search(r"ok, (\d+) new,", run.stdout.splitlines()[-1]).group(1)) >= 181
    again = mediarchive(*args)  # the same files again: not imported twice
    assert again.returncode == 0
    assert ", 0 new," in again.stdout.splitlines()[-1]
    assert len(list((tmp_path / "data" / "warcs").rglob("*.warc.gz"))) == len(files)


def test_every_article_replays_with_its_headline(site, crawled):
    """Issue 5: the whole local crawl through `mediarchive replay` (pywb)."""
    import urllib.request

    _, data, db, _ = crawled
    with cli_server("replay", data.root) as base:
        for article_id in site.article_ids:
            url = site.article_url(article_id)
            (captured_at,) = db.execute("SELECT captured_at FROM captures WHERE url = ? AND status = 200", [url]).fetchone()
            stamp = re.sub(r"\D", "", captured_at)[:14]
            with urllib.request.urlopen(f"{base}{stamp}id_/{url}", timeout=60) as response:
                body = response.read()
            assert response.status == 200
            assert body == site.article_body(article_id), article_id  # the headline and all, as served


def test_wacz_of_the_whole_crawl_validates_and_round_trips(crawled, tmp_path):
    _, data, db, _ = crawled
    wacz = tmp_path / "local.wacz"
    run = mediarchive("export", "--wacz", str(wacz), "--data", str(data.root))
    assert run.returncode == 0, run.stderr
    assert "wacz validate: Validation succeeded" in run.stdout
    imported = mediarchive("import", str(wacz), "--data", str(tmp_path / "copy"))
    assert imported.returncode == 0, imported.stderr
    original = db.execute("SELECT url, title, language, text FROM pages ORDER BY url").fetchall()
    copy = sqlite3.connect(tmp_path / "copy" / "index.sqlite")
    try:
        assert copy.execute("SELECT url, title, language, text FROM pages ORDER BY url").fetchall() == [tuple(r) for r in original]
    finally:
        copy.close()
