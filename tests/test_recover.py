"""`mediarchive recover` (issue 16): The Saker back from a second, local pywb
collection playing "the remote archive" (CDX API, `id_` replay, TimeMaps),
and from a Wayback-like stand-in that misbehaves on demand."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.commands import assert_no_traceback, cli, run
from tests.indexdb import query
from tests.remote_archive import GRAIN_URL, FakeArchive, FakeMemento, build_remote_collection, serve_remote_archive
from tests.servers import cli_server

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "config" / "sources.yaml"


def recover(data: Path, *archives: str, extra: tuple[str, ...] = (), timeout: float = 300) -> subprocess.CompletedProcess:
    options = [part for archive in archives for part in ("--archive", archive)]
    done = run("recover", "--source", "thesaker", "--config", SOURCES, "--data", data, "--delay", "0", *options, *extra,
               timeout=timeout)
    assert_no_traceback(done.stdout + done.stderr)
    return done


def copies(data: Path) -> list[dict]:
    return query(data, "SELECT url, captured_at, via, memento_url, archive_digest, payload_check, record_type"
                       " FROM captures WHERE via IS NOT NULL ORDER BY url, captured_at")


def stamp(captured_at: str) -> str:
    return re.sub(r"\D", "", captured_at)[:14]


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    collection = build_remote_collection(tmp_path_factory.mktemp("remote-archive"))
    with serve_remote_archive(collection) as base:
        yield collection, base


@pytest.fixture(scope="module")
def recovered(remote, tmp_path_factory):
    """The Saker recovered from the remote archive's CDX API, then asked again."""
    collection, base = remote
    data = tmp_path_factory.mktemp("recovered") / "data"
    first = recover(data, f"{base}remote/cdx")
    assert first.returncode == 0, first.stdout + first.stderr
    after_first = query(data, "SELECT count(*) AS n FROM captures")[0]["n"]
    second = recover(data, f"{base}remote/cdx")
    assert second.returncode == 0, second.stdout + second.stderr
    return collection, base, data, first, second, after_first


def test_recover_stores_every_article_capture_and_no_other(recovered):
    collection, base, data, first, _, _ = recovered
    got = [(c["url"], stamp(c["captured_at"]), c["archive_digest"]) for c in copies(data)]
    assert sorted(got) == sorted(collection.articles)
    assert len(got) == 5  # 4 articles, one of them in 2 versions (its third capture repeats the first's digest)
    assert all(c["payload_check"] == "match" and c["via"] == f"{base}remote/" for c in copies(data))
    fetched = [row["url"] for row in query(data, "SELECT url FROM captures WHERE role = 'memento'")]
    assert len(fetched) == 5 and all("id_/https://thesaker.is/" in u or "id_/http://thesaker.is/" in u for u in fetched)
    for absent in ("example.org", "a-deleted-post", "old-slug", "/category/", "id_/https://thesaker.is/ "):
        assert not any(absent in u for u in fetched), absent
    assert "5 memento(s) fetched, 5 holding a page" in first.stdout
    assert "not an article URL" in first.stdout and "status 404" in first.stdout and "status 301" in first.stdout


def test_a_second_recover_fetches_nothing(recovered):
    _, _, data, _, second, after_first = recovered
    assert "0 memento(s) fetched" in second.stdout and "5 held already" in second.stdout, second.stdout
    new = query(data, "SELECT count(*) AS n FROM captures WHERE role = 'memento'")[0]["n"]
    assert new == 5
    # the second run added only its exchanges with the CDX server (and robots.txt)
    added = query(data, "SELECT url, role, via FROM captures WHERE id > ?", [after_first])
    assert [c["role"] for c in added if c["role"] != "robots" and "robots.txt" not in c["url"]] == ["cdx"], added
    assert not any(c["via"] for c in added)


