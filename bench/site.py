"""A generated news site for benchmarks, served on 127.0.0.1.

N article pages of about 60 KB each, most of it boilerplate (menus,
sidebars, related links, inline scripts and styles, comments), one in five
in Russian; listing pages of 20 articles with pagination, an RSS feed and a
sitemap. Pages are generated deterministically from their number, so the
site is the same on every start. Listing pages and the feed answer
conditional requests (ETag / If-None-Match) with 304. Every third article is
gzip-encoded when asked, every third chunked.

    python -m bench.site --pages 2000 [--port 0] [--latency-ms 0] [--warm]

prints ``LISTENING http://127.0.0.1:PORT`` and serves until killed.

It also plays a web archive holding one capture of each article of the
site at ``https://bench.example/articles/N.html`` (``bench.recover``):
the Wayback Machine's CDX API at ``/cdx/search/cdx`` (JSON rows) and raw
mementos at ``/web/<time>id_/<URL>``.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import hashlib
import random
import sys
import time
from email.utils import formatdate
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PER_PAGE = 20
EN_WORDS = (
    "government council minister election harbour budget report crisis talks sanctions energy market "
    "protest court ruling army ceasefire border trade agreement inflation prices region officials "
    "statement interview analysis policy security conference summit delegation investigation"
).split()
RU_WORDS = (
    "правительство совет министр выборы бюджет доклад кризис переговоры санкции энергетика рынок "
    "протест суд решение армия перемирие граница торговля соглашение инфляция цены регион чиновники "
    "заявление интервью анализ политика безопасность конференция саммит делегация расследование"
).split()
STYLE = "<style>" + "".join(f".c{i}{{margin:{i}px;padding:{i % 7}px;color:#{i:06x}}}" for i in range(400)) + "</style>"
SCRIPT = "<script>var cfg=" + "{" + ",".join(f'"k{i}":"{"x" * 20}"' for i in range(300)) + "};</script>"
MENU = "<nav>" + "".join(f"<a href='/section/{i}/'>Section {i}</a>" for i in range(60)) + "</nav>"
SIDEBAR = "<aside>" + "".join(f"<div class='promo'><a href='/promo/{i}/'>Promotion {i} of the week</a></div>" for i in range(80)) + "</aside>"
FOOTER = "<footer>" + "<p>Copyright and terms of use. All rights reserved. Contact the newsroom.</p>" * 20 + "</footer>"


def sentence(rng: random.Random, words: list[str]) -> str:
    picked = [rng.choice(words) for _ in range(rng.randint(10, 22))]
    return " ".join(picked).capitalize() + "."


#: Distinct article bodies; page N has the body of page N % VARIANTS (a
#: multiple of 5, so the language follows N) under its own title and links,
#: so a 100,000-page site costs the server no more CPU than a 4,000-page one.
VARIANTS = 4000


@lru_cache(maxsize=VARIANTS)
def _article_parts(variant: int) -> tuple[str, str]:
    rng = random.Random(variant)
    words = RU_WORDS if variant % 5 == 0 else EN_WORDS
    paragraphs = "".join(f"<p>{' '.join(sentence(rng, words) for _ in range(5))}</p>" for _ in range(18))
    comments = "".join(f"<div class='comment'><b>reader{i}</b><p>{sentence(rng, words)}</p></div>" for i in range(30))
    return paragraphs, comments


@lru_cache(maxsize=4096)
def article_html(number: int, pages: int) -> bytes:
    russian = number % 5 == 0
    words, lang = (RU_WORDS, "ru") if russian else (EN_WORDS, "en")
    title = sentence(random.Random(number), words)[:-1] + f" ({number})"
    paragraphs, comments = _article_parts(number % VARIANTS)
    related = "".join(f"<li><a href='/articles/{(number + k) % pages}.html'>Related story {k}</a></li>" for k in range(1, 9))
    day = 1 + number % 28
    html = (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='article:published_time' content='2025-10-{day:02d}T09:30:00+03:00'>{STYLE}{SCRIPT}</head>"
        f"<body>{MENU}<main><article><h1>{title}</h1><p class='byline'>By Author {number % 40}</p>{paragraphs}</article>"
        f"<section class='related'><ul>{related}</ul></section><section class='comments'>{comments}</section></main>"
        f"{SIDEBAR}{FOOTER}</body></html>"
    )
    return html.encode("utf-8")


@lru_cache(maxsize=4096)
def article_gzip(number: int, pages: int) -> bytes:
    return gzip.compress(article_html(number, pages), mtime=0)


def listing_html(page: int, pages: int) -> bytes:
    first = (page - 1) * PER_PAGE
    links = "".join(f"<li><a href='/articles/{n}.html'>Story {n}</a></li>" for n in range(first, min(first + PER_PAGE, pages)))
    nav = f"<a rel='next' href='/news/?page={page + 1}'>next</a>" if first + PER_PAGE < pages else ""
    return f"<!doctype html><html><head><title>News, page {page}</title></head><body>{MENU}<ul>{links}</ul>{nav}</body></html>".encode()


def feed_xml(pages: int, base: str) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}/articles/{n}.html</link><guid>{base}/articles/{n}.html</guid></item>"
        for n in range(min(pages, 30))
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Bench</title>{items}</channel></rss>".encode()


def sitemap_xml(pages: int, base: str) -> bytes:
    urls = "".join(f"<url><loc>{base}/articles/{n}.html</loc></url>" for n in range(pages))
    return f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>".encode()


#: The archive's captures: where the articles were, and when.
ARCHIVED_SITE = "https://bench.example"
ARCHIVED_AT = "20251001093000"


def cdx_rows(pages: int) -> bytes:
    rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
    for number in range(pages):
        body = article_html(number, pages)
        digest = base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")
        rows.append([f"example,bench)/articles/{number}.html", ARCHIVED_AT, f"{ARCHIVED_SITE}/articles/{number}.html",
                     "text/html", "200", digest, str(len(body))])
    return json.dumps(rows).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: with Nagle's algorithm on,
    # the body waits for the client's delayed ACK (40 ms a response)
    disable_nagle_algorithm = True
    pages = 2000
    latency = 0.0

    def do_GET(self):
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(self.path)
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        chunked = gzipped = False
        conditional = False
        if parts.path == "/news/":
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            body, conditional = listing_html(page, self.pages), True
        elif parts.path.startswith("/articles/") and parts.path.endswith(".html"):
            try:
                number = int(parts.path[len("/articles/"):-len(".html")])
            except ValueError:
                number = -1
            if not 0 <= number < self.pages:
                return self.reply(404, b"not found")
            gzipped = number % 3 == 1 and "gzip" in self.headers.get("Accept-Encoding", "")
            chunked = number % 3 == 2
            body = article_gzip(number, self.pages) if gzipped else article_html(number, self.pages)
        elif parts.path == "/feed.xml":
            body, conditional = feed_xml(self.pages, base), True
        elif parts.path == "/sitemap.xml":
            body, conditional = sitemap_xml(self.pages, base), True
        elif parts.path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
        elif parts.path == "/cdx/search/cdx":
            return self.reply(200, cdx_rows(self.pages), [("Content-Type", "application/json")])
        elif parts.path.startswith(f"/web/{ARCHIVED_AT}id_/{ARCHIVED_SITE}/articles/"):
            try:
                number = int(parts.path.rsplit("/", 1)[1].removesuffix(".html"))
            except ValueError:
                number = -1
            if not 0 <= number < self.pages:
                return self.reply(404, b"not found")
            memento = [("Memento-Datetime", formatdate(1759311000, usegmt=True)), ("X-Archive-Orig-Server", "nginx")]
            return self.reply(200, article_html(number, self.pages), memento)
        else:
            return self.reply(404, b"not found")
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if conditional and self.headers.get("If-None-Match") == etag:
            return self.reply(304, b"", [("ETag", etag)])
        headers = [("ETag", etag)] if conditional else []
        if gzipped:
            headers.append(("Content-Encoding", "gzip"))
        self.reply(200, body, headers, chunked=chunked)

    def reply(self, status, body, headers=(), chunked=False):
        self.send_response(status)
        if not any(name == "Content-Type" for name, _ in headers):
            self.send_header("Content-Type", "text/html; charset=utf-8" if status != 200 or not self.path.endswith(".xml") else "application/xml")
        self.send_header("Last-Modified", formatdate(1760000000, usegmt=True))
        for name, value in headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 8192):
                chunk = body[start:start + 8192]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--warm", action="store_true", help="generate the articles before listening")
    args = parser.parse_args(argv)
    if args.warm:
        for number in range(min(args.pages, 4096)):
            article_html(number, args.pages)
            if number % 3 == 1:
                article_gzip(number, args.pages)
    handler = type("SiteHandler", (Handler,), {"pages": args.pages, "latency": args.latency_ms / 1000})
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    print(f"LISTENING http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
