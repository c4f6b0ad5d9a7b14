"""Public web archives, played locally, for `mediarchive recover` tests.

Two stand-ins, both on 127.0.0.1 only:

* a real pywb (from its own environment, see :mod:`archive.serve.replay`)
  serving a small collection of The Saker: :func:`build_remote_collection`
  writes it (WARC files with fixed record IDs and dates, a sorted CDXJ index
  made by cdxj-indexer), :func:`serve_remote_archive` runs pywb on it. pywb
  answers ``/remote/cdx?url=...`` (NDJSON with ``output=json``), raw replay
  ``/remote/<ts>id_/<url>`` and ``/remote/timemap/link/<url>``;
* :class:`FakeArchive`, a small threaded server that speaks the Wayback
  Machine's dialect (``/cdx/search/cdx``: a JSON array of arrays with a
  header row, or plain lines; ``/web/<ts>id_/<url>`` with ``x-archive-orig-*``
  headers) and misbehaves on demand: rate limits, 503s, hangs, bodies that do
  not match their digest, malformed CDX lines. It records every request.

What the formats look like, as checked against pywb 2.10 and the Wayback
Machine's recorded answers, is written up in /work/notes/memento-facts.md.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import surt
from cdxj_indexer.main import CDXJIndexer
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SAMPLES = Path(__file__).resolve().parent / "samples" / "thesaker"
COLLECTION = "remote"
SITE = "https://thesaker.is/"
GRAIN_URL = "https://thesaker.is/the-black-sea-grain-deal-who-really-benefited/"
HTML = "text/html; charset=UTF-8"


# -- shared helpers ------------------------------------------------------------


def sha1_base32(body: bytes) -> str:
    """A payload digest as CDX servers print it: base 32 SHA-1, no prefix."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def timestamp14(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def parse_timestamp(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def http_date(stamp: str) -> str:
    """RFC 1123 date of a 14-digit timestamp (Memento-Datetime's format)."""
    return format_datetime(parse_timestamp(stamp), usegmt=True)


def https_form(url: str) -> str:
    """The outlet's canonical form of a captured URL (``scheme: https``)."""
    return "https://" + url.split("://", 1)[1] if url.startswith("http://") else url


# -- the pywb collection -------------------------------------------------------


@dataclass(frozen=True)
class RemoteCapture:
    """One record written into the collection."""

    url: str  # as captured (http or https)
    timestamp: str  # 14 digits, the WARC-Date
    status: int
    mime: str  # the Content-Type header sent
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()  # extra HTTP headers (Location, Link...)

    @property
    def digest(self) -> str:
        """As pywb's CDX API reports it (the WARC-Payload-Digest, with its ``sha1:``)."""
        return "sha1:" + sha1_base32(self.body)

    @property
    def warc_date(self) -> str:
        return parse_timestamp(self.timestamp).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RemoteSet:
    """A pywb collection of The Saker and what recovering it should give."""

    directory: Path
    collection: str
    # the captures worth fetching: (https URL, 14-digit timestamp, digest as
    # pywb's CDX gives it), one per distinct (URL, digest), earliest capture
    articles: list[tuple[str, str, str]]
    edited_url: str  # the article captured in two versions
    captures: list[RemoteCapture] = field(default_factory=list)  # every record, in WARC order
    config: Path | None = None  # pywb's config.yaml

    @property
    def index(self) -> Path:
        return self.directory / "indexes" / "index.cdxj"

    @property
    def archive(self) -> Path:
        return self.directory / "archive"

    def body(self, url: str, timestamp: str) -> bytes:
        for capture in self.captures:
            if capture.url == url and capture.timestamp == timestamp:
                return capture.body
        raise KeyError((url, timestamp))

    def versions(self, url: str) -> list[RemoteCapture]:
        """The 200 captures of ``url`` (either scheme), in time order."""
        wanted = https_form(url)
        return sorted(
            (c for c in self.captures if https_form(c.url) == wanted and c.status == 200),
            key=lambda c: c.timestamp,
        )


