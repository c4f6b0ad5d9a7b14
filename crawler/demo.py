"""`mediarchive demo`: the whole pipeline on a small bundled site, offline.

A site of a few English and Russian articles (a listing page, an RSS feed,
a robots.txt) is served on 127.0.0.1 from this process; it is crawled with
the real pipeline into a temporary data directory, then searched.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.index.runs import RunReport

ARTICLES = {
    "harbour-plan": (
        "en", "Harbour renovation plan approved after three years of delays", "Anna Smith", "2025-10-14T09:30:00+00:00",
        [
            "The regional council approved the harbour renovation plan on Tuesday, ending three years of disputes over the budget.",
            "The plan moves the ferry terminal to the northern pier and rebuilds the old fish market as a covered hall.",
            "Opposition members argued that the contractors had been chosen without a proper tender, and asked for an audit.",
            "Work is expected to begin in the spring, and the council says the harbour will stay open to fishing boats throughout.",
        ],
    ),
    "grain-exports": (
        "en", "Grain exports through the Black Sea fall for a second month", "Peter Novak", "2025-10-16T14:05:00+00:00",
        [
            "Grain exports through the Black Sea fell for a second month in October, according to figures published by the port authority.",
            "Traders blamed higher insurance costs and a shortage of ships willing to make the crossing.",
            "Wheat prices on the regional exchange rose by four percent over the week as buyers looked for other routes.",
        ],
    ),
    "grechikha": (
        "ru", "Фермеры Алтайского края собрали рекордный урожай гречихи", "Ирина Соколова", "2025-10-15T18:20:00+07:00",
        [
            "Фермеры Алтайского края собрали в этом году рекордный урожай гречихи, сообщили в региональном министерстве сельского хозяйства.",
            "По словам специалистов, хорошим сборам способствовала тёплая и влажная погода в конце лета.",
            "Часть урожая отправят на экспорт в Китай, остальное зерно пойдёт на переработку на местных предприятиях.",
        ],
    ),
    "tramvai": (
        "ru", "В Екатеринбурге откроют новую трамвайную линию", "Олег Петров", "2025-10-17T11:00:00+05:00",
        [
            "Власти Екатеринбурга объявили, что новая трамвайная линия в Верхнюю Пышму откроется до конца года.",
            "Строительство линии длиной почти двадцать километров заняло три года и обошлось бюджету в несколько миллиардов рублей.",
            "Жители города давно ждали удобного сообщения с пригородом, где расположены крупные заводы.",
        ],
    ),
}
NAV = "<nav><a href='/'>Home</a> <a href='/news/'>News</a> <a href='/about/'>About</a></nav>"
#: The site's stylesheet: archived with each article, so replay shows the page as it looked.
STYLESHEET = (
    b"body { background: rgb(230, 240, 255); color: #1a1a2e; font-family: Georgia, serif; margin: 0 auto; max-width: 46em; }\n"
    b"nav { background: #1a1a2e; padding: .6em 1em; } nav a { color: #fff; margin-right: 1em; }\n"
    b"h1 { font-size: 2.2em; border-bottom: 4px solid #c0392b; } .byline { color: #555; font-style: italic; }\n"
)


def article_page(slug: str) -> bytes:
    lang, title, author, published, paragraphs = ARTICLES[slug]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<link rel='stylesheet' href='/static/site.css'>"
        f"<meta name='author' content='{html.escape(author)}'>"
        f"<meta property='article:published_time' content='{published}'></head>"
        f"<body>{NAV}<article><h1>{html.escape(title)}</h1><p class='byline'>{html.escape(author)}</p>{body}</article>"
        "<aside><h2>Most read</h2><ul><li><a href='/news/'>All news</a></li></ul></aside>"
        "<footer>Demo Gazette, a sample site bundled with mediarchive.</footer></body></html>"
    ).encode("utf-8")


def listing_page() -> bytes:
    items = "".join(f"<li><a href='/articles/{slug}.html'>{html.escape(a[1])}</a></li>" for slug, a in ARTICLES.items())
    return f"<!doctype html><html><head><title>News</title></head><body>{NAV}<ul>{items}</ul></body></html>".encode()


def feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(a[1])}</title><link>{base}/articles/{slug}.html</link></item>"
        for slug, a in ARTICLES.items()
    )
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Demo Gazette</title>{items}</channel></rss>".encode()


class DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        path = self.path.split("?", 1)[0]
        slug = path.removeprefix("/articles/").removesuffix(".html")
        if path in ("/", "/news/"):
            self._reply(200, "text/html; charset=utf-8", listing_page())
        elif path == "/feed.xml":
            self._reply(200, "application/rss+xml", feed(base))
        elif path == "/robots.txt":
            self._reply(200, "text/plain", b"User-agent: *\nAllow: /\n")
        elif path == "/static/site.css":
            self._reply(200, "text/css", STYLESHEET)
        elif path.startswith("/articles/") and slug in ARTICLES:
            self._reply(200, "text/html; charset=utf-8", article_page(slug))
        else:
            self._reply(404, "text/html", b"<html><body>Not found</body></html>")

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def demo_site() -> Iterator[str]:
    """Serve the demo site on 127.0.0.1 (a free port) while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), DemoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def demo_sources_yaml(base: str) -> str:
    return (
        "defaults: {delay: 0, concurrency: 4, user_agent: 'mediarchive-demo (+http://127.0.0.1/)'}\n"
        "sources:\n  - name: demo-gazette\n"
        f"    start_urls: ['{base}/news/']\n    feeds: ['{base}/feed.xml']\n"
        "    article_pattern: ['/articles/[a-z-]+\\.html$']\n    follow_pattern: ['/news/$']\n"
    )


