"""The stand-in web archives of tests/remote_archive.py: a real pywb serving
a small collection of The Saker, and FakeArchive (the Wayback Machine's
dialect, with faults on demand)."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from urllib.parse import quote, urlsplit

import pytest

from tests.remote_archive import (
    ARTICLE_PATTERN,
    FakeArchive,
    FakeMemento,
    build_remote_collection,
    https_form,
    serve_remote_archive,
    sha1_base32,
)

GRAIN = "https://thesaker.is/the-black-sea-grain-deal-who-really-benefited/"


def get(url: str, timeout: float = 10, method: str = "GET") -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request, redirects not followed: (status, headers, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def ndjson(body: bytes) -> list[dict]:
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]


# -- the pywb collection -------------------------------------------------------


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    return build_remote_collection(tmp_path_factory.mktemp("remote-archive"))


@pytest.fixture(scope="module")
def pywb(remote):
    with serve_remote_archive(remote) as base:
        yield base


def test_the_collection_is_the_same_bytes_every_time(remote, tmp_path):
    again = build_remote_collection(tmp_path / "again")
    for name in ("remote-20230110.warc.gz", "remote-20230625.warc.gz"):
        assert (again.archive / name).read_bytes() == (remote.archive / name).read_bytes()
    assert again.index.read_text() == remote.index.read_text()
    lines = remote.index.read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == len(remote.captures) == 12
    assert again.articles == remote.articles


def test_the_expected_articles_are_one_per_url_and_version(remote):
    urls = [url for url, _, _ in remote.articles]
    assert all(ARTICLE_PATTERN.match(url) for url in urls)
    assert sorted(set(urls)) == [
        "https://thesaker.is/a-note-on-the-future-of-this-blog/",
        "https://thesaker.is/sitrep-the-front-after-bakhmut/",  # captured over http only
        GRAIN,
        "https://thesaker.is/why-the-sanctions-did-not-work/",
    ]
    assert remote.edited_url == GRAIN
    first, edited, again = remote.versions(GRAIN)
    assert (first.timestamp, edited.timestamp, again.timestamp) == ("20230110100000", "20230310100000", "20230510100000")
    assert again.digest == first.digest != edited.digest and again.body == first.body
    assert [(t, d) for u, t, d in remote.articles if u == GRAIN] == [
        ("20230110100000", first.digest), ("20230310100000", edited.digest),
    ]
    assert b"Who Actually Profited?" in edited.body and b"Who Really Benefited?" not in edited.body.split(b"<aside")[0]
    for url, stamp, digest in remote.articles:
        body = next(c.body for c in remote.captures if https_form(c.url) == url and c.timestamp == stamp)
        assert digest == "sha1:" + sha1_base32(body)


def test_pywb_cdx_lists_the_domain_and_nothing_else(remote, pywb):
    status, headers, body = get(f"{pywb}remote/cdx?url=thesaker.is/*&output=json")
    assert status == 200 and headers["Content-Type"] == "text/x-ndjson"
    rows = ndjson(body)
    assert {"urlkey", "timestamp", "url", "mime", "status", "digest", "length", "offset", "filename"} <= set(rows[0])
    assert not [r for r in rows if "example.org" in r["url"]]
    assert len(rows) == 11
    seen = {(https_form(r["url"]), r["timestamp"], r["digest"]) for r in rows
            if r["status"] == "200" and ARTICLE_PATTERN.match(https_form(r["url"]))}
    repeat = (GRAIN, "20230510100000", remote.articles[2][2])
    assert seen == set(remote.articles) | {repeat}
    assert {r["url"]: r["status"] for r in rows if r["status"] != "200"} == {
        "https://thesaker.is/a-deleted-post/": "404", "https://thesaker.is/old-slug/": "301",
    }
    # the same through matchType=domain, and the years asked for
    status, _, body = get(f"{pywb}remote/cdx?url=thesaker.is&matchType=domain&output=json&from=2023&to=202306&fl=url,timestamp")
    assert [(r["url"], r["timestamp"]) for r in ndjson(body)] == [
        (GRAIN, "20230110100000"), (GRAIN, "20230310100000"), (GRAIN, "20230510100000"),
        ("https://thesaker.is/why-the-sanctions-did-not-work/", "20230625081500"),
    ]


def test_pywb_replays_the_edited_article_raw(remote, pywb):
    stamp = "20230310100000"
    status, headers, body = get(f"{pywb}remote/{stamp}id_/{remote.edited_url}")
    assert status == 200
    assert body == remote.body(remote.edited_url, stamp) != remote.body(remote.edited_url, "20230110100000")
    assert headers["Memento-Datetime"] == "Fri, 10 Mar 2023 10:00:00 GMT"
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert headers["X-Archive-Orig-Server"] == "nginx"
    links = headers.get_all("Link")  # the page's own Link headers come through too, unprefixed
    assert any('rel="original"' in link and 'rel="memento"' in link for link in links)
    assert any("https://api.w.org/" in link for link in links)
    assert headers["Content-Location"] == f"{pywb}remote/{stamp}id_/{remote.edited_url}"


def test_pywb_replays_redirects_errors_and_inexact_times_as_they_are(remote, pywb):
    status, headers, body = get(f"{pywb}remote/20230711100000id_/https://thesaker.is/old-slug/")
    assert status == 301 and body == b"" and "Memento-Datetime" in headers
    assert headers["Location"] == "https://thesaker.is/why-the-sanctions-did-not-work/"  # not into the archive
    status, headers, _ = get(f"{pywb}remote/20230710100000id_/https://thesaker.is/a-deleted-post/")
    assert status == 404 and headers["Memento-Datetime"] == "Mon, 10 Jul 2023 10:00:00 GMT"
    status, headers, _ = get(f"{pywb}remote/20230710100000id_/https://thesaker.is/never-captured/")
    assert status == 404 and "Memento-Datetime" not in headers
    # a time between two captures: the nearest one, at once (no redirect)
    status, headers, body = get(f"{pywb}remote/20230301000000id_/{GRAIN}")
    assert status == 200 and body == remote.body(GRAIN, "20230310100000")
    assert headers["Content-Location"] == f"{pywb}remote/20230310100000id_/{GRAIN}"
    # captured over http, asked for over https
    status, headers, _ = get(f"{pywb}remote/20230702120000id_/https://thesaker.is/sitrep-the-front-after-bakhmut/")
    assert status == 200
    assert any('<http://thesaker.is/sitrep-the-front-after-bakhmut/>; rel="original"' in link for link in headers.get_all("Link"))


def test_pywb_timemap_lists_every_version(remote, pywb):
    status, headers, body = get(f"{pywb}remote/timemap/link/{remote.edited_url}")
    assert status == 200 and headers["Content-Type"] == "application/link-format"
    text = body.decode()
    mementos = re.findall(r'<([^>]+)>; rel="memento"; datetime="([^"]+)"', text)
    assert mementos == [
        (f"{pywb}remote/{stamp}/{GRAIN}", when) for stamp, when in [
            ("20230110100000", "Tue, 10 Jan 2023 10:00:00 GMT"),
            ("20230310100000", "Fri, 10 Mar 2023 10:00:00 GMT"),
            ("20230510100000", "Wed, 10 May 2023 10:00:00 GMT"),
        ]
    ]
    assert f'<{GRAIN}>; rel="original"' in text and 'rel="self"' in text and 'rel="timegate"' in text
    status, _, body = get(f"{pywb}remote/timemap/link/https://thesaker.is/never-captured/")
    assert (status, body) == (404, b"")


# -- FakeArchive ---------------------------------------------------------------

PAGES = [
    ("https://thesaker.is/a/", "20230110100000", 200, "text/html", b"<html><body><h1>A</h1></body></html>"),
    ("https://thesaker.is/a/", "20230210100000", 200, "text/html", b"<html><body><h1>A</h1></body></html>"),
    ("https://thesaker.is/a/", "20230310100000", 200, "text/html", b"<html><body><h1>A, edited</h1></body></html>"),
    ("http://thesaker.is/b/", "20230115000000", 200, "text/html; charset=UTF-8", b"<html><body>B</body></html>"),
    ("https://thesaker.is/gone/", "20230120000000", 404, "text/html", b"<html><body>Not found</body></html>"),
    FakeMemento("https://thesaker.is/moved/", "20230121000000", 301, "text/html", b"",
                (("Location", "https://thesaker.is/a/"), ("X-Redirect-By", "WordPress"))),
    FakeMemento("https://thesaker.is/a/", "20230410100000", None, "text/html", b"<html><body><h1>A, edited</h1></body></html>"),
    ("https://www.thesaker.is/c/", "20230130000000", 200, "text/html", b"<html><body>C</body></html>"),
    ("https://example.org/other/", "20230110100000", 200, "text/html", b"<html><body>Other</body></html>"),
]


def cdx(archive: FakeArchive, query: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    return get(f"{archive.cdx_url}?{query}")


def test_fake_cdx_answers_like_the_wayback():
    with FakeArchive(PAGES) as archive:
        status, headers, body = cdx(archive, "url=thesaker.is&matchType=domain&output=json")
        assert status == 200 and headers["Content-Type"] == "application/json"
        rows = json.loads(body)
        assert rows[0] == ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
        assert all(r[0].startswith(("is,thesaker)", "is,thesaker,")) for r in rows[1:])
        assert not [r for r in rows[1:] if "example.org" in r[2]]
        assert "https://www.thesaker.is/c/" in [r[2] for r in rows[1:]]
        revisit = [r for r in rows[1:] if r[1] == "20230410100000"][0]
        assert revisit[3:5] == ["warc/revisit", "-"] and revisit[5] == sha1_base32(PAGES[2][4])
        assert [r for r in rows[1:] if r[2] == "http://thesaker.is/b/"][0][3] == "text/html"
        # host (no subdomains), a prefix, filters, collapsing, years, fields
        _, _, body = cdx(archive, "url=thesaker.is/*&output=json&fl=original,timestamp&filter=statuscode:200&collapse=digest&from=2023&to=202303")
        assert json.loads(body) == [
            ["original", "timestamp"],
            ["https://thesaker.is/a/", "20230110100000"], ["https://thesaker.is/a/", "20230310100000"],
            ["http://thesaker.is/b/", "20230115000000"],
            ["https://www.thesaker.is/c/", "20230130000000"],  # SURT keys drop "www."
        ]
        _, _, body = cdx(archive, "url=thesaker.is/*&filter=!statuscode:200&fl=original,statuscode")
        assert body.decode().splitlines() == [
            "https://thesaker.is/a/ -", "https://thesaker.is/gone/ 404", "https://thesaker.is/moved/ 301",
        ]
        _, _, body = cdx(archive, "url=nothing.example&matchType=domain&output=json")
        assert json.loads(body) == []


def test_fake_cdx_resume_keys_page_through_everything():
    with FakeArchive(PAGES, page_size=2) as archive:
        query = "url=thesaker.is&matchType=domain&output=json&showResumeKey=true"
        seen, key, answers = [], None, 0
        while True:
            _, _, body = cdx(archive, query + (f"&resumeKey={quote(key, safe='')}" if key else ""))
            rows = json.loads(body)
            answers += 1
            if [] in rows:
                key = rows[-1][0]
                rows = rows[1:rows.index([])]
            else:
                key, rows = None, rows[1:]
            seen += [(r[2], r[1]) for r in rows]
            if key is None:
                break
        assert answers == 4 and len(seen) == len(set(seen)) == 8
        _, _, body = cdx(archive, "url=thesaker.is/a/&showResumeKey=true&limit=1")
        first, blank, key = body.decode().splitlines()
        assert first.split()[1] == "20230110100000" and blank == "" and key.endswith("%21")


def test_fake_cdx_carries_the_malformed_lines_asked_for():
    extra = ["this is not a cdx line", ["is,thesaker)/x", "2023"]]
    with FakeArchive(PAGES[:2], cdx_extra_lines=extra) as archive:
        _, _, body = cdx(archive, "url=thesaker.is/a/")
        lines = body.decode().splitlines()
        assert lines[1:3] == ["this is not a cdx line", "is,thesaker)/x 2023"] and len(lines) == 4
        _, _, body = cdx(archive, "url=thesaker.is/a/&output=json")
        lines = body.decode().splitlines()
        assert lines[2] == "this is not a cdx line," and lines[3] == '["is,thesaker)/x", "2023"],'
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)


def test_fake_replay_speaks_memento_with_archived_headers():
    with FakeArchive(PAGES) as archive:
        status, headers, body = get(archive.raw_url("20230310100000", "https://thesaker.is/a/"))
        assert status == 200 and body == PAGES[2][4] and headers["Content-Type"] == "text/html"
        assert headers["Memento-Datetime"] == "Fri, 10 Mar 2023 10:00:00 GMT"
        assert headers["x-archive-orig-server"] == "nginx" and "x-archive-src" in headers
        link = headers["Link"]
        assert '<https://thesaker.is/a/>; rel="original"' in link and 'rel="timemap"' in link
        assert f'<{archive.replay_prefix}20230310100000/https://thesaker.is/a/>; rel="memento"' in link
        assert 'rel="first memento"' in link and 'rel="last memento"' in link
        # a redirect is a memento too, its Location into the archive
        status, headers, body = get(archive.raw_url("20230121000000", "https://thesaker.is/moved/"))
        assert status == 301 and "Memento-Datetime" in headers and body == b""
        assert headers["Location"] == archive.raw_url("20230121000000", "https://thesaker.is/a/")
        assert headers["x-archive-orig-x-redirect-by"] == "WordPress"
        # an archived 404 has a Memento-Datetime; a URL never archived has none
        status, headers, _ = get(archive.raw_url("20230120000000", "https://thesaker.is/gone/"))
        assert status == 404 and "Memento-Datetime" in headers
        status, headers, _ = get(archive.raw_url("20230120000000", "https://thesaker.is/never/"))
        assert status == 404 and "Memento-Datetime" not in headers
        # a time that is not a capture: sent on to the nearest one
        status, headers, _ = get(archive.raw_url("20230301000000", "https://thesaker.is/a/"))
        assert status == 302 and "Memento-Datetime" not in headers
        assert headers["Location"] == archive.raw_url("20230310100000", "https://thesaker.is/a/")
        # the timemap
        status, headers, body = get(archive.timemap_url + "https://thesaker.is/a/")
        assert status == 200 and headers["Content-Type"] == "application/link-format"
        assert len(re.findall(r'rel="[a-z ]*memento"', body.decode())) == 4
        assert archive.fetches("https://thesaker.is/a/") == 2
        assert [r[1] for r in archive.requests] == ["GET"] * 6


def test_fake_faults_come_in_order_then_the_archive_answers():
    page = "https://thesaker.is/a/"
    faults = {"id_/https://thesaker.is/a/": ["429:3", "503", "wrong-body"], "/cdx/": ["hang:2", "503:1", "reset"]}
    with FakeArchive(PAGES[:3], faults=faults) as archive:
        raw = archive.raw_url("20230110100000", page)
        status, headers, _ = get(raw)
        assert (status, headers["Retry-After"]) == (429, "3")
        status, headers, _ = get(raw)
        assert status == 503 and "Retry-After" not in headers
        status, _, body = get(raw)
        assert status == 200 and sha1_base32(body) != sha1_base32(PAGES[0][4])
        status, _, body = get(raw)
        assert status == 200 and body == PAGES[0][4]
        assert archive.fetches(page) == 4
        # the CDX: a hang the client gives up on, a 503 with Retry-After, a reset, then the answer
        started = time.monotonic()
        with pytest.raises((TimeoutError, socket.timeout)):
            get(f"{archive.cdx_url}?url={page}&output=json", timeout=0.3)
        assert time.monotonic() - started < 1.5
        status, headers, _ = get(f"{archive.cdx_url}?url={page}&output=json")
        assert (status, headers["Retry-After"]) == (503, "1")
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            get(f"{archive.cdx_url}?url={page}&output=json")
        status, _, body = get(f"{archive.cdx_url}?url={page}&output=json")
        assert status == 200 and len(json.loads(body)) == 4
        times = [when for when, _, path in archive.requests if "/cdx/" in path]
        assert len(times) == 4 and times == sorted(times)
    with pytest.raises(ValueError):
        FakeArchive(PAGES, faults={"/": ["explode"]})