def _edited(original: str) -> str:
    """The grain-deal article as it read after an edit in March: other title
    words and one paragraph rewritten."""
    replacements = [
        ("The Black Sea Grain Deal: Who Really Benefited?", "The Black Sea Grain Deal: Who Actually Profited?"),
        (
            "<p>Much of the corn went to feed livestock in the European Union. Much of the wheat was bought by "
            "traders who resold it at a comfortable margin. Nobody in the West seems to find this embarrassing.</p>",
            "<p>Updated in March: the shipping records published since then show that most of the corn ended up "
            "in feed mills in Spain and the Netherlands, and that three trading houses handled more than half of "
            "all the wheat. The figures were corrected after readers sent in the port manifests.</p>",
        ),
    ]
    edited = original
    for old, new in replacements:
        assert old in edited, old
        edited = edited.replace(old, new)
    return edited


_ARTICLE = """<!doctype html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} &#8211; The Vineyard of the Saker</title>
<meta name="description" content="{description}">
<link rel="canonical" href="https://thesaker.is/{slug}/">
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="og:url" content="https://thesaker.is/{slug}/">
<meta property="og:site_name" content="The Vineyard of the Saker">
<meta property="article:published_time" content="{published}">
<meta property="article:section" content="{section}">
<meta name="author" content="{author}">
<link rel="stylesheet" id="saker-style-css" href="https://thesaker.is/wp-content/themes/saker/style.css?ver=1.2" media="all">
</head>
<body class="post-template-default single single-post postid-{post_id} single-format-standard">
<div id="page" class="site">
<header id="masthead" class="site-header">
<div class="site-branding"><p class="site-title"><a href="https://thesaker.is/" rel="home">The Vineyard of the Saker</a></p>
<p class="site-description">A bird's eye view of the vineyard</p></div>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
<li class="menu-item"><a href="https://thesaker.is/">Home</a></li>
<li class="menu-item"><a href="https://thesaker.is/latest-articles/">Latest articles</a></li>
<li class="menu-item"><a href="https://thesaker.is/category/guest-analyses/">Guest Analyses</a></li>
<li class="menu-item"><a href="https://thesaker.is/about/">About</a></li>
</ul></nav>
</header>
<div id="content" class="site-content">
<div id="primary" class="content-area">
<main id="main" class="site-main">
<article id="post-{post_id}" class="post-{post_id} post type-post status-publish format-standard hentry category-{section_slug}">
<header class="entry-header">
<h1 class="entry-title">{title}</h1>
<div class="entry-meta"><span class="posted-on">Posted on <a href="https://thesaker.is/{slug}/" rel="bookmark"><time class="entry-date published" datetime="{published}">{published_text}</time></a></span> <span class="byline"> by <span class="author vcard"><a class="url fn n" href="https://thesaker.is/author/saker/">{author}</a></span></span></div>
</header>
<div class="entry-content">
{paragraphs}
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social"><h3 class="sd-title">Share this:</h3><ul><li><a href="https://thesaker.is/{slug}/?share=telegram">Telegram</a></li><li><a href="https://thesaker.is/{slug}/?share=email">Email</a></li></ul></div></div>
</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="https://thesaker.is/category/{section_slug}/" rel="category tag">{section}</a></span></footer>
</article>
<p class="no-comments">Comments are closed.</p>
</main>
</div>
<aside id="secondary" class="widget-area">
<section id="recent-posts-2" class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>
<li><a href="https://thesaker.is/a-note-on-the-future-of-this-blog/">A Note on the Future of This Blog</a></li>
<li><a href="https://thesaker.is/sitrep-the-front-after-bakhmut/">Sitrep: The Front After Bakhmut</a></li>
<li><a href="https://thesaker.is/the-black-sea-grain-deal-who-really-benefited/">The Black Sea Grain Deal: Who Really Benefited?</a></li>
</ul></section>
</aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info">The Vineyard of the Saker &copy; 2014-2023. Proudly powered by <a href="https://wordpress.org/">WordPress</a></div></footer>
</div>
</body>
</html>
"""