def run_demo(workdir: Path, echo: Callable[[str], None]) -> RunReport:
    """Serve the demo site, crawl it into ``workdir/data``, search it, and
    tell the user (through ``echo``) what happened and what to try next."""
    from archive.sources import load_config
    from archive.paths import DataDir
    from archive.index.store import Index
    from archive.search.search import SearchQuery, search
    from crawler import logsetup
    from crawler.run import routine_run

    workdir.mkdir(parents=True, exist_ok=True)
    datadir = DataDir(workdir.resolve() / "data")
    logsetup.configure(datadir.logs, "INFO", interactive=False)
    with demo_site() as base:
        config_path = workdir / "sources.yaml"
        config_path.write_text(demo_sources_yaml(base), encoding="utf-8")
        config = load_config(config_path)
        echo(f"1. serving a sample site at {base} ({len(ARTICLES)} articles, English and Russian)")
        echo(f"2. crawling it into {datadir.root} ...")
        report = routine_run(config, config.sources, datadir, settings_overrides={"LOG_LEVEL": "INFO"})
    for source in report.sources:
        echo(f"   {source['name']}: {source['found']} found, {source['captured']} captured, {source['failed']} failed")
    echo(f"   {report.summary_line()}")
    with Index(datadir.index_path) as index:
        for label, query in (("English", "harbour renovation"), ("Russian", "урожай гречихи")):
            echo(f"3. {label} search: mediarchive search '{query}'")
            results = search(index, SearchQuery(text=query, limit=3)).rows
            for row in results:
                echo(f"   - [{row['language']}] {row['title']} ({(row['published'] or '')[:10]}, {row['author'] or '-'})")
                echo(f"     {row['url']}")
            if not results:
                echo("   (no results)")
    data = f"--data {datadir.root}"
    echo("4. go further:")
    echo(f"   mediarchive show {base}/articles/grechikha.html {data}")
    echo(f"   mediarchive search 'Black Sea' --lang en --json {data}")
    echo(f"   mediarchive search гречиха {data}    # any inflection: the page says гречихи")
    echo(f"   mediarchive ui {data}    # browse and search in a web browser, at http://127.0.0.1:8001/")
    echo(f"   ls {datadir.warcs}    # the WARC files, readable by any WARC tool")
    echo(f"   sqlite3 {datadir.index_path} 'SELECT url, title, language FROM pages'")
    echo("   mediarchive crawl --source moonofalabama    # a real outlet (needs the internet)")
    return report
