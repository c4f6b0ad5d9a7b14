"""`mediarchive demo`: the whole pipeline on a small bundled site, offline.

A site of a few English and Russian articles (a listing page, an RSS feed,
a robots.txt) is served on 127.0.0.1 from this process; it is crawled with
the real pipeline into a temporary data directory, then searched. Then the
site changes, as news sites do (its second edition: one article edited, one
taken down), and is crawled again: the demo shows what the archive is for,
the changes, the edit's diff and the replay addresses of both versions.
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
#: The second edition of the site: what changed in an article, and what was taken down.
EDITED = ("harbour-plan", 3, "Work will begin in March, the council said on Friday, and the harbour will stay open to fishing boats throughout.")
TAKEN_DOWN = "tramvai"
NAV = "<nav><a href='/'>Home</a> <a href='/news/'>News</a> <a href='/about/'>About</a></nav>"
#: The site's stylesheet: archived with each article, so replay shows the page as it looked.
STYLESHEET = (
    b"body { background: rgb(230, 240, 255); color: #1a1a2e; font-family: Georgia, serif; margin: 0 auto; max-width: 46em; }\n"
    b"nav { background: #1a1a2e; padding: .6em 1em; } nav a { color: #fff; margin-right: 1em; }\n"
    b"h1 { font-size: 2.2em; border-bottom: 4px solid #c0392b; } .byline { color: #555; font-style: italic; }\n"
)


def article_page(slug: str, edition: int = 1) -> bytes:
    lang, title, author, published, paragraphs = ARTICLES[slug]
    if edition > 1 and slug == EDITED[0]:
        paragraphs = [EDITED[2] if number == EDITED[1] else p for number, p in enumerate(paragraphs)]
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


def on_the_site(edition: int) -> dict[str, tuple]:
    """The articles the site links to in an edition."""
    return {slug: a for slug, a in ARTICLES.items() if edition == 1 or slug != TAKEN_DOWN}


def listing_page(edition: int = 1) -> bytes:
    items = "".join(f"<li><a href='/articles/{slug}.html'>{html.escape(a[1])}</a></li>" for slug, a in on_the_site(edition).items())
    return f"<!doctype html><html><head><title>News</title></head><body>{NAV}<ul>{items}</ul></body></html>".encode()


def feed(base: str, edition: int = 1) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(a[1])}</title><link>{base}/articles/{slug}.html</link></item>"
        for slug, a in on_the_site(edition).items()
    )
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Demo Gazette</title>{items}</channel></rss>".encode()


class DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        edition = self.server.edition  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        slug = path.removeprefix("/articles/").removesuffix(".html")
        if path in ("/", "/news/"):
            self._reply(200, "text/html; charset=utf-8", listing_page(edition))
        elif path == "/feed.xml":
            self._reply(200, "application/rss+xml", feed(base, edition))
        elif path == "/robots.txt":
            self._reply(200, "text/plain", b"User-agent: *\nAllow: /\n")
        elif path == "/static/site.css":
            self._reply(200, "text/css", STYLESHEET)
        elif path.startswith("/articles/") and slug in on_the_site(edition):
            self._reply(200, "text/html; charset=utf-8", article_page(slug, edition))
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


class DemoSite(str):
    """The demo site's address (a ``str``), and which edition it serves now (1 or 2)."""

    server: ThreadingHTTPServer

    @property
    def edition(self) -> int:
        return self.server.edition  # type: ignore[attr-defined]

    @edition.setter
    def edition(self, number: int) -> None:
        self.server.edition = number  # type: ignore[attr-defined]