SYNTHETIC = [
    {
        "slug": "sitrep-the-front-after-bakhmut",
        "title": "Sitrep: The Front After Bakhmut",
        "author": "Saker Staff",
        "published": "2023-06-28T07:45:00+00:00",
        "published_text": "June 28, 2023",
        "section": "Sitreps",
        "post_id": "391402",
        "paragraphs": [
            "Six weeks after the last fighting in Bakhmut ended, the line east of Kramatorsk has hardly moved, "
            "and both sides are using the pause to bring up reserves and to rebuild their artillery stocks.",
            "To the north, around Kupiansk, small infantry groups probe the forest belts every night. Most of "
            "these attacks are stopped by drones long before they reach the first trench line.",
            "In the south the expected offensive has begun in earnest. Columns of armoured vehicles have tried "
            "three times to cross the minefields near Orikhiv, and three times they were turned back.",
            "Our readers often ask when the war will end. Nobody writing this summary knows, but the numbers on "
            "the map suggest that the summer will not decide it, and that the autumn rains will slow everyone.",
        ],
    },
    {
        "slug": "why-the-sanctions-did-not-work",
        "title": "Why the Sanctions Did Not Work",
        "author": "Maria Lindqvist",
        "published": "2023-06-20T09:30:00+00:00",
        "published_text": "June 20, 2023",
        "section": "Guest Analyses",
        "post_id": "391327",
        "paragraphs": [
            "<strong>By Maria Lindqvist for the Saker Blog</strong>",
            "When the first package of sanctions was announced, economists in Brussels promised that the rouble "
            "would collapse within weeks and that the shops of Moscow would stand empty by the summer.",
            "A year and a half later the rouble trades close to where it started, the shelves are full of goods "
            "from Turkey, China and Kazakhstan, and the oil keeps flowing through a fleet of older tankers.",
            "The reason is simple enough. Most of the world did not join the measures, and trade found new "
            "routes through the countries that stayed neutral, at a price that the buyers were willing to pay.",
            "Sanctions are a blunt tool. They hurt the people who live under them and the companies that lose "
            "their markets, but they rarely change the course of a government that believes its survival is at stake.",
        ],
    },
    {
        "slug": "a-note-on-the-future-of-this-blog",
        "title": "A Note on the Future of This Blog",
        "author": "The Saker",
        "published": "2023-06-30T18:00:00+00:00",
        "published_text": "June 30, 2023",
        "section": "Saker analyses &amp; interviews",
        "post_id": "391455",
        "paragraphs": [
            "Dear friends, this is a short note about the future of this blog, which many of you have asked about "
            "in the comments and in your letters over the past months.",
            "After almost fifteen years of daily writing, translating and moderating, the team of volunteers who "
            "keep this place running has become too small to continue at the same pace.",
            "We have therefore decided to stop publishing new articles at the end of the summer. The archive will "
            "stay online for as long as we can pay for the servers, and the comments will be closed.",
            "Thank you for reading, for arguing, for translating and for the many donations that kept the lights on. "
            "It has been an honour to share this vineyard with you.",
        ],
    },
]


def _synthetic_page(spec: dict) -> bytes:
    paragraphs = "\n".join(f"<p>{text}</p>" for text in spec["paragraphs"])
    values = dict(spec, paragraphs=paragraphs)
    values["description"] = re.sub(r"<[^>]+>", "", spec["paragraphs"][0])
    values["section_slug"] = re.sub(r"[^a-z0-9]+", "-", spec["section"].lower().replace("&amp;", "")).strip("-")
    return _ARTICLE.format(**values).encode("utf-8")


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _wordpress_headers(post_id: str) -> tuple[tuple[str, str], ...]:
    """Headers a WordPress post answers with (their own Link headers included)."""
    return (
        ("Link", '<https://thesaker.is/wp-json/>; rel="https://api.w.org/"'),
        ("Link", f"<https://thesaker.is/?p={post_id}>; rel=shortlink"),
    )