def test_the_warcs_state_where_each_page_came_from(recovered):
    collection, base, data, _, _, _ = recovered
    files = sorted((data / "warcs").glob("thesaker-*.warc.gz"))
    check = subprocess.run([str(Path(cli()[0]).with_name("warcio")), "check", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    exchanges, fields, pages = {}, [], []
    for path in files:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                headers = record.rec_headers
                if record.rec_type == "response" and "id_/" in headers.get_header("WARC-Target-URI"):
                    exchanges[headers.get_header("WARC-Record-ID")] = record.http_headers
                elif record.rec_type == "metadata":
                    text = record.content_stream().read().decode()
                    if "mementoOf" in text:
                        fields.append(dict(line.split(": ", 1) for line in text.strip().splitlines()))
                elif record.rec_type == "revisit" and headers.get_header("WARC-Source-URI"):
                    pages.append((headers, record.http_headers))
    assert len(exchanges) == len(fields) == len(pages) == 5
    for exchange in exchanges.values():  # the archive's answer as it came: its own headers kept
        assert exchange.get_header("Memento-Datetime") and exchange.get_header("Link")
    for meta in fields:
        assert meta["role"] == "memento" and meta["archive"] == f"{base}remote/" and meta["payloadCheck"] == "match"
        assert (meta["mementoOf"].replace("http://", "https://"), stamp(meta["mementoDatetime"]), meta["archiveDigest"]) in collection.articles
    for warc, http in pages:
        assert warc.get_header("WARC-Refers-To") in exchanges
        assert warc.get_header("WARC-Source-URI") == warc.get_header("WARC-Refers-To-Target-URI")
        assert warc.get_header("WARC-Date") < "2024" < warc.get_header("WARC-Creation-Date")
        assert http.get_header("Memento-Datetime") is None and http.get_header("Link") is None  # the outlet's headers only
        assert http.get_statuscode() == "200" and http.get_header("Content-Type").startswith("text/html")


def test_show_history_and_search_say_which_copies_came_from_another_archive(recovered):
    collection, base, data, _, _, _ = recovered
    shown = json.loads(run("show", GRAIN_URL, "--json", "--data", data).stdout)
    memento = shown["provenance"]["memento"]
    assert memento["via"] == f"{base}remote/" and memento["payload_check"] == "match"
    assert memento["memento_url"].startswith(f"{base}remote/2023") and memento["exchange"]["url"] == memento["memento_url"]
    assert shown["provenance"]["response"]["url"] == GRAIN_URL
    assert "(a copy via" in run("show", GRAIN_URL, "--data", data).stdout
    history = json.loads(run("history", GRAIN_URL, "--json", "--data", data).stdout)
    assert [(stamp(v["captured_at"]), v["via"]) for v in history["versions"]] == [
        ("20230110100000", f"{base}remote/"), ("20230310100000", f"{base}remote/"),
    ]
    assert history["versions"][1]["title"] == "The Black Sea Grain Deal: Who Actually Profited?"
    assert [e["event"] for e in history["events"]] == ["new", "edited"]
    diff = run("diff", GRAIN_URL, "--data", data)
    assert diff.returncode == 0 and "Profited" in diff.stdout
    found = json.loads(run("search", "Kupiansk", "--json", "--data", data).stdout)
    assert [(r["url"], r["via"]) for r in found] == [("https://thesaker.is/sitrep-the-front-after-bakhmut/", f"{base}remote/")]


def test_replay_serves_the_recovered_pages_at_their_original_address(recovered):
    collection, base, data, _, _, _ = recovered
    remote_port = base.rsplit(":", 1)[1].strip("/")
    with cli_server("replay", data) as replay:
        for url, timestamp, _ in collection.articles:
            with urllib.request.urlopen(f"{replay}{timestamp}id_/{url}", timeout=60) as response:
                body = response.read()
                headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            expected = collection.versions(url)
            assert response.status == 200 and body in {c.body for c in expected}, url
            assert remote_port not in headers, headers  # nothing of the remote archive's own headers


def test_our_own_capture_and_a_memento_make_one_history_and_a_removal(remote, tmp_path):
    """A memento from 2023, then our own fetch of the live URL answering 404
    (a capture imported from another tool's WARC, at a later date): removed,
    with the memento's text as the last known."""
    collection, base = remote
    data = tmp_path / "data"
    assert recover(data, f"{base}remote/cdx").returncode == 0
    gone = tmp_path / "gone.warc.gz"
    with open(gone, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warc_record(
            "https://thesaker.is/a-note-on-the-future-of-this-blog/", "response", payload=io.BytesIO(b"gone"), length=4,
            http_headers=StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2026-11-01T00:00:00Z",
                               "WARC-Record-ID": "<urn:uuid:00000000-0000-4000-8000-000000000404>"},
        ))
    assert run("import", gone, "--source", "thesaker", "--config", SOURCES, "--data", data).returncode == 0
    changes = json.loads(run("changes", "--json", "--data", data, "--source", "thesaker").stdout)["thesaker"]
    removed = changes["removed"]
    assert [c["url"] for c in removed] == ["https://thesaker.is/a-note-on-the-future-of-this-blog/"]
    assert len(changes["new"]) == 4 and len(changes["edited"]) == 1
    page = json.loads(run("show", removed[0]["url"], "--json", "--data", data).stdout)
    assert page["removed_at"] == "2026-11-01T00:00:00Z" and "future" in page["text"].lower()


def test_a_timemap_archive_is_asked_about_the_urls_known(remote, tmp_path):
    """A Wayback-like archive lists one capture by CDX; the remote pywb is
    asked for that URL's TimeMap, and its other mementos come in."""
    collection, base = remote
    data = tmp_path / "data"
    first = collection.versions(GRAIN_URL)[0]
    with FakeArchive([FakeMemento(GRAIN_URL, "20230101000000", 200, "text/html", first.body)]) as wayback:
        done = recover(data, wayback.cdx_url, f"{base}remote/timemap/link/")
        assert done.returncode == 0, done.stdout + done.stderr
        vias = [(stamp(c["captured_at"]), c["via"]) for c in copies(data)]
        assert vias == [
            ("20230101000000", wayback.replay_prefix),
            ("20230110100000", f"{base}remote/"), ("20230310100000", f"{base}remote/"), ("20230510100000", f"{base}remote/"),
        ]
        versions = json.loads(run("history", GRAIN_URL, "--json", "--data", data).stdout)["versions"]
        assert len(versions) == 3  # unchanged in January, edited in March, back in May
        again = recover(data, wayback.cdx_url, f"{base}remote/timemap/link/")
        assert "0 memento(s) fetched" in again.stdout, again.stdout


ARTICLES = [f"https://thesaker.is/post-number-{n}/" for n in range(12)]


def article(n: int) -> bytes:
    words = " ".join(f"word{n}x{k}" for k in range(120))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Post {n}</title></head><body><article>"
            f"<h1>Post number {n}</h1><p>{words}.</p><p>Second paragraph of post {n}, with more words.</p></article>"
            "</body></html>").encode()


