"""The library side of `recover` (archive/mementos): reading CDX answers in
both dialects and TimeMaps, the archive's headers dropped from a memento's
page, and which captures are fetched."""

from __future__ import annotations

import json

import pytest

from archive.errors import UsageError
from archive.mementos.cdx import parse_answer, query_url
from archive.mementos.memento import Memento, archive_from_url, digest_check, outlet_headers, valid_timestamp
from archive.mementos.select import Selection, bound, choose
from archive.mementos.timemap import parse_timemap
from archive.sources import parse_config
from archive.warc.records import payload_digest

WAYBACK = archive_from_url("https://web.archive.org/cdx/search/cdx")
PYWB = archive_from_url("http://127.0.0.1:8080/remote/cdx")


def test_archives_are_named_by_their_cdx_endpoint_or_timemap_prefix():
    assert (WAYBACK.kind, WAYBACK.replay) == ("cdx", "https://web.archive.org/web/")
    assert (PYWB.kind, PYWB.replay) == ("cdx", "http://127.0.0.1:8080/remote/")
    timemap = archive_from_url("http://127.0.0.1:8080/remote/timemap/link/")
    assert (timemap.kind, timemap.url, timemap.replay) == (
        "timemap", "http://127.0.0.1:8080/remote/timemap/link/", "http://127.0.0.1:8080/remote/",
    )
    assert WAYBACK.raw_url("20230110100000", "https://thesaker.is/a/") == "https://web.archive.org/web/20230110100000id_/https://thesaker.is/a/"
    for bad in ("ftp://example.org/cdx", "https://example.org/search", "web.archive.org/cdx"):
        with pytest.raises(UsageError):
            archive_from_url(bad)


def test_the_query_asks_for_the_domain_and_its_subdomains_in_the_years_asked():
    url = query_url(WAYBACK, "thesaker.is", "2014", "2023-06-30")
    assert url.startswith("https://web.archive.org/cdx/search/cdx?url=thesaker.is&matchType=domain&output=json")
    assert "from=2014&to=20230630" in url and "showResumeKey=true" in url
    assert "resumeKey=abc" in query_url(WAYBACK, "thesaker.is", None, None, "abc")


def test_wayback_json_rows_with_a_resume_key_and_bad_rows_reported():
    rows = [
        ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
        ["is,thesaker)/a", "20230110100000", "https://thesaker.is/a/", "text/html", "200", "AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH", "1234"],
        ["is,thesaker)/b", "20230110100000", "https://thesaker.is/b/", "warc/revisit", "-", "AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH", "0"],
        ["is,thesaker)/c", "2023011010", "https://thesaker.is/c/", "text/html", "200", "X", "1"],  # a cut timestamp
        ["is,thesaker)/d", "20230110100000"],  # too few fields
        [],
        ["resume-here"],
    ]
    answer = parse_answer(json.dumps(rows).encode(), WAYBACK)
    assert [(m.original, m.status, m.digest) for m in answer.mementos] == [
        ("https://thesaker.is/a/", 200, "sha1:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH"),
        ("https://thesaker.is/b/", None, "sha1:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH"),
    ]
    assert len(answer.malformed) == 2 and answer.resume_key == "resume-here"


def test_pywb_json_lines_cdxj_and_plain_lines_with_malformed_ones_left_out():
    body = "\n".join([
        json.dumps({"urlkey": "is,thesaker)/a", "timestamp": "20230110100000", "url": "https://thesaker.is/a/",
                    "mime": "text/html", "status": "200", "digest": "sha1:QQQQ", "length": "10"}),
        '{"urlkey": "is,thesaker)/broken", "timestamp": ',
        'is,thesaker)/b 20230310100000 {"url": "https://thesaker.is/b/", "status": "301", "digest": "RRRR"}',
        "is,thesaker)/c 20230410100000 https://thesaker.is/c/ text/html 404 SSSS 99",
        "a line of nothing",
    ]).encode()
    answer = parse_answer(body, PYWB)
    assert [(m.original, m.timestamp, m.status, m.digest) for m in answer.mementos] == [
        ("https://thesaker.is/a/", "20230110100000", 200, "sha1:QQQQ"),
        ("https://thesaker.is/b/", "20230310100000", 301, "sha1:RRRR"),
        ("https://thesaker.is/c/", "20230410100000", 404, "sha1:SSSS"),
    ]
    assert len(answer.malformed) == 2
    assert parse_answer(b"", PYWB).mementos == []


def test_a_timemap_lists_its_mementos_with_their_times():
    archive = archive_from_url("http://127.0.0.1:8080/remote/timemap/link/")
    body = b"""<https://thesaker.is/a/>; rel="original",
<http://127.0.0.1:8080/remote/timemap/link/https://thesaker.is/a/>; rel="self"; type="application/link-format",
<http://127.0.0.1:8080/remote/20230110100000mp_/https://thesaker.is/a/>; rel="first memento"; datetime="Tue, 10 Jan 2023 10:00:00 GMT",
<http://127.0.0.1:8080/remote/20230310100000/https://thesaker.is/a/>; rel="memento"; datetime="Fri, 10 Mar 2023 10:00:00 GMT",
<http://127.0.0.1:8080/remote/x/>; rel="memento"; datetime="not a date",
"""
    found = parse_timemap(body, archive, "https://thesaker.is/a/")
    assert [(m.timestamp, m.raw_url) for m in found.mementos] == [
        ("20230110100000", "http://127.0.0.1:8080/remote/20230110100000id_/https://thesaker.is/a/"),
        ("20230310100000", "http://127.0.0.1:8080/remote/20230310100000id_/https://thesaker.is/a/"),
    ]
    assert len(found.malformed) == 1


