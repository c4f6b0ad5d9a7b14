"""A local, deterministic news site for end-to-end crawl tests.

It serves the 181 real article pages of the Zyte article-extraction
benchmark, read in place from ``shared/realdata/extraction/
zyte-article-benchmark`` (a sibling of the repository), plus listing pages,
an RSS feed, sitemaps, robots.txt and a set of edge-case routes.

Standard library only.  Typical use::

    with LocalSite(per_page=20) as site:
        crawl(site.base_url + "/")
        assert not site.private_requested

Standalone (for manual crawls and benchmarks)::

    python -m tests.localsite --port 0
    # -> LISTENING http://127.0.0.1:PORT

Per-request logging goes to stderr only when the environment variable
``MEDIARCHIVE_LOCALSITE_LOG`` is set to a non-empty value.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import gzip
import hashlib
import html
import json
import os
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import traceback
import zlib
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as _xml_escape

__all__ = [
    "DATA_DIR",
    "PLAIN",
    "GZIP",
    "CHUNKED",
    "Extra",
    "RecordedRequest",
    "LocalSite",
    "data_available",
]

DATA_DIR = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "realdata"
    / "extraction"
    / "zyte-article-benchmark"
)

#: How an article response is framed (see :meth:`LocalSite.encoding_of`).
PLAIN = "plain"  # identity body, Content-Length
GZIP = "gzip"  # Content-Encoding: gzip when the request accepts gzip, else plain
CHUNKED = "chunked"  # Transfer-Encoding: chunked, identity body
_KINDS = (PLAIN, GZIP, CHUNKED)

SITE_NAME = "Local Gazette"
FEED_SIZE = 20
EXTRA_SITEMAP_SIZE = 5
BIG_PAGE_MIN_BYTES = 10 * 1024 * 1024
CHUNK_SIZES = (4096, 8192, 1000, 16384)  # cycled, so chunk boundaries vary
_BASE_DATE = _dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=_dt.timezone.utc)
_ARTICLE_INTERVAL = _dt.timedelta(hours=6)

ABOUT_PATH = "/about/"
TAG_PATHS = ("/tag/politics/", "/tag/economy/")
EXTERNAL_URL = "http://example.invalid/partner/story.html"
MAILTO_URL = "mailto:newsroom@example.invalid"
TEL_URL = "tel:+15555550100"
JAVASCRIPT_URL = "javascript:void(0)"
SLOW_PATH = "/slow.html"
SET_COOKIES = (
    "session=abc123; Path=/; HttpOnly",
    "theme=dark; Path=/; Max-Age=3600",
)
_LOG_ENV = "MEDIARCHIVE_LOCALSITE_LOG"


def data_available(data_dir: Path | None = None) -> bool:
    """True when the benchmark pages are present (for ``pytest.skip``)."""
    root = Path(data_dir) if data_dir is not None else DATA_DIR
    return (root / "html").is_dir() and (root / "ground-truth.json").is_file()


# --------------------------------------------------------------------------
# Benchmark corpus (shared by all LocalSite instances, lazily decompressed)
# --------------------------------------------------------------------------

_META_RE = re.compile(rb"<meta\b[^>]*>", re.I)
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_CHARSET_ATTR_RE = re.compile(rb"""\scharset\s*=""", re.I)
_HTTP_EQUIV_CT_RE = re.compile(rb"""http-equiv\s*=\s*["']?\s*content-type""", re.I)
_TITLE_RE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def declared_charset(page: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` tag, lower-cased, or None.

    Looks at ``<meta charset=...>`` and ``<meta http-equiv="Content-Type"
    content="...; charset=...">`` anywhere in the document; the first wins.
    """
    for m in _META_RE.finditer(page):
        tag = m.group(0)
        if not (_CHARSET_ATTR_RE.search(tag) or _HTTP_EQUIV_CT_RE.search(tag)):
            continue
        cm = _CHARSET_RE.search(tag)
        if cm:
            return cm.group(1).decode("ascii").lower()
    return None


class _Corpus:
    def __init__(self, root: Path):
        self.root = root
        html_dir = root / "html"
        if not html_dir.is_dir():
            raise FileNotFoundError(
                f"benchmark pages not found at {html_dir} "
                "(expected shared/ to be a sibling of the repository)"
            )
        suffix = ".html.gz"
        self.ids: tuple[str, ...] = tuple(
            sorted(p.name[: -len(suffix)] for p in html_dir.iterdir() if p.name.endswith(suffix))
        )
        self.index = {aid: i for i, aid in enumerate(self.ids)}
        # Values are computed outside any lock; dict.setdefault keeps the
        # first result, so concurrent first requests stay consistent.
        self._html: dict[str, bytes] = {}
        self._gz: dict[str, bytes] = {}
        self._charset: dict[str, str | None] = {}
        self._title: dict[str, str] = {}
        self._truth: dict | None = None

    def html(self, aid: str) -> bytes:
        data = self._html.get(aid)
        if data is None:
            raw = (self.root / "html" / f"{aid}.html.gz").read_bytes()
            data = self._html.setdefault(aid, gzip.decompress(raw))
        return data

    def gzipped(self, aid: str) -> bytes:
        data = self._gz.get(aid)
        if data is None:
            data = self._gz.setdefault(aid, gzip.compress(self.html(aid), compresslevel=6, mtime=0))
        return data

    def charset(self, aid: str) -> str | None:
        if aid not in self._charset:
            self._charset.setdefault(aid, declared_charset(self.html(aid)))
        return self._charset[aid]

    def title(self, aid: str) -> str:
        title = self._title.get(aid)
        if title is None:
            text = self.html(aid).decode(self.charset(aid) or "utf-8", "replace")
            m = _TITLE_RE.search(text)
            title = html.unescape(m.group(1)) if m else ""
            title = " ".join(_CONTROL_RE.sub(" ", title).split())
            title = self._title.setdefault(aid, title or f"Article {aid[:12]}")
        return title

    def ground_truth(self) -> dict:
        if self._truth is None:
            with open(self.root / "ground-truth.json", encoding="utf-8") as fh:
                self._truth = json.load(fh)
        return self._truth


_corpora: dict[Path, _Corpus] = {}
_corpora_lock = threading.Lock()


def _corpus(root: Path) -> _Corpus:
    root = root.resolve()
    with _corpora_lock:
        c = _corpora.get(root)
        if c is None:
            c = _corpora[root] = _Corpus(root)
        return c


# --------------------------------------------------------------------------
# Generated content (deterministic, built once on first use)
# --------------------------------------------------------------------------

RU_DECLARED_TITLE = "Старое трамвайное депо в Екатеринбурге превратят в культурный центр"
RU_DECLARED_PARAGRAPHS = (
    "Городские власти Екатеринбурга утвердили проект реконструкции бывшего трамвайного депо "
    "на улице Блюхера, которое пустовало почти пятнадцать лет. Как сообщили в администрации "
    "города, здание начала прошлого века сохранит исторический облик, а внутри появятся "
    "выставочные залы, библиотека, мастерские для молодых художников и небольшой концертный "
    "зал на четыреста мест.",
    "По словам представителей мэрии, работы начнутся весной следующего года и займут около "
    "двух лет. Стоимость проекта оценивается в один миллиард двести миллионов рублей. Большую "
    "часть средств выделит областной бюджет, остальное планируется привлечь от частных "
    "инвесторов, которые получат право на аренду коммерческих помещений на первом этаже.",
    "Архитекторы, работающие над проектом, подчеркивают, что главная задача — сохранить "
    "кирпичные фасады, чугунные колонны и деревянные фермы перекрытия. «Мы не хотим строить "
    "новое здание внутри старого. Нам важно, чтобы посетители чувствовали историю этого места, "
    "видели следы рельсов и смотровые ямы, где когда-то ремонтировали вагоны», — рассказал "
    "руководитель архитектурного бюро.",
    "Жители соседних кварталов в целом поддерживают идею, однако высказывают опасения по поводу "
    "парковки и шума. На публичных слушаниях, которые прошли в конце сентября, многие просили "
    "предусмотреть подземную стоянку и ограничить время проведения концертов. В администрации "
    "пообещали учесть эти замечания и доработать проект до конца года.",
    "Эксперты в области городского развития отмечают, что превращение промышленных зданий в "
    "общественные пространства стало заметной тенденцией в крупных российских городах. Подобные "
    "проекты уже реализованы в Москве, Санкт-Петербурге и Нижнем Новгороде. По мнению "
    "специалистов, такие центры помогают оживить целые районы, привлекают туристов и создают "
    "новые рабочие места для местных жителей.",
    "Трамвайное депо было построено в 1912 году и долгое время оставалось одним из крупнейших "
    "на Урале. В советские годы здесь обслуживали более ста вагонов, а в мастерских работали "
    "несколько сотен человек. После переноса ремонтной базы на окраину города здание постепенно "
    "приходило в упадок, а в 2019 году его признали объектом культурного наследия регионального "
    "значения.",
    "Городские активисты, которые несколько лет добивались сохранения депо, называют решение "
    "властей большой победой. Они уже подготовили предложения по программе будущего центра: "
    "лекции по истории города, выставки старых фотографий, детские кружки и ярмарки местных "
    "ремесленников. Первые мероприятия, по их словам, можно провести прямо во дворе депо уже "
    "следующим летом, не дожидаясь окончания ремонта.",
)

RU_UNDECLARED_TITLE = "Фермеры Алтайского края собрали рекордный урожай гречихи"
RU_UNDECLARED_PARAGRAPHS = (
    "Аграрии Алтайского края завершили уборку гречихи и подвели предварительные итоги сезона. "
    "По данным регионального министерства сельского хозяйства, в этом году собрано более "
    "шестисот тысяч тонн зерна, что почти на четверть превышает показатели прошлого года. "
    "Средняя урожайность составила около двенадцати центнеров с гектара.",
    "Специалисты объясняют высокий результат удачной погодой: в июне и июле в регионе прошли "
    "обильные дожди, а во время уборки установилась сухая и теплая погода. Кроме того, многие "
    "хозяйства за последние годы обновили технику и перешли на более продуктивные сорта, "
    "устойчивые к засухе и болезням.",
    "«Мы начали сеять позже обычного, и многие переживали, что не успеем. Но осень оказалась на "
    "нашей стороне, и мы убрали все поля без потерь», — рассказал глава крупного фермерского "
    "хозяйства из Бийского района. По его словам, в следующем году он планирует расширить посевы "
    "еще на пятьсот гектаров.",
    "Вместе с тем рекордный урожай создает и новые проблемы. Элеваторы в нескольких районах уже "
    "заполнены, а закупочные цены на гречиху за последний месяц снизились почти на пятнадцать "
    "процентов. Фермеры просят власти помочь с хранением и организовать дополнительные поставки "
    "зерна в другие регионы и за рубеж.",
    "В региональном правительстве сообщили, что ведут переговоры с перерабатывающими "
    "предприятиями и железнодорожными компаниями. Часть урожая планируется отправить в Китай и "
    "Казахстан, где спрос на российскую гречку в последние годы стабильно растет. Кроме того, "
    "обсуждается возможность льготных кредитов для строительства новых складов.",
    "Алтайский край традиционно считается главным производителем гречихи в России: на его долю "
    "приходится около половины всего урожая страны. Эту культуру здесь выращивают более ста лет, "
    "а местная крупа известна далеко за пределами региона. Экономисты ожидают, что в ближайшие "
    "месяцы розничные цены на гречку в магазинах останутся стабильными или даже немного "
    "снизятся.",
    "Переработчики, в свою очередь, уверяют, что готовы принять больше сырья, если фермеры "
    "согласятся на долгосрочные контракты. Директор одного из крупнейших крупяных заводов края "
    "отметил, что предприятие уже увеличило выпуск продукции и набирает дополнительный персонал "
    "на зимний период.",
)

BIG_TITLE = "City council approves an expanded night bus network"
BIG_LEAD = (
    "The city council voted on Tuesday evening to expand the night bus network, adding six new "
    "routes that will run every twenty minutes between midnight and five in the morning. "
    "Council members said the change was driven by a survey of hospital staff, cleaners and "
    "restaurant workers, many of whom reported walking home for more than an hour after late "
    "shifts. The new routes will connect the northern housing estates with the central station, "
    "the university hospital and the industrial park by the river. Transport officials expect "
    "the first buses to run in early autumn, once drivers have been hired and trained, and said "
    "the annual cost would be covered by a small increase in parking charges in the city centre."
)
_FILLER_SENTENCES = (
    "Readers can browse the full archive of council coverage going back to the early nineties.",
    "Each entry below records a meeting date, the items on the agenda and the result of the vote.",
    "Archived minutes are provided as they were published and have not been edited for style.",
    "Corrections issued after publication are listed at the end of the relevant entry.",
)


def _ru_page(title: str, paragraphs: tuple[str, ...]) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)
    text = (
        "<!DOCTYPE html>\n<html lang=\"ru\">\n<head>\n"
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<article>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}</article>\n</body>\n</html>\n"
    )
    return text.encode("cp1251")


@functools.cache
def ru_declared_utf8_page() -> bytes:
    """windows-1251 bytes, no meta charset (the HTTP header will claim utf-8)."""
    return _ru_page(RU_DECLARED_TITLE, RU_DECLARED_PARAGRAPHS)


@functools.cache
def ru_undeclared_page() -> bytes:
    """windows-1251 bytes, no charset anywhere."""
    return _ru_page(RU_UNDECLARED_TITLE, RU_UNDECLARED_PARAGRAPHS)


@functools.cache
def big_page() -> bytes:
    """A deterministic HTML page of at least BIG_PAGE_MIN_BYTES bytes."""
    head = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{BIG_TITLE} | {SITE_NAME}</title>\n</head>\n<body>\n<article>\n"
        f"<h1>{BIG_TITLE}</h1>\n<p>{BIG_LEAD}</p>\n</article>\n<section class=\"archive\">\n"
    ).encode()
    tail = b"</section>\n</body>\n</html>\n"
    parts = [head]
    size = len(head) + len(tail)
    i = 0
    while size < BIG_PAGE_MIN_BYTES:
        line = (
            f"<p class=\"entry\" id=\"e{i}\">Archive entry {i:06d}. "
            f"{_FILLER_SENTENCES[i % 4]} {_FILLER_SENTENCES[(i + 1) % 4]}</p>\n"
        ).encode()
        parts.append(line)
        size += len(line)
        i += 1
    parts.append(tail)
    return b"".join(parts)


@functools.cache
def pdf_bytes() -> bytes:
    """A small, valid one-page PDF (correct xref offsets)."""
    stream = b"BT /F1 24 Tf 72 720 Td (Local Gazette annual report) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % num + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@functools.cache
def png_bytes() -> bytes:
    """A small, valid 16x16 RGB PNG."""
    width = height = 16
    raw = b"".join(
        b"\x00" + bytes(c for x in range(width) for c in (x * 16, y * 16, 128)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------


class RecordedRequest(NamedTuple):
    """One request received by the site (unpacks as ``method, path, headers``)."""

    method: str
    path: str  # request target as sent: path plus query string
    headers: dict[str, str]  # lower-cased names; repeated headers joined by ", "


@dataclass(frozen=True)
class Extra:
    """An edge-case route (see :attr:`LocalSite.extras`)."""

    name: str
    path: str  # path plus query, as it will appear in LocalSite.requests
    url: str  # absolute URL
    status: int  # expected status of a GET (redirects are not followed)
    content_type: str | None  # exact Content-Type header value, None for redirects
    location: str | None = None  # absolute Location for redirects


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunked: bool = False


def _html_response(status: int, text: str, *extra_headers: tuple[str, str]) -> _Response:
    return _Response(
        status,
        text.encode("utf-8"),
        [("Content-Type", "text/html; charset=utf-8"), *extra_headers],
    )


def _accepts_gzip(value: str | None) -> bool:
    if not value:
        return False
    for item in value.split(","):
        token, _, params = item.strip().partition(";")
        if token.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, val = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


def _w3c(d: _dt.datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%S+00:00")


# --------------------------------------------------------------------------
# HTTP server plumbing
# --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LocalGazette/1.0"
    timeout = 30  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # no Nagle/delayed-ACK stalls on keep-alive
    server: "_Server"

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            self.server.site._record(self.command, self.path, self.headers)
        return ok

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _drain_request_body(self) -> None:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > 1 << 20:
            self.close_connection = True
        elif length:
            self.rfile.read(length)

    def _serve(self, head: bool) -> None:
        site = self.server.site
        self._drain_request_body()
        try:
            resp = site._respond(self.path, self.headers)
        except Exception:  # a bug in the site itself: record it, answer 500
            site._record_error(traceback.format_exc())
            resp = _html_response(500, "<!DOCTYPE html><title>Internal error</title><h1>Internal error</h1>")
        if site.validators and resp.status == 200:
            etag = '"%s"' % hashlib.sha1(resp.body).hexdigest()[:16]
            if self.headers.get("If-None-Match") == etag:
                resp = _Response(304)
            resp.headers.append(("ETag", etag))
        if resp.chunked and self.request_version != "HTTP/1.1":
            resp.chunked = False  # HTTP/1.0 clients cannot parse chunked framing
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        if resp.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(resp.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        if not resp.chunked:
            self.wfile.write(resp.body)
            return
        body = memoryview(resp.body)
        pos = n = 0
        while pos < len(body):
            piece = body[pos : pos + CHUNK_SIZES[n % len(CHUNK_SIZES)]]
            self.wfile.write(b"%x\r\n" % len(piece) + piece.tobytes() + b"\r\n")
            pos += len(piece)
            n += 1
        self.wfile.write(b"0\r\n\r\n")

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if os.environ.get(_LOG_ENV):
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins handler threads (after stop() unblocks them)
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, site: "LocalSite"):
        self.site = site
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self.connection_count = 0
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup
        # that can be slow without a network; skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address) -> None:
        with self._conns_lock:
            self._conns.add(request)
            self.connection_count += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def interrupt_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive reads or writes."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # client went away, or stop() interrupted the connection
        if isinstance(exc, OSError) and self.site._stopping.is_set():
            return
        self.site._record_error(traceback.format_exc())
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# The site
# --------------------------------------------------------------------------

_ARTICLE_RE = re.compile(r"^/articles/([0-9A-Za-z_\-]+)\.html$")
_OLD_RE = re.compile(r"^/old/([0-9A-Za-z_\-]+)\.html$")

_EXTRA_NAMES = (
    "redirect",
    "missing",
    "broken",
    "private",
    "cookies",
    "pdf",
    "png",
    "cp1251_declared_utf8",
    "cp1251_undeclared",
    "empty",
    "big",
    "query",
)


class LocalSite:
    """A local news site served from a daemon thread on ``host:port``.

    ``port=0`` picks a free port; ``per_page`` is the number of articles per
    listing page; ``extras`` enables (and links) the edge-case routes;
    ``slow_seconds`` is the delay of ``/slow.html`` (never linked);
    ``validators`` gives every 200 answer an ``ETag`` and answers a request
    whose ``If-None-Match`` matches it with ``304 Not Modified``, as real
    servers do for feeds, sitemaps and listings.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        per_page: int = 20,
        extras: bool = True,
        slow_seconds: float = 2.0,
        data_dir: Path | str | None = None,
        validators: bool = False,
    ):
        if per_page < 1:
            raise ValueError("per_page must be >= 1")
        self.host = host
        self.port = port
        self.per_page = per_page
        self.extras_enabled = extras
        self.slow_seconds = slow_seconds
        self.validators = validators
        self._corpus = _corpus(Path(data_dir) if data_dir is not None else DATA_DIR)
        self.article_ids: list[str] = list(self._corpus.ids)
        self._base_url: str | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._errors: list[str] = []
        self.redirect_id = self.article_ids[0]  # the article /old/<id>.html points to

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> "LocalSite":
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), self)
        self.port = server.server_address[1]
        host = self.host if ":" not in self.host else f"[{self.host}]"
        self._base_url = f"http://{host}:{self.port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"localsite:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()  # stop accepting
        server.interrupt_connections()  # unblock keep-alive / slow handlers
        server.server_close()  # close listening socket, join handler threads
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> "LocalSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- URLs ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("LocalSite not started")
        return self._base_url

    def url(self, path: str) -> str:
        """Absolute URL for a path (``"/news/"`` -> ``"http://127.0.0.1:PORT/news/"``)."""
        return self.base_url + path

    @property
    def home_url(self) -> str:
        return self.url("/")

    @property
    def page_count(self) -> int:
        return -(-len(self.article_ids) // self.per_page)

    @staticmethod
    def listing_path(page: int) -> str:
        return "/news/" if page == 1 else f"/news/?page={page}"

    def listing_url(self, page: int) -> str:
        return self.url(self.listing_path(page))

    @property
    def listing_urls(self) -> list[str]:
        return [self.listing_url(n) for n in range(1, self.page_count + 1)]

    def listing_ids(self, page: int) -> list[str]:
        start = (page - 1) * self.per_page
        return self.article_ids[start : start + self.per_page]

    @property
    def feed_url(self) -> str:
        return self.url("/feed.xml")

    @property
    def sitemap_url(self) -> str:
        return self.url("/sitemap.xml")

    @property
    def sitemap_index_url(self) -> str:
        return self.url("/sitemap_index.xml")

    @property
    def sitemap_extra_url(self) -> str:
        return self.url("/sitemap-extra.xml.gz")

    @property
    def robots_url(self) -> str:
        return self.url("/robots.txt")

    @property
    def slow_url(self) -> str:
        return self.url(SLOW_PATH)

    # -- articles ------------------------------------------------------------

    def _index(self, article_id: str) -> int:
        try:
            return self._corpus.index[article_id]
        except KeyError:
            raise KeyError(f"unknown article id {article_id!r}") from None

    @staticmethod
    def article_path(article_id: str) -> str:
        return f"/articles/{article_id}.html"

    def article_url(self, article_id: str) -> str:
        self._index(article_id)
        return self.url(self.article_path(article_id))

    def article_id_for_url(self, url: str) -> str | None:
        """Inverse of :meth:`article_url` (None for non-article URLs)."""
        m = _ARTICLE_RE.match(urlsplit(url).path)
        return m.group(1) if m and m.group(1) in self._corpus.index else None

    def article_body(self, article_id: str) -> bytes:
        """Exact (decompressed) HTML bytes served for the article."""
        self._index(article_id)
        return self._corpus.html(article_id)

    def article_charset(self, article_id: str) -> str | None:
        """Charset the page declares (and the header repeats), or None."""
        self._index(article_id)
        return self._corpus.charset(article_id)

    def article_content_type(self, article_id: str) -> str:
        cs = self.article_charset(article_id)
        return f"text/html; charset={cs}" if cs else "text/html"

    def article_title(self, article_id: str) -> str:
        self._index(article_id)
        return self._corpus.title(article_id)

    def article_date(self, article_id: str) -> _dt.datetime:
        """Publication date (UTC); article_ids[0] is the newest."""
        return _BASE_DATE - self._index(article_id) * _ARTICLE_INTERVAL

    def ground_truth(self, article_id: str) -> dict:
        """Benchmark record: ``{"articleBody": ..., "url": ...}`` (original URL)."""
        self._index(article_id)
        return self._corpus.ground_truth()[article_id]

    def encoding_of(self, article_id: str) -> str:
        """``PLAIN``, ``GZIP`` or ``CHUNKED`` (by index: i % 3)."""
        return _KINDS[self._index(article_id) % 3]

    def ids_with_encoding(self, kind: str) -> list[str]:
        if kind not in _KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        return [a for a in self.article_ids if self.encoding_of(a) == kind]

    @property
    def feed_ids(self) -> list[str]:
        return self.article_ids[:FEED_SIZE]

    @property
    def extra_sitemap_ids(self) -> list[str]:
        return self.article_ids[-EXTRA_SITEMAP_SIZE:]

    # -- extras ----------------------------------------------------------------

    def _extra_specs(self) -> list[tuple[str, str, int, str | None, str | None]]:
        html_ct = "text/html; charset=utf-8"
        return [
            ("redirect", f"/old/{self.redirect_id}.html", 301, None, self.article_path(self.redirect_id)),
            ("missing", "/missing.html", 404, html_ct, None),
            ("broken", "/broken.html", 500, html_ct, None),
            ("private", "/private/secret.html", 200, html_ct, None),
            ("cookies", "/cookies.html", 200, html_ct, None),
            ("pdf", "/files/report.pdf", 200, "application/pdf", None),
            ("png", "/files/photo.png", 200, "image/png", None),
            ("cp1251_declared_utf8", "/ru/cp1251-declared-utf8.html", 200, html_ct, None),
            ("cp1251_undeclared", "/ru/cp1251-undeclared.html", 200, "text/html", None),
            ("empty", "/empty.html", 200, "text/html", None),
            ("big", "/big.html", 200, html_ct, None),
            ("query", "/search?q=election+results&page=2", 200, html_ct, None),
        ]

    @property
    def extras(self) -> dict[str, Extra]:
        """Edge-case routes by name ({} when ``extras=False``); all linked from listings."""
        if not self.extras_enabled:
            return {}
        return {
            name: Extra(name, path, self.url(path), status, ct, self.url(loc) if loc else None)
            for name, path, status, ct, loc in self._extra_specs()
        }

    @property
    def extra_urls(self) -> dict[str, int]:
        """``{absolute URL: expected status}`` of every extra route."""
        return {e.url: e.status for e in self.extras.values()}

    # -- request log -----------------------------------------------------------

    def _record(self, method: str, path: str, headers) -> None:
        merged: dict[str, str] = {}
        for name, value in headers.items():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        with self._lock:
            self._requests.append(RecordedRequest(method, path, merged))

    def _record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)
        sys.stderr.write(f"localsite: internal error\n{text}")

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of the requests received so far (thread-safe copy)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def requested_paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def was_requested(self, path: str) -> bool:
        return any(r.path == path for r in self.requests)

    @property
    def private_requested(self) -> bool:
        """True if anything under /private/ (disallowed by robots.txt) was requested."""
        return any(urlsplit(r.path).path.startswith("/private/") for r in self.requests)

    @property
    def errors(self) -> list[str]:
        """Tracebacks of internal server errors (should stay empty)."""
        with self._lock:
            return list(self._errors)

    @property
    def connection_count(self) -> int:
        """TCP connections accepted since start (to observe keep-alive reuse)."""
        return self._server.connection_count if self._server else 0

    # -- page rendering --------------------------------------------------------

    def _nav(self) -> str:
        tags = "".join(
            f' <a href="{p}" rel="tag">{p.strip("/").split("/")[-1].title()}</a>' for p in TAG_PATHS
        )
        return (
            '<header><nav class="site-nav">'
            f'<a href="/">Home</a> <a href="/news/">News</a> <a href="{ABOUT_PATH}">About us</a>{tags}'
            f' <a href="{MAILTO_URL}">Contact the newsroom</a>'
            f' <a href="{JAVASCRIPT_URL}">Menu</a>'
            f' <a href="{TEL_URL}">Call us</a>'
            f' <a href="{EXTERNAL_URL}">Partner site</a>'
            "</nav></header>\n"
        )

    def _page(self, title: str, body: str, head_extra: str = "") -> str:
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)} | {SITE_NAME}</title>\n"
            f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="/feed.xml">\n'
            f"{head_extra}</head>\n<body>\n{self._nav()}<main>\n{body}</main>\n</body>\n</html>\n"
        )

    def _article_item(self, aid: str) -> str:
        d = self.article_date(aid)
        return (
            f'<li><a href="{self.article_path(aid)}">{html.escape(self.article_title(aid))}</a>'
            f' <time datetime="{_w3c(d)}">{d:%d %b %Y}</time></li>\n'
        )

    def _home_page(self) -> str:
        items = "".join(self._article_item(a) for a in self.article_ids[:3])
        body = (
            f"<h1>{SITE_NAME}</h1>\n<h2>Top stories</h2>\n<ul class=\"top\">\n{items}</ul>\n"
            '<p><a href="/news/">All news</a> &middot; <a href="/feed.xml">RSS feed</a></p>\n'
        )
        return self._page("Home", body)

    def _listing_page(self, page: int) -> str:
        items = "".join(self._article_item(a) for a in self.listing_ids(page))
        head_extra = ""
        pager = []
        if page > 1:
            prev = html.escape(self.listing_path(page - 1))
            head_extra += f'<link rel="prev" href="{prev}">\n'
            pager.append(f'<a rel="prev" href="{prev}">Previous page</a>')
        if page < self.page_count:
            nxt = html.escape(self.listing_path(page + 1))
            head_extra += f'<link rel="next" href="{nxt}">\n'
            pager.append(f'<a rel="next" href="{nxt}">Next page</a>')
        body = (
            f"<h1>Latest news</h1>\n<p>Page {page} of {self.page_count}</p>\n"
            f'<ul class="articles">\n{items}</ul>\n'
            f'<nav class="pagination">{" ".join(pager)}</nav>\n'
        )
        if self.extras_enabled:
            links = "".join(
                f'<li><a href="{html.escape(e.path)}">{e.name.replace("_", " ")}</a></li>\n'
                for e in self.extras.values()
            )
            body += f'<footer><h2>More from the site</h2>\n<ul class="more">\n{links}</ul></footer>\n'
        return self._page(f"Latest news, page {page}", body, head_extra)

    def _feed(self) -> bytes:
        items = []
        for aid in self.feed_ids:
            link = _xml_escape(self.article_url(aid))
            items.append(
                "<item>"
                f"<title>{_xml_escape(self.article_title(aid))}</title>"
                f"<link>{link}</link>"
                f'<guid isPermaLink="true">{link}</guid>'
                f"<pubDate>{format_datetime(self.article_date(aid), usegmt=True)}</pubDate>"
                "</item>\n"
            )
        newest = format_datetime(self.article_date(self.article_ids[0]), usegmt=True)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
            f"<title>{SITE_NAME}</title>\n<link>{_xml_escape(self.url('/'))}</link>\n"
            f"<description>Latest news from the {SITE_NAME}</description>\n"
            f"<language>en</language>\n<lastBuildDate>{newest}</lastBuildDate>\n"
            f"{''.join(items)}</channel>\n</rss>\n"
        ).encode("utf-8")

    def _urlset(self, ids: list[str]) -> bytes:
        entries = "".join(
            f"<url><loc>{_xml_escape(self.article_url(a))}</loc>"
            f"<lastmod>{_w3c(self.article_date(a))}</lastmod></url>\n"
            for a in ids
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</urlset>\n"
        ).encode("utf-8")

    def _sitemap_index(self) -> bytes:
        lastmod = _w3c(self.article_date(self.article_ids[0]))
        entries = "".join(
            f"<sitemap><loc>{_xml_escape(u)}</loc><lastmod>{lastmod}</lastmod></sitemap>\n"
            for u in (self.sitemap_url, self.sitemap_extra_url)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</sitemapindex>\n"
        ).encode("utf-8")

    def robots_txt(self) -> str:
        return (
            "User-agent: *\n"
            "Disallow: /private/\n"
            "Allow: /\n"
            "\n"
            f"Sitemap: {self.sitemap_index_url}\n"
        )

    # -- routing ---------------------------------------------------------------

    def _not_found(self) -> _Response:
        return _html_response(
            404,
            self._page("Page not found", "<h1>Page not found</h1>\n<p>Sorry, this page does not exist.</p>\n"),
        )

    def _article_response(self, aid: str, headers) -> _Response:
        kind = self.encoding_of(aid)
        resp = _Response(
            200,
            self._corpus.html(aid),
            [
                ("Content-Type", self.article_content_type(aid)),
                ("Last-Modified", format_datetime(self.article_date(aid), usegmt=True)),
            ],
        )
        if kind == CHUNKED:
            resp.chunked = True
        elif kind == GZIP:
            resp.headers.append(("Vary", "Accept-Encoding"))
            if _accepts_gzip(headers.get("Accept-Encoding")):
                resp.body = self._corpus.gzipped(aid)
                resp.headers.append(("Content-Encoding", "gzip"))
        return resp

    def _respond(self, target: str, headers) -> _Response:
        parts = urlsplit(target)
        path, query = parts.path, parts.query
        qs = parse_qs(query, keep_blank_values=True)

        if path == "/":
            return _html_response(200, self._home_page())
        if path == "/news/":
            raw = qs.get("page", ["1"])[-1]
            page = int(raw) if raw.isdigit() else 0
            if not 1 <= page <= self.page_count:
                return self._not_found()
            return _html_response(200, self._listing_page(page))
        m = _ARTICLE_RE.match(path)
        if m:
            aid = m.group(1)
            if aid not in self._corpus.index:
                return self._not_found()
            return self._article_response(aid, headers)
        if path == "/robots.txt":
            return _Response(200, self.robots_txt().encode(), [("Content-Type", "text/plain; charset=utf-8")])
        if path == "/feed.xml":
            return _Response(200, self._feed(), [("Content-Type", "application/rss+xml; charset=utf-8")])
        if path == "/sitemap.xml":
            return _Response(200, self._urlset(self.article_ids), [("Content-Type", "application/xml; charset=utf-8")])
        if path == "/sitemap_index.xml":
            return _Response(200, self._sitemap_index(), [("Content-Type", "application/xml; charset=utf-8")])
        if path == "/sitemap-extra.xml.gz":
            body = gzip.compress(self._urlset(self.extra_sitemap_ids), mtime=0)
            return _Response(200, body, [("Content-Type", "application/x-gzip")])
        if path == ABOUT_PATH:
            return _html_response(
                200,
                self._page("About us", f"<h1>About the {SITE_NAME}</h1>\n<p>A local test newspaper.</p>\n"),
            )
        if path in TAG_PATHS:
            items = "".join(self._article_item(a) for a in self.article_ids[:5])
            return _html_response(200, self._page(f"Tag {path}", f"<h1>Tagged stories</h1>\n<ul>\n{items}</ul>\n"))
        if path == SLOW_PATH:
            self._stopping.wait(self.slow_seconds)
            return _html_response(200, self._page("Slow page", "<h1>Slow page</h1>\n<p>Finally here.</p>\n"))
        if self.extras_enabled:
            resp = self._extra_response(path, qs)
            if resp is not None:
                return resp
        return self._not_found()

    def _extra_response(self, path: str, qs: dict[str, list[str]]) -> _Response | None:
        m = _OLD_RE.match(path)
        if m:
            aid = m.group(1)
            if aid not in self._corpus.index:
                return self._not_found()
            location = self.article_url(aid)
            return _html_response(
                301,
                f'<!DOCTYPE html><title>Moved</title><p>Moved to <a href="{location}">{location}</a></p>\n',
                ("Location", location),
            )
        if path == "/missing.html":
            return self._not_found()
        if path == "/broken.html":
            return _html_response(
                500, "<!DOCTYPE html>\n<html><head><title>Server error</title></head>"
                "<body><h1>500 Internal Server Error</h1></body></html>\n"
            )
        if path == "/private/secret.html":
            return _html_response(200, self._page("Private", "<h1>Private</h1>\n<p>Robots must not see this.</p>\n"))
        if path == "/cookies.html":
            resp = _html_response(200, self._page("Cookies", "<h1>Cookie page</h1>\n<p>Two cookies were set.</p>\n"))
            resp.headers.extend(("Set-Cookie", c) for c in SET_COOKIES)
            return resp
        if path == "/files/report.pdf":
            return _Response(200, pdf_bytes(), [("Content-Type", "application/pdf")])
        if path == "/files/photo.png":
            return _Response(200, png_bytes(), [("Content-Type", "image/png")])
        if path == "/ru/cp1251-declared-utf8.html":
            return _Response(200, ru_declared_utf8_page(), [("Content-Type", "text/html; charset=utf-8")])
        if path == "/ru/cp1251-undeclared.html":
            return _Response(200, ru_undeclared_page(), [("Content-Type", "text/html")])
        if path == "/empty.html":
            return _Response(200, b"", [("Content-Type", "text/html")])
        if path == "/big.html":
            return _Response(200, big_page(), [("Content-Type", "text/html; charset=utf-8")])
        if path == "/search":
            q = qs.get("q", [""])[-1]
            params = "".join(
                f"<li>{html.escape(k)} = {html.escape(v)}</li>\n" for k, vs in sorted(qs.items()) for v in vs
            )
            return _html_response(
                200,
                self._page(
                    f"Search: {q}",
                    f"<h1>Search results for “{html.escape(q)}”</h1>\n<ul class=\"params\">\n{params}</ul>\n"
                    "<p>No results.</p>\n",
                ),
            )
        return None


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.localsite", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--no-extras", dest="extras", action="store_false", help="disable edge-case routes")
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)

    done = threading.Event()

    def _on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with LocalSite(
        host=args.host, port=args.port, per_page=args.per_page, extras=args.extras, slow_seconds=args.slow_seconds
    ) as site:
        print(f"LISTENING {site.base_url}", flush=True)
        while not done.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