def mementos() -> list[FakeMemento]:
    return [FakeMemento(url, f"20230{1 + n % 9}0{1 + n % 9}120000", 200, "text/html; charset=utf-8", article(n))
            for n, url in enumerate(ARTICLES)]


def test_a_run_killed_mid_way_is_completed_by_the_next(tmp_path):
    data = tmp_path / "data"
    with FakeArchive(mementos()) as wayback:
        process = subprocess.Popen(
            cli("recover", "--source", "thesaker", "--config", SOURCES, "--data", data, "--delay", "0.3",
                "--archive", wayback.cdx_url),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while len(wayback.requests_for("id_/")) < 5 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        fetched_before = len(wayback.requests_for("id_/"))
        assert 5 <= fetched_before < len(ARTICLES)
        done = recover(data, wayback.cdx_url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(c["url"] for c in copies(data)) == sorted(ARTICLES)
        # each fetched once, but for the one in flight at the kill (one request at a time)
        assert sum(wayback.fetches(url) for url in ARTICLES) <= len(ARTICLES) + 1
        assert all(wayback.fetches(url) >= 1 for url in ARTICLES)


def test_an_archive_that_limits_fails_hangs_and_lies_is_recovered_from_politely(tmp_path):
    data = tmp_path / "data"
    faults = {
        "id_/" + ARTICLES[0]: ["429:1"],
        "id_/" + ARTICLES[1]: ["503"],
        "id_/" + ARTICLES[2]: ["hang:4"],
        "id_/" + ARTICLES[3]: ["wrong-body"],
    }
    bad_line = '["is,thesaker)/broken", "2023"'
    with FakeArchive(mementos(), faults=faults, cdx_extra_lines=[bad_line]) as wayback:
        done = recover(data, wayback.cdx_url, extra=("--timeout", "2"))
        assert done.returncode == 0, done.stdout + done.stderr
        requests = wayback.requests
    # the malformed line broke the JSON answer: read line by line, it alone is left out
    assert "1 unreadable CDX line(s) left out" in done.stdout, done.stdout
    got = {c["url"]: c for c in copies(data)}
    assert sorted(got) == sorted(ARTICLES)
    assert got[ARTICLES[3]]["payload_check"] == "mismatch"
    assert "1 not matching the archive's digest" in done.stdout
    assert all(got[url]["payload_check"] == "match" for url in ARTICLES if url != ARTICLES[3])

    def times(url):
        return [at for at, _, path in requests if path.endswith("id_/" + url)]

    limited, unavailable, hung = times(ARTICLES[0]), times(ARTICLES[1]), times(ARTICLES[2])
    assert len(limited) == 2 and limited[1] - limited[0] >= 1.0  # Retry-After: 1
    assert len(unavailable) == 2  # retried after the 503
    assert len(hung) == 2  # the first attempt timed out


def test_a_memento_served_for_a_time_the_archive_does_not_hold_is_filed_at_the_time_served(remote):
    """A TimeMap's memento URL with a time near, not at, a capture: pywb serves
    the nearest one and says which in Memento-Datetime; the page is filed then."""
    _, base = remote
    from archive.mementos.memento import Memento, archive_from_url

    archive = archive_from_url(f"{base}remote/cdx")
    memento = Memento(GRAIN_URL, "20230310000000", archive)  # ten hours before the March capture
    from crawler.middlewares.warccapture import memento_datetime
    from scrapy.http import Response

    with urllib.request.urlopen(memento.raw_url, timeout=60) as served:
        stated = served.headers["Memento-Datetime"]
    response = Response(memento.raw_url, headers={"Memento-Datetime": stated})
    assert memento_datetime(memento, response).strftime("%Y%m%d%H%M%S") == "20230310100000"
    assert memento_datetime(memento, Response(memento.raw_url)).strftime("%Y%m%d%H%M%S") == "20230310000000"