@contextmanager
def demo_site() -> Iterator[DemoSite]:
    """Serve the demo site on 127.0.0.1 (a free port) while the block runs;
    its first edition, until told otherwise (``site.edition = 2``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), DemoHandler)
    server.edition = 1  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    site = DemoSite(f"http://127.0.0.1:{server.server_address[1]}")
    site.server = server
    try:
        yield site
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
    """Serve the demo site, crawl it into ``workdir/data``, search it; change
    the site and crawl it again, show what changed; and tell the user
    (through ``echo``) what happened and what to try next."""
    from archive.sources import load_config
    from archive.paths import DataDir
    from archive.index.store import Index
    from archive.search.search import SearchQuery, search
    from crawler import logsetup
    from crawler.run import routine_run

    workdir.mkdir(parents=True, exist_ok=True)
    datadir = DataDir(workdir.resolve() / "data")
    logsetup.configure(datadir.logs, "INFO", interactive=False)
    with demo_site() as site:
        config_path = workdir / "sources.yaml"
        config_path.write_text(demo_sources_yaml(site), encoding="utf-8")
        config = load_config(config_path)
        datadir.remember_sources(config_path)  # commands on the demo's data find its sources file
        echo(f"1. serving a sample site at {site} ({len(ARTICLES)} articles, English and Russian)")
        echo(f"2. crawling it into {datadir.root} ...")
        report = routine_run(config, config.sources, datadir, settings_overrides={"LOG_LEVEL": "INFO"})
        for source in report.sources:
            roles = source["captured_by_role"]
            others = sum(n for role, n in roles.items() if role not in ("article", "requisite"))
            echo(
                f"   {source['name']}: {source['articles_found']} articles found, {roles.get('article', 0)} archived,"
                f" {source['failed']} failed; also {roles.get('requisite', 0)} requisite(s) and {others} other page(s)"
                " (listings, the feed, robots.txt)"
            )
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
        site.edition = 2
        edited, removed = f"{site}/articles/{EDITED[0]}.html", f"{site}/articles/{TAKEN_DOWN}.html"
        echo("4. the site changes, as news sites do: one article is edited, one taken down")
        echo(f"   crawling it again: mediarchive crawl --recheck all --config {config_path} ...")
        again = _crawl_again(config_path, datadir)  # in a process of its own: Scrapy's reactor runs once a process
        echo(f"   {again}")
    data = f"--data {datadir.root}"
    _show_changes(datadir, edited, removed, echo)
    echo("6. go further:")
    echo(f"   mediarchive show {site}/articles/grechikha.html {data}")
    echo(f"   mediarchive search 'Black Sea' --lang en --json {data}")
    echo(f"   mediarchive search гречиха {data}    # any inflection: the page says гречихи")
    echo(f"   mediarchive history {edited} {data}")
    echo(f"   mediarchive changes --atom {data}    # the changes as a feed to subscribe to")
    echo(f"   mediarchive replay {data}    # then open the replay addresses above")
    echo(f"   mediarchive ui {data}    # browse and search in a web browser, at http://127.0.0.1:8001/")
    echo(f"   ls {datadir.warcs}    # the WARC files, readable by any WARC tool")
    echo(f"   sqlite3 {datadir.index_path} 'SELECT url, title, language FROM pages'")
    echo("   mediarchive crawl --source moonofalabama    # a real outlet (needs the internet)")
    return report


def _crawl_again(config_path: Path, datadir) -> str:
    """The second crawl, as `mediarchive crawl --recheck all`; its summary line."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--recheck", "all", "--config", str(config_path),
         "--data", str(datadir.root)], capture_output=True, text=True, check=False,
    )
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    if run.returncode != 0:
        return f"the second crawl failed (exit {run.returncode}): {(run.stderr or run.stdout).strip()[-500:]}"
    return lines[-1] if lines else "(crawled)"


def _show_changes(datadir, edited: str, removed: str, echo: Callable[[str], None]) -> None:
    """What the archive says about the changes: `changes`, the edit's `diff`
    and the replay addresses of both versions."""
    import textwrap

    from archive.index.history import changes, versions_of
    from archive.index.store import Index
    from archive.index.textdiff import word_diff
    from archive.serve.replay import replay_url

    with Index(datadir.index_path, readonly=True) as index:
        events = [e for e in changes(index) if e["event"] != "new"]
        versions = versions_of(index, edited)
    echo(f"5. what the archive saw: mediarchive changes --data {datadir.root}")
    for event in events:
        echo(f"   {event['at']}  {event['event']:<8} {event['url']}  {event['detail'] or ''}")
    if removed not in {e["url"] for e in events}:
        echo(f"   ({removed} was not seen as removed)")
    if len(versions) < 2:
        echo(f"   ({edited} has one version: the edit was not seen)")
        return
    old, new = versions[-2], versions[-1]
    echo(f"   mediarchive diff {edited}")
    diff = word_diff(old["text"], new["text"]).render(context=6)
    echo(textwrap.indent(textwrap.fill(diff, 96), "     "))
    echo("   both versions, as captured (mediarchive replay serves them):")
    for version in (old, new):
        echo(f"     v{version['version']}  {replay_url(edited, version['captured_at'])}")