def remote_captures() -> list[RemoteCapture]:
    """Every record of the collection, in the order it is written."""
    original = _sample("the-black-sea-grain-deal-who-really-benefited.html")
    edited = _edited(original.decode("utf-8")).encode("utf-8")
    sitrep, sanctions, note = (_synthetic_page(spec) for spec in SYNTHETIC)
    not_found = (
        b"<!doctype html>\n<html lang=\"en-US\"><head><meta charset=\"UTF-8\"><title>Page not found &#8211; "
        b"The Vineyard of the Saker</title></head>\n<body class=\"error404\"><main id=\"main\"><section "
        b"class=\"error-404 not-found\"><h1 class=\"page-title\">Oops! That page can&rsquo;t be found.</h1>"
        b"</section></main></body></html>\n"
    )
    moved = b""  # WordPress answers its redirects with an empty body
    category = "https://thesaker.is/category/guest-analyses/page/2/"
    return [
        RemoteCapture("https://example.org/other/", "20230110093000", 200, "text/html",
                      b"<!doctype html><html><head><title>Another site</title></head><body><article><h1>Another "
                      b"site</h1><p>Nothing to do with the vineyard.</p></article></body></html>\n"),
        RemoteCapture(GRAIN_URL, "20230110100000", 200, HTML, original, _wordpress_headers("391245")),
        RemoteCapture(GRAIN_URL, "20230310100000", 200, HTML, edited, _wordpress_headers("391245")),
        RemoteCapture(GRAIN_URL, "20230510100000", 200, HTML, original, _wordpress_headers("391245")),
        RemoteCapture("https://thesaker.is/why-the-sanctions-did-not-work/", "20230625081500", 200, HTML,
                      sanctions, _wordpress_headers(SYNTHETIC[1]["post_id"])),
        RemoteCapture("http://thesaker.is/sitrep-the-front-after-bakhmut/", "20230702120000", 200, HTML,
                      sitrep, _wordpress_headers(SYNTHETIC[0]["post_id"])),
        RemoteCapture("https://thesaker.is/a-note-on-the-future-of-this-blog/", "20230705064500", 200, HTML,
                      note, _wordpress_headers(SYNTHETIC[2]["post_id"])),
        RemoteCapture("https://thesaker.is/a-deleted-post/", "20230710100000", 404, HTML, not_found),
        RemoteCapture("https://thesaker.is/old-slug/", "20230711100000", 301, HTML, moved,
                      (("Location", "https://thesaker.is/why-the-sanctions-did-not-work/"),
                       ("X-Redirect-By", "WordPress"))),
        RemoteCapture(SITE, "20230901120000", 200, HTML, _sample("front-page.html")),
        RemoteCapture(category, "20230901120500", 200, HTML, _sample("category-guest-analyses-page-2.html")),
        RemoteCapture("https://thesaker.is/robots.txt", "20230901121000", 200, "text/plain; charset=utf-8",
                      _sample("robots.txt")),
    ]


ARTICLE_PATTERN = re.compile(
    r"^https://thesaker\.is/(?!category/|tag/|author/|page/|latest-articles/|wp-)[a-z0-9-]+/$"
)

_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 410: "Gone",
            500: "Internal Server Error", 503: "Service Unavailable"}


def _record_id(number: int) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'mediarchive-tests/remote/{number}')}>"


def _write_warc(path: Path, captures: Sequence[tuple[int, RemoteCapture]]) -> None:
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for number, capture in captures:
            headers = [
                ("Server", "nginx"),
                ("Date", http_date(capture.timestamp)),
                ("Content-Type", capture.mime),
                ("Content-Length", str(len(capture.body))),
                *capture.headers,
            ]
            status = f"{capture.status} {_REASONS.get(capture.status, 'Unknown')}"
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                capture.url, "response", payload=io.BytesIO(capture.body), length=len(capture.body),
                http_headers=http,
                warc_headers_dict={"WARC-Record-ID": _record_id(number), "WARC-Date": capture.warc_date},
            )
            writer.write_record(record)


def _expected_articles(captures: Iterable[RemoteCapture]) -> list[tuple[str, str, str]]:
    seen: set[tuple[str, str]] = set()
    chosen = []
    for capture in sorted(captures, key=lambda c: (https_form(c.url), c.timestamp)):
        url = https_form(capture.url)
        if capture.status != 200 or not ARTICLE_PATTERN.match(url) or (url, capture.digest) in seen:
            continue
        seen.add((url, capture.digest))
        chosen.append((url, capture.timestamp, capture.digest))
    return chosen


def write_pywb_config(directory: Path, collection: str = COLLECTION) -> Path:
    config = directory / "config.yaml"
    # archive_paths is glued to each file name of the index: the trailing slash matters
    config.write_text(
        "# written by tests/remote_archive.py\n"
        f"collections:\n  {collection}:\n"
        f"    index_paths: {(directory / 'indexes').resolve()}/\n"
        f"    archive_paths: {(directory / 'archive').resolve()}/\n"
        "framed_replay: false\nenable_memento: true\n",
        encoding="utf-8",
    )
    return config