def test_the_page_of_a_memento_has_the_outlets_headers_only():
    pywb_style = [
        ("Content-Type", "text/html; charset=UTF-8"), ("Server", "nginx"), ("Set-Cookie", "a=1"),
        ("Memento-Datetime", "Tue, 10 Jan 2023 10:00:00 GMT"), ("Link", '<https://thesaker.is/a/>; rel="original"'),
        ("Content-Location", "/remote/20230110100000id_/https://thesaker.is/a/"), ("X-Archive-Src", "remote.warc.gz"),
    ]
    assert outlet_headers(pywb_style) == [("Content-Type", "text/html; charset=UTF-8"), ("Server", "nginx"), ("Set-Cookie", "a=1")]
    wayback_style = [
        ("Server", "nginx"), ("Date", "Wed, 02 Dec 2026 10:00:00 GMT"), ("Content-Type", "text/html; charset=UTF-8"),
        ("x-archive-orig-server", "Apache"), ("x-archive-orig-date", "Tue, 10 Jan 2023 10:00:00 GMT"),
        ("x-archive-orig-content-length", "1234"), ("x-archive-orig-content-encoding", "gzip"),
        ("x-archive-orig-set-cookie", "b=2"), ("Server-Timing", "captures_list;dur=1"), ("x-archive-src", "x.warc.gz"),
        ("Memento-Datetime", "Tue, 10 Jan 2023 10:00:00 GMT"),
    ]
    assert outlet_headers(wayback_style) == [
        ("Content-Type", "text/html; charset=UTF-8"), ("server", "Apache"),
        ("date", "Tue, 10 Jan 2023 10:00:00 GMT"), ("set-cookie", "b=2"),
    ]


def test_digests_are_checked_against_the_body():
    body = b"<html>x</html>"
    assert digest_check(payload_digest(body), body) == "match"
    assert digest_check(payload_digest(b"other"), body) == "mismatch"
    assert digest_check(None, body) == "unknown"
    assert digest_check("sha256:abc", body) == "unknown"
    assert valid_timestamp("20230230100000") is None and valid_timestamp("20230110100000") == "20230110100000"


SOURCES = parse_config("""
sources:
  - name: thesaker
    start_urls: ["https://thesaker.is/"]
    article_pattern: ['^https://thesaker\\.is/(?!category/)[a-z0-9-]+/$']
    scheme: https
    recover: {domains: [thesaker.is], since: 2014, until: 2023-12-31}
""")


def test_only_article_captures_of_200_one_per_digest_not_held_are_chosen():
    source = SOURCES.source("thesaker")
    assert (source.recover_domains, source.recover_since, source.recover_until) == (("thesaker.is",), "2014", "2023-12-31")

    def m(url, ts, status=200, digest="sha1:A"):
        return Memento(url, ts, PYWB, status, "text/html", digest)

    mementos = [
        m("https://thesaker.is/a/", "20230110100000"),
        m("http://thesaker.is/a/", "20230210100000"),  # the same payload over http: once
        m("https://thesaker.is/a/", "20230310100000", digest="sha1:B"),  # an edit
        m("https://thesaker.is/category/x/", "20230110100000"),  # a listing
        m("https://thesaker.is/gone/", "20230110100000", status=404),
        m("https://thesaker.is/held/", "20230110100000", digest="sha1:H"),
        m("https://thesaker.is/old/", "20120110100000", digest="sha1:O"),  # before since
    ]
    selection = Selection()
    chosen = list(choose(
        mementos, selection, canonical=source.url_form.canonical, is_article=source.is_article_url,
        is_held=lambda url, memento: (url, memento.digest) == ("https://thesaker.is/held/", "sha1:H"),
        since=bound("2014", end=False), until=bound("2023-12-31", end=True),
    ))
    assert [(url, memento.timestamp) for url, memento in chosen] == [
        ("https://thesaker.is/a/", "20230110100000"), ("https://thesaker.is/a/", "20230310100000"),
    ]
    assert selection.left_out == {
        "a digest already chosen": 1, "not an article URL": 1, "status 404": 1, "held already": 1,
        "outside the dates asked for": 1,
    }
    assert (bound("2023-02", end=True), bound("2023", end=False)) == ("20230228235959", "20230101000000")


def test_a_bad_recover_entry_is_one_clear_error():
    from archive.errors import ConfigError

    for entry, message in (
        ("recover: {since: yesterday}", "recover.since"),
        ("recover: {archives: ['https://example.org/search']}", "recover.archives"),
        ("recover: {domain: [x]}", "recover: must be a mapping"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_config(f"sources:\n  - name: s\n    start_urls: ['https://s.example/']\n    {entry}\n")


def test_a_json_answer_broken_by_one_row_keeps_its_other_rows():
    body = (
        '[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],\n'
        '["is,thesaker)/a", "20230110100000", "https://thesaker.is/a/", "text/html", "200", "QQQQ", "10"],\n'
        '["is,thesaker)/broken", "2023",\n'
        '["is,thesaker)/b", "20230210100000", "https://thesaker.is/b/", "text/html", "200", "RRRR", "10"],\n'
        '[],\n["next-page"]]\n'
    ).encode()
    answer = parse_answer(body, WAYBACK)
    assert [m.original for m in answer.mementos] == ["https://thesaker.is/a/", "https://thesaker.is/b/"]
    assert len(answer.malformed) == 1 and answer.resume_key == "next-page"


def test_an_impossible_recover_date_is_refused_as_a_date():
    from tests.commands import run

    done = run("recover", "--source", "thesaker", "--since", "2023-13", "--data", "/nonexistent-data")
    assert done.returncode == 2 and "not a date" in done.stderr, done.stderr
