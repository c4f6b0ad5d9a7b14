"""Tests of the local test site itself (tests/localsite.py)."""

from __future__ import annotations

import email.utils
import re
import gzip
import http.client
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.localsite import CHUNKED, GZIP, PLAIN, SET_COOKIES, LocalSite


REPO = Path(__file__).resolve().parents[1]
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def site():
    with LocalSite(per_page=20) as s:
        yield s
    assert s.errors == []


# -- helpers -----------------------------------------------------------------


def request(site, path, method="GET", headers=None):
    """One request on a fresh connection; returns (status, HTTPMessage, body)."""
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.msg, resp.read()
    finally:
        conn.close()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, rel) of <a>

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.links.append((a["href"], a.get("rel") or ""))


def links_of(body: bytes) -> list[tuple[str, str]]:
    p = Links()
    p.feed(body.decode("utf-8"))
    p.close()
    return p.links


def recv_all(sock) -> bytes:
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def split_head(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers, rest


def dechunk(data: bytes) -> tuple[bytes, int, bytes]:
    """Strictly parse chunked framing; returns (body, number_of_chunks, leftover)."""
    out, n = [], 0
    while True:
        line, sep, data = data.partition(b"\r\n")
        assert sep, "truncated chunk-size line"
        size = int(line.split(b";")[0], 16)
        if size == 0:
            assert data.startswith(b"\r\n"), "missing final CRLF (no trailers expected)"
            return b"".join(out), n, data[2:]
        assert len(data) >= size + 2
        out.append(data[:size])
        assert data[size : size + 2] == b"\r\n", "chunk not followed by CRLF"
        data = data[size + 2 :]
        n += 1


# -- lifecycle ---------------------------------------------------------------


def test_start_is_fast_and_ids_are_sorted():
    t0 = time.monotonic()
    with LocalSite() as s:
        assert time.monotonic() - t0 < 1.0
        assert s.base_url == f"http://127.0.0.1:{s.port}" and s.port > 0
        assert len(s.article_ids) == 181 and s.article_ids == sorted(s.article_ids)
        status, _, _ = request(s, "/")
        assert status == 200
    assert not s.running


def test_stop_interrupts_idle_keepalive_connection():
    s = LocalSite().start()
    conn = http.client.HTTPConnection(s.host, s.port, timeout=10)
    try:
        conn.request("GET", "/robots.txt")
        conn.getresponse().read()  # connection stays open and idle on the server
        t0 = time.monotonic()
        s.stop()
        assert time.monotonic() - t0 < 2.0
    finally:
        conn.close()
    s.stop()  # idempotent


# -- navigation ----------------------------------------------------------------


def test_home_links(site):
    status, msg, body = request(site, "/")
    assert status == 200 and msg["Content-Type"] == "text/html; charset=utf-8"
    hrefs = [h for h, _ in links_of(body)]
    assert "/news/" in hrefs and "/feed.xml" in hrefs
    assert site.article_path(site.article_ids[0]) in hrefs


def test_listing_pagination_covers_every_article_once(site):
    url, pages, seen = site.listing_url(1), [], Counter()
    while url:
        pages.append(url)
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
            links = links_of(r.read())
        page_articles = [h for h, _ in links if h.startswith("/articles/")]
        assert len(page_articles) <= site.per_page
        seen.update(site.article_id_for_url(urljoin(url, h)) for h in page_articles)
        nxt = [h for h, rel in links if rel == "next"]
        url = urljoin(url, nxt[0]) if nxt else None
    assert pages == site.listing_urls
    assert len(pages) == site.page_count == 10
    assert pages[1] == site.url("/news/?page=2")
    assert sorted(seen) == site.article_ids and set(seen.values()) == {1}


def test_listing_has_navigation_and_extras_links(site):
    _, _, body = request(site, "/news/?page=3")
    hrefs = [h for h, _ in links_of(body)]
    for expected in ("/about/", "/tag/politics/", "mailto:newsroom@example.invalid", "javascript:void(0)",
                     "tel:+15555550100", "http://example.invalid/partner/story.html", "/news/?page=2",
                     "/news/?page=4"):
        assert expected in hrefs
    for extra in site.extras.values():
        assert extra.path in hrefs, extra.name
    assert request(site, "/news/?page=99")[0] == 404
    assert request(site, "/news/?page=x")[0] == 404


def test_extras_disabled():
    with LocalSite(extras=False, per_page=100) as s:
        assert s.extras == {} and s.page_count == 2
        _, _, body = request(s, "/news/")
        hrefs = [h for h, _ in links_of(body)]
        assert "/missing.html" not in hrefs and "/cookies.html" not in hrefs
        assert request(s, "/cookies.html")[0] == 404
        assert request(s, "/files/report.pdf")[0] == 404


# -- articles ------------------------------------------------------------------


def test_all_articles_over_one_keepalive_connection(site):
    kinds = Counter(site.encoding_of(a) for a in site.article_ids)
    assert set(kinds) == {PLAIN, GZIP, CHUNKED} and min(kinds.values()) >= 50
    charsets = Counter(site.article_charset(a) for a in site.article_ids)
    assert charsets[None] > 0 and charsets["utf-8"] > 0

    before = site.connection_count
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    try:
        for aid in site.article_ids:
            conn.request("GET", site.article_path(aid), headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200
            cs = site.article_charset(aid)
            assert resp.getheader("Content-Type") == (f"text/html; charset={cs}" if cs else "text/html")
            kind = site.encoding_of(aid)
            if kind == GZIP:
                assert resp.getheader("Content-Encoding") == "gzip"
                assert int(resp.getheader("Content-Length")) == len(body)
                assert gzip.decompress(body) == site.article_body(aid)
            elif kind == CHUNKED:
                assert resp.getheader("Transfer-Encoding") == "chunked"
                assert resp.getheader("Content-Length") is None
                assert body == site.article_body(aid)
            else:
                assert resp.getheader("Content-Encoding") is None
                assert int(resp.getheader("Content-Length")) == len(body)
                assert body == site.article_body(aid)
    finally:
        conn.close()
    assert site.connection_count == before + 1


def test_gzip_article_without_accept_encoding_is_identity(site):
    aid = site.ids_with_encoding(GZIP)[0]
    req = urllib.request.Request(site.article_url(aid))  # urllib sends no Accept-Encoding
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Encoding"] is None
        assert r.read() == site.article_body(aid)


def test_article_bodies_are_benchmark_pages(site):
    aid = site.article_ids[7]
    raw = (Path(site._corpus.root) / "html" / f"{aid}.html.gz").read_bytes()
    assert site.article_body(aid) == gzip.decompress(raw)
    assert site.ground_truth(aid)["articleBody"]
    assert site.article_title(aid)


def test_chunked_framing_on_raw_socket(site):
    aid = site.ids_with_encoding(CHUNKED)[0]
    with socket.create_connection((site.host, site.port), timeout=10) as sock:
        sock.sendall(
            f"GET {site.article_path(aid)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        raw = recv_all(sock)
    status, headers, rest = split_head(raw)
    assert status == "HTTP/1.1 200 OK"
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    body, nchunks, leftover = dechunk(rest)
    assert body == site.article_body(aid)
    assert nchunks > 1 and leftover == b""


def test_pipelined_requests_on_raw_socket(site):
    chunked = site.ids_with_encoding(CHUNKED)[1]
    plain = site.ids_with_encoding(PLAIN)[1]
    with socket.create_connection((site.host, site.port), timeout=10) as sock:
        sock.sendall(
            f"GET {site.article_path(chunked)} HTTP/1.1\r\nHost: x\r\n\r\n"
            f"GET {site.article_path(plain)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        raw = recv_all(sock)
    _, h1, rest = split_head(raw)
    body1, _, rest = dechunk(rest)
    assert body1 == site.article_body(chunked)
    _, h2, body2 = split_head(rest)
    assert int(h2["content-length"]) == len(body2)
    assert body2 == site.article_body(plain) and h2["connection"] == "close"


def test_http10_client_gets_content_length_instead_of_chunked(site):
    aid = site.ids_with_encoding(CHUNKED)[0]
    with socket.create_connection((site.host, site.port), timeout=10) as sock:
        sock.sendall(f"GET {site.article_path(aid)} HTTP/1.0\r\n\r\n".encode())
        raw = recv_all(sock)
    _, headers, body = split_head(raw)
    assert "transfer-encoding" not in headers and body == site.article_body(aid)


def test_head_requests(site):
    for aid in (site.ids_with_encoding(PLAIN)[0], site.ids_with_encoding(GZIP)[0]):
        status, msg, body = request(site, site.article_path(aid), "HEAD", {"Accept-Encoding": "gzip"})
        assert status == 200 and body == b""
        expected = site.article_body(aid) if site.encoding_of(aid) == PLAIN else site._corpus.gzipped(aid)
        assert int(msg["Content-Length"]) == len(expected)
    # HEAD on a chunked article must leave the connection usable
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    try:
        conn.request("HEAD", site.article_path(site.ids_with_encoding(CHUNKED)[0]))
        resp = conn.getresponse()
        assert resp.getheader("Transfer-Encoding") == "chunked" and resp.read() == b""
        conn.request("GET", "/robots.txt")
        assert b"Disallow: /private/" in conn.getresponse().read()
    finally:
        conn.close()


def test_concurrent_fetches(site):
    failures = []

    def worker(ids):
        for aid in ids:
            try:
                with urllib.request.urlopen(site.article_url(aid), timeout=10) as r:
                    if r.read() != site.article_body(aid):
                        failures.append(aid)
            except Exception as exc:  # pragma: no cover - reported below
                failures.append((aid, repr(exc)))

    threads = [threading.Thread(target=worker, args=(site.article_ids[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# -- feed, sitemaps, robots -----------------------------------------------------


def test_feed(site):
    with urllib.request.urlopen(site.feed_url, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("application/rss+xml")
        root = ET.fromstring(r.read())
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    assert len(items) == 20
    links = [i.findtext("link") for i in items]
    assert links == [site.article_url(a) for a in site.feed_ids]
    for item, aid in zip(items, site.feed_ids):
        assert item.findtext("guid") == item.findtext("link")
        assert item.findtext("title") == site.article_title(aid)
        assert email.utils.parsedate_to_datetime(item.findtext("pubDate")) == site.article_date(aid)


def test_sitemaps(site):
    status, _, body = request(site, "/sitemap_index.xml")
    index = ET.fromstring(body)
    assert status == 200 and index.tag == f"{SM}sitemapindex"
    locs = [e.text for e in index.iter(f"{SM}loc")]
    assert locs == [site.sitemap_url, site.sitemap_extra_url]

    status, _, body = request(site, "/sitemap.xml")
    urls = ET.fromstring(body).findall(f"{SM}url")
    assert [u.findtext(f"{SM}loc") for u in urls] == [site.article_url(a) for a in site.article_ids]
    assert all(u.findtext(f"{SM}lastmod") for u in urls)

    status, msg, body = request(site, "/sitemap-extra.xml.gz", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and msg["Content-Type"] == "application/x-gzip"
    assert msg["Content-Encoding"] is None and body[:2] == b"\x1f\x8b"
    locs = [e.text for e in ET.fromstring(gzip.decompress(body)).iter(f"{SM}loc")]
    assert locs == [site.article_url(a) for a in site.extra_sitemap_ids] and len(locs) == 5


def test_robots_txt(site):
    status, msg, body = request(site, "/robots.txt")
    assert status == 200 and msg["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert "User-agent: *" in text and "Disallow: /private/" in text
    assert f"Sitemap: {site.sitemap_index_url}" in text
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(text.splitlines())
    assert not rp.can_fetch("mediarchive", site.extras["private"].url)
    assert rp.can_fetch("mediarchive", site.article_url(site.article_ids[0]))
    assert rp.site_maps() == [site.sitemap_index_url]


# -- extras ------------------------------------------------------------------------


def test_every_extra_has_its_expected_status_and_type(site):
    extras = site.extras
    assert set(site.extra_urls) == {e.url for e in extras.values()}
    for e in extras.values():
        status, msg, body = request(site, e.path)
        assert status == e.status, e.name
        if e.content_type is not None:
            assert msg["Content-Type"] == e.content_type, e.name
        assert int(msg["Content-Length"]) == len(body), e.name


def test_redirect_404_500(site):
    e = site.extras["redirect"]
    status, msg, _ = request(site, e.path)
    assert status == 301 and msg["Location"] == e.location == site.article_url(site.redirect_id)
    with urllib.request.urlopen(e.url, timeout=10) as r:  # urllib follows it
        assert r.url == e.location and r.read() == site.article_body(site.redirect_id)

    for name, code in (("missing", 404), ("broken", 500)):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(site.extras[name].url, timeout=10)
        with info.value as err:
            assert err.code == code and b"<h1>" in err.read()
    status, msg, body = request(site, "/no/such/page")
    assert status == 404 and msg["Content-Type"].startswith("text/html") and body
    assert request(site, "/articles/deadbeef.html")[0] == 404
    assert request(site, "/old/deadbeef.html")[0] == 404


def test_private_request_is_recorded():
    with LocalSite() as s:
        request(s, "/robots.txt")
        assert not s.private_requested
        request(s, "/private/secret.html")
        assert s.private_requested


def test_repeated_set_cookie_headers(site):
    status, msg, _ = request(site, site.extras["cookies"].path)
    assert status == 200 and msg.get_all("Set-Cookie") == list(SET_COOKIES)


def test_pdf_is_valid(site):
    _, _, pdf = request(site, "/files/report.pdf")
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    startxref = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[startxref:].startswith(b"xref")
    entries = pdf[startxref:].split(b"\n")[3:8]
    for num, entry in enumerate(entries, 1):
        off = int(entry.split()[0])
        assert pdf[off:].startswith(b"%d 0 obj" % num)


def test_png_is_valid(site):
    _, _, png = request(site, "/files/photo.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, idat = 8, [], b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + data)
        kinds.append(kind)
        idat += data if kind == b"IDAT" else b""
        pos += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    assert len(zlib.decompress(idat)) == 16 * (1 + 16 * 3)


def test_russian_pages(site):
    _, msg, declared = request(site, site.extras["cp1251_declared_utf8"].path)
    assert msg["Content-Type"] == "text/html; charset=utf-8"
    _, msg, undeclared = request(site, site.extras["cp1251_undeclared"].path)
    assert msg["Content-Type"] == "text/html"
    for raw in (declared, undeclared):
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        text = raw.decode("cp1251")
        assert "<h1>" in text and "<title>" in text and "charset" not in text.lower()
        assert len(text.split()) > 250


def test_russian_pages_are_mostly_cyrillic_prose(site):
    # (py3langid classifies both as "ru"; checked without importing it here to keep this file fast)
    for name in ("cp1251_declared_utf8", "cp1251_undeclared"):
        _, _, raw = request(site, site.extras[name].path)
        text = re.sub("<[^>]+>", " ", raw.decode("cp1251"))
        letters = [c for c in text if c.isalpha()]
        assert sum("\u0400" <= c <= "\u04ff" for c in letters) / len(letters) > 0.95
        assert len(text.split()) > 300


def test_empty_big_and_query_pages(site):
    status, msg, body = request(site, "/empty.html")
    assert status == 200 and body == b"" and msg["Content-Length"] == "0"
    assert msg["Content-Type"] == "text/html"

    status, msg, body = request(site, "/big.html")
    assert status == 200 and len(body) >= 10 * 1024 * 1024
    assert b"<h1>City council approves" in body[:2000] and body.endswith(b"</html>\n")

    q = site.extras["query"]
    assert "?" in q.path and "&" in q.path
    status, _, body = request(site, q.path)
    assert status == 200 and b"election results" in body
    assert site.was_requested(q.path)


def test_request_log_records_method_path_headers(site):
    request(site, "/about/?from=test", "HEAD", {"X-Probe": "one"})
    method, path, headers = next(r for r in reversed(site.requests) if r.path == "/about/?from=test")
    assert method == "HEAD" and headers["x-probe"] == "one" and headers["host"]


def test_slow_page():
    with LocalSite(slow_seconds=0.2) as s:
        t0 = time.monotonic()
        status, _, _ = request(s, "/slow.html")
        assert status == 200 and time.monotonic() - t0 >= 0.2


# -- command line --------------------------------------------------------------


def test_command_line_entry():
    with subprocess.Popen(
        [sys.executable, "-m", "tests.localsite", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            line = proc.stdout.readline().strip()
            assert line.startswith("LISTENING http://127.0.0.1:")
            base = line.split()[1]
            with urllib.request.urlopen(base + "/robots.txt", timeout=10) as r:
                assert b"Disallow: /private/" in r.read()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert proc.returncode == 0
    assert urlsplit(base).port