def build_remote_collection(root: Path) -> RemoteSet:
    """A pywb collection of The Saker under ``root`` (``archive/*.warc.gz``,
    ``indexes/index.cdxj``, ``config.yaml``); the same bytes every time."""
    root.mkdir(parents=True, exist_ok=True)
    archive, indexes = root / "archive", root / "indexes"
    archive.mkdir(exist_ok=True)
    indexes.mkdir(exist_ok=True)
    captures = remote_captures()
    numbered = list(enumerate(captures))
    # two files, as two crawls of the archive would leave them
    first = [(n, c) for n, c in numbered if c.timestamp < "20230601000000"]
    second = [(n, c) for n, c in numbered if c.timestamp >= "20230601000000"]
    files = []
    for name, part in (("remote-20230110.warc.gz", first), ("remote-20230625.warc.gz", second)):
        _write_warc(archive / name, part)
        files.append(str(archive / name))
    out = io.StringIO()
    CDXJIndexer(out, files, sort=True, dir_root=str(archive)).process_all()
    (indexes / "index.cdxj").write_text(out.getvalue(), encoding="utf-8")
    return RemoteSet(
        directory=root, collection=COLLECTION, articles=_expected_articles(captures), edited_url=GRAIN_URL,
        captures=captures, config=write_pywb_config(root),
    )


@contextmanager
def serve_remote_archive(remote: RemoteSet) -> Iterator[str]:
    """pywb serving ``remote`` on a free 127.0.0.1 port; yields its base URL
    (``http://127.0.0.1:PORT/``: the collection is ``<base>remote/``)."""
    from archive.serve.bind import start_on_socket
    from archive.serve.replay import SERVER_SCRIPT, ensure_pywb

    config = remote.config or write_pywb_config(remote.directory, remote.collection)
    python = ensure_pywb(print)  # made on first use (~30-60 s), needs the package registry
    process, port = start_on_socket(
        [str(python), str(SERVER_SCRIPT), str(config)], "127.0.0.1", 0, RuntimeError, "pywb",
        cwd=remote.directory,
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


# -- a Wayback-like archive that misbehaves on demand --------------------------


@dataclass(frozen=True)
class FakeMemento:
    url: str
    timestamp: str  # 14 digits
    status: int | None = 200  # None: a revisit (CDX statuscode "-", mimetype warc/revisit)
    mime: str = "text/html"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()  # original headers; Location is rewritten into the archive

    @property
    def digest(self) -> str:
        """As the Wayback CDX prints it: base 32 SHA-1 of the body, no prefix."""
        return sha1_base32(self.body)

    @property
    def urlkey(self) -> str:
        return surt.surt(self.url)


FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
FAULT = re.compile(r"^(?:(?P<status>\d{3})(?::(?P<retry>\d+(?:\.\d+)?))?|hang:(?P<hang>\d+(?:\.\d+)?)|wrong-body|reset)$")


class FakeArchive:
    """A Wayback Machine on 127.0.0.1 (port 0), as a context manager.

    ``mementos``: :class:`FakeMemento` or ``(url, timestamp, status, mime,
    body)`` tuples. ``cdx_extra_lines``: lines put into every CDX answer
    after its first row (a ``str`` goes in verbatim, in JSON answers too,
    where it breaks the JSON; a ``list`` becomes one more row, JSON-encoded
    or space-joined). ``faults``: path substring -> faults consumed in order,
    one a request whose path (with its query) contains it (the first key
    that matches and has faults left wins): ``"429:N"`` (429 with
    ``Retry-After: N``), ``"503"`` or ``"503:N"`` (any 3-digit status, with
    ``Retry-After`` if ``:N``), ``"hang:S"`` (wait S seconds, then answer
    normally), ``"wrong-body"`` (a body that does not match the digest),
    ``"reset"`` (close the connection without an answer). ``page_size``:
    rows per CDX answer when ``showResumeKey=true`` (the rest behind a
    resume key).
    """

    def __init__(
        self,
        mementos: Iterable[FakeMemento | tuple],
        *,
        cdx_extra_lines: Sequence[str | list] = (),
        faults: dict[str, Sequence[str]] | None = None,
        page_size: int | None = None,
    ) -> None:
        self.mementos = sorted(
            (m if isinstance(m, FakeMemento) else FakeMemento(*m) for m in mementos),
            key=lambda m: (m.urlkey, m.timestamp),
        )
        self.cdx_extra_lines = list(cdx_extra_lines)
        self.faults = {key: list(values) for key, values in (faults or {}).items()}
        for values in self.faults.values():
            for fault in values:
                if not FAULT.match(fault):
                    raise ValueError(f"unknown fault {fault!r}")
        self.page_size = page_size
        self._lock = threading.Lock()
        self._requests: list[tuple[float, str, str]] = []
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def __enter__(self) -> FakeArchive:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        archive = self

        class Handler(_Handler):
            owner = archive

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-archive", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()  # hangs end now
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    # -- addresses

    @property
    def base(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def cdx_url(self) -> str:
        return self.base + "cdx/search/cdx"

    @property
    def replay_prefix(self) -> str:
        return self.base + "web/"

    @property
    def timemap_url(self) -> str:
        return self.base + "web/timemap/link/"

    def raw_url(self, timestamp: str, url: str) -> str:
        return f"{self.replay_prefix}{timestamp}id_/{url}"

    # -- what was asked

    @property
    def requests(self) -> list[tuple[float, str, str]]:
        """(monotonic time, method, path with query) of every request so far."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, substring: str) -> list[tuple[float, str, str]]:
        return [r for r in self.requests if substring in r[2]]

    def fetches(self, url: str) -> int:
        """How many raw replays of ``url`` (any timestamp) were asked for."""
        return sum(1 for _, _, path in self.requests if "id_/" in path and path.split("id_/", 1)[1] == url)

    def _record(self, method: str, path: str) -> str | None:
        """Note the request; the fault it gets, if any."""
        with self._lock:
            self._requests.append((time.monotonic(), method, path))
            for key, values in self.faults.items():
                if key in path and values:
                    return values.pop(0)
        return None

    # -- answers

    def select(self, params: dict[str, list[str]]) -> list[FakeMemento]:
        """The mementos a CDX query asks for, before limits and resume keys."""
        url = (params.get("url") or [""])[0]
        match = (params.get("matchType") or ["exact"])[0]
        if url.startswith("*."):
            url, match = url[2:], "domain"
        elif url.endswith("*"):
            url, match = url[:-1], "prefix"
        key = surt.surt(url)
        host = key.split(")", 1)[0]
        if match == "domain":
            chosen = [m for m in self.mementos if m.urlkey.startswith((host + ")", host + ","))]
        elif match == "host":
            chosen = [m for m in self.mementos if m.urlkey.startswith(host + ")")]
        elif match == "prefix":
            chosen = [m for m in self.mementos if m.urlkey.startswith(key.rstrip("/") if key.endswith(")/") else key)]
        else:
            chosen = [m for m in self.mementos if m.urlkey == key]
        low = (params.get("from") or [""])[0]
        high = (params.get("to") or [""])[0]
        if low:
            chosen = [m for m in chosen if m.timestamp >= low.ljust(14, "0")]
        if high:
            chosen = [m for m in chosen if m.timestamp <= high.ljust(14, "9")]
        for spec in params.get("filter", []):
            negate = spec.startswith("!")
            name, _, pattern = spec.lstrip("!").partition(":")
            chosen = [m for m in chosen if bool(re.match(pattern, self.row(m).get(name, ""))) != negate]
        for spec in params.get("collapse", []):
            name, _, width = spec.partition(":")
            kept, last = [], None
            for m in chosen:
                value = self.row(m).get(name, "")
                value = value[: int(width)] if width else value
                if value != last:
                    kept.append(m)
                last = value
            chosen = kept
        return chosen

    @staticmethod
    def row(m: FakeMemento) -> dict[str, str]:
        return {
            "urlkey": m.urlkey,
            "timestamp": m.timestamp,
            "original": m.url,
            "mimetype": "warc/revisit" if m.status is None else m.mime.split(";")[0].strip(),
            "statuscode": "-" if m.status is None else str(m.status),
            "digest": m.digest,
            "length": str(len(m.body) + 350),  # a compressed record's size, roughly
        }

    def cdx_answer(self, query: str) -> tuple[str, bytes]:
        params = parse_qs(query, keep_blank_values=True)
        chosen = self.select(params)
        resume = (params.get("resumeKey") or [""])[0]
        if resume:
            after = unquote(resume.replace("+", " ")).rstrip("!")
            chosen = [m for m in chosen if f"{m.urlkey} {m.timestamp}" > after]
        show_resume = (params.get("showResumeKey") or ["false"])[0] == "true"
        limits = [int(v) for v in params.get("limit", []) if v.lstrip("-").isdigit()]
        if show_resume and self.page_size:
            limits.append(self.page_size)
        limit = min(limits) if limits else None
        next_key = None
        if limit is not None and limit >= 0 and len(chosen) > limit:
            chosen = chosen[:limit]
            if show_resume and chosen:
                last = chosen[-1]
                next_key = quote(f"{last.urlkey} {last.timestamp}!", safe="").replace("%20", "+")
        elif limit is not None and limit < 0:
            chosen = chosen[limit:]
        fields = (params.get("fl") or [",".join(FIELDS)])[0].split(",")
        rows = [[self.row(m).get(name, "") for name in fields] for m in chosen]
        if (params.get("output") or [""])[0] == "json":
            lines = [json.dumps(row) for row in rows]
            lines[1:1] = [extra if isinstance(extra, str) else json.dumps(extra) for extra in self.cdx_extra_lines]
            if rows or self.cdx_extra_lines or next_key:
                lines.insert(0, json.dumps(fields))
            if next_key:
                lines += ["[]", json.dumps([next_key])]
            body = "[" + ",\n".join(lines) + "]\n" if lines else "[]\n"
            return "application/json", body.encode()
        lines = [" ".join(row) for row in rows]
        lines[1:1] = [extra if isinstance(extra, str) else " ".join(extra) for extra in self.cdx_extra_lines]
        if next_key:
            lines += ["", next_key]
        return "text/plain", "".join(line + "\n" for line in lines).encode()

    def captures_of(self, url: str) -> list[FakeMemento]:
        key = surt.surt(url)
        return [m for m in self.mementos if m.urlkey == key]

    def link_header(self, url: str, current: FakeMemento | None) -> str:
        captures = self.captures_of(url)
        original = current.url if current else url
        links = [
            f'<{original}>; rel="original"',
            f'<{self.timemap_url}{original}>; rel="timemap"; type="application/link-format"',
            f'<{self.replay_prefix}{original}>; rel="timegate"',
        ]
        if captures:
            def one(m: FakeMemento, rel: str) -> str:
                return f'<{self.replay_prefix}{m.timestamp}/{m.url}>; rel="{rel}"; datetime="{http_date(m.timestamp)}"'

            first, last = captures[0], captures[-1]
            if current is None or current is not first:
                links.append(one(first, "first memento"))
            if current is not None:
                at = captures.index(current)
                if at > 0 and captures[at - 1] is not first:
                    links.append(one(captures[at - 1], "prev memento"))
                rel = "memento"
                if current is first:
                    rel = "first memento"
                if current is last:
                    rel = "last memento" if current is not first else "first last memento"
                links.append(one(current, rel))
                if at + 1 < len(captures) and captures[at + 1] is not last:
                    links.append(one(captures[at + 1], "next memento"))
            if current is None or current is not last:
                links.append(one(last, "last memento"))
        return ", ".join(links)

    def timemap(self, url: str) -> bytes:
        captures = self.captures_of(url)
        original = captures[0].url if captures else url
        lines = [
            f'<{original}>; rel="original",',
            f'<{self.timemap_url}{original}>; rel="self"; type="application/link-format"'
            + (f'; from="{http_date(captures[0].timestamp)}"; until="{http_date(captures[-1].timestamp)}"' if captures else "")
            + ",",
            f'<{self.replay_prefix}{original}>; rel="timegate",',
        ]
        for n, m in enumerate(captures):
            rel = "memento"
            if n == 0:
                rel = "first memento"
            if n == len(captures) - 1:
                rel = "last memento" if n else "first last memento"
            lines.append(f'<{self.replay_prefix}{m.timestamp}/{m.url}>; rel="{rel}"; datetime="{http_date(m.timestamp)}",')
        lines[-1] = lines[-1].rstrip(",")
        return ("\n".join(lines) + "\n").encode()


_REPLAY = re.compile(r"^/web/(?P<ts>\d{1,14})(?P<flag>[a-z]{2}_)?/(?P<url>.+)$")


class _Handler(BaseHTTPRequestHandler):
    owner: FakeArchive
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 10  # an idle kept-alive connection is let go

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head: bool = False):
        archive = self.owner
        fault = archive._record(self.command, self.path)
        wrong_body = False
        if fault:
            parsed = FAULT.match(fault)
            if parsed["hang"]:
                archive._closing.wait(float(parsed["hang"]))
            elif fault == "reset":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            elif fault == "wrong-body":
                wrong_body = True
            else:
                status = int(parsed["status"])
                extra = [("Retry-After", parsed["retry"])] if parsed["retry"] else []
                text = {429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "Error")
                return self.answer(status, "text/html", f"<html><body><h1>{status} {text}</h1></body></html>\n".encode(), extra, head)
        split = urlsplit(self.path)
        if split.path == "/cdx/search/cdx":
            mime, body = archive.cdx_answer(split.query)
            return self.answer(200, mime, body, [], head)
        path = self.path
        if path.startswith("/web/timemap/link/"):
            url = path[len("/web/timemap/link/"):]
            body = archive.timemap(url)
            if not archive.captures_of(url):
                return self.answer(404, "text/plain", b"", [], head)
            return self.answer(200, "application/link-format", body, [], head)
        replay = _REPLAY.match(path)
        if not replay:
            return self.answer(404, "text/html", b"<html><body>Not found</body></html>\n", [], head)
        return self.replay(replay["ts"], replay["flag"] or "", replay["url"], wrong_body, head)

    def replay(self, stamp: str, flag: str, url: str, wrong_body: bool, head: bool):
        archive = self.owner
        captures = archive.captures_of(url)
        timing = [("server-timing", "captures_list;dur=12.5, load_resource;dur=3.1")]
        if not captures:
            page = b"<!DOCTYPE html><html><body><h2>Hrm.</h2><p>The Wayback Machine has not archived that URL.</p></body></html>\n"
            return self.answer(404, "text/html; charset=utf-8", page, timing, head)
        exact = [m for m in captures if m.timestamp == stamp]
        if not exact:
            wanted = parse_timestamp(stamp.ljust(14, "0"))
            nearest = min(captures, key=lambda m: abs((parse_timestamp(m.timestamp) - wanted).total_seconds()))
            headers = [("Location", archive.raw_url(nearest.timestamp, nearest.url) if flag == "id_" else
                        f"{archive.replay_prefix}{nearest.timestamp}{flag}/{nearest.url}"),
                       ("x-archive-redirect-reason", f"found capture at {nearest.timestamp}"), *timing]
            return self.answer(302, "text/plain; charset=utf-8", b"", headers, head, reason="FOUND")
        memento = exact[0]
        body = memento.body
        if wrong_body:
            body = body + b"\n<!-- not the capture the index describes -->\n"
        headers = [
            ("memento-datetime", http_date(memento.timestamp)),
            ("link", archive.link_header(memento.url, memento)),
            ("content-security-policy", "default-src 'self' 'unsafe-eval' 'unsafe-inline' data: blob: archive.org web.archive.org"),
            ("x-archive-src", f"fake-crawl-{memento.timestamp[:8]}/FAKE-{memento.timestamp}-00000.warc.gz"),
            ("cache-control", "max-age=1800"),
            *timing,
            ("x-archive-orig-date", http_date(memento.timestamp)),
            ("x-archive-orig-server", "nginx"),
            ("x-archive-orig-content-length", str(len(memento.body))),
        ]
        for name, value in memento.headers:
            if name.lower() == "location":
                headers.append(("Location", archive.raw_url(memento.timestamp, value)))
            else:
                headers.append((f"x-archive-orig-{name.lower()}", value))
        status = 200 if memento.status is None else memento.status
        return self.answer(status, memento.mime, body, headers, head)

    def answer(self, status: int, mime: str, body: bytes, headers: list[tuple[str, str]], head: bool, reason: str | None = None):
        try:
            self.send_response(status, reason)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
