"""WARC records as this archive writes them: WARC/1.1, the HTTP status line
and headers byte for byte as received (hop-by-hop framing dropped,
``Content-Length`` set to the stored body's length), ``WARC-Date`` in UTC
with millisecond precision, and warcio building the records and their SHA-1
digests. HTTP/2 and HTTP/3 exchanges are written in HTTP/1.1 syntax (the
only one pywb and most readers accept) with ``WARC-Protocol: h2`` (or
``h3``). Never imports Scrapy or Twisted.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as distribution_version
from urllib.parse import urlsplit

from archive.warc.received_head import received_response_head, received_status

if TYPE_CHECKING:
    from archive.warc.memento_page import PageOfMemento

WARC_VERSION = "1.1"
#: The zlib level of warcio's own gzip members, and of ours when ``gzip`` is True.
WARCIO_GZIP_LEVEL = 9
CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

#: Response headers that describe the connection or the wire framing, not the
#: stored body; ``Content-Length`` is written anew for the stored body.
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding", "connection", "keep-alive", "content-length"})
#: warcinfo fields the writer sets itself; a caller may not repeat them.
GENERATED_WARCINFO_FIELDS = ("software", "format", "conformsTo", "hostname")

#: Protocols whose messages are stored in HTTP/1.1 syntax, the protocol (its
#: ALPN id) named in a ``WARC-Protocol`` header: pywb and other readers accept
#: only HTTP/1.x status lines (StormCrawler, Nutch and Webrecorder do the same).
_NON_HTTP1_PROTOCOLS = {"h2": "h2", "http/2": "h2", "http/2.0": "h2", "h3": "h3", "http/3": "h3"}
_HTTP1_RE = re.compile(r"HTTP/1\.[01]")
_METHOD_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_URL_RE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space
_RECORD_ID_RE = re.compile(r"<[^<>\s]+>")

#: WARC/1.1 revisit profiles (section 6.7 of the standard).
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PAYLOAD_DIGEST = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


@dataclass(frozen=True)
class RevisitOf:
    """The earlier capture a revisit record stands for."""

    profile: str  # SERVER_NOT_MODIFIED or IDENTICAL_PAYLOAD_DIGEST
    payload_digest: str  # the original's WARC-Payload-Digest
    refers_to_uri: str  # the original's WARC-Target-URI
    refers_to_date: str  # the original's WARC-Date
    refers_to: str | None = None  # the original's WARC-Record-ID, when known


def _software() -> str:
    """``mediarchive/<version> warcio/<version>`` for the warcinfo ``software`` field."""
    try:
        ours = distribution_version("mediarchive")
    except PackageNotFoundError:  # running from a source tree that was never installed
        ours = "unknown"
    return f"mediarchive/{ours} warcio/{distribution_version('warcio')}"


SOFTWARE = _software()


class InvalidExchangeError(ValueError):
    """An exchange (or metadata, or warcinfo field) that cannot be written as given."""


class WriterClosedError(RuntimeError):
    """``write_exchange`` called on a writer after ``close()``."""


@dataclass(frozen=True)
class RecordLocation:
    """Where one record lies, to read it back without a scan."""

    filename: str  # final file name (basename, without ".open"), as it will be after close
    offset: int  # byte offset of the record's start (its gzip member) in the file
    length: int  # bytes of the record (its gzip member) in the file
    record_id: str  # "<urn:uuid:...>"


@dataclass(frozen=True)
class ExchangeLocations:
    """The records one :meth:`RollingWarcWriter.write_exchange` call wrote."""

    response: RecordLocation
    request: RecordLocation
    metadata: RecordLocation | None
    memento_page: RecordLocation | None = None


# --------------------------------------------------------------------------
# Values: dates, URLs, header blocks, warc-fields


def payload_digest(body: bytes) -> str:
    """A WARC-Payload-Digest as warcio writes it: sha1, base 32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: give a timezone-aware (UTC) datetime")
    return moment.astimezone(timezone.utc)


def format_warc_date(moment: datetime) -> str:
    """A WARC-Date: UTC, millisecond precision, e.g. ``2024-05-06T07:08:09.123Z``."""
    utc = as_utc(moment)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def file_timestamp(moment: datetime) -> str:
    """The 17-digit ``YYYYmmddHHMMSSfff`` time used in file names."""
    utc = as_utc(moment)
    return f"{utc:%Y%m%d%H%M%S}{utc.microsecond // 1000:03d}"


def target_uri(url: str) -> str:
    """The URL as fetched, for WARC-Target-URI: unchanged but for its fragment."""
    if not _URL_RE.fullmatch(url):
        raise InvalidExchangeError(f"URL must be printable ASCII without spaces: {url!r}")
    uri = url.split("#", 1)[0]
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidExchangeError(f"not an absolute http(s) URL: {url!r}")
    return uri


def request_target(uri: str) -> str:
    """The request line's target: path and query exactly as in ``uri``, ``/`` if no path."""
    after_scheme = uri.split("://", 1)[1]
    cut = min((i for i in (after_scheme.find("/"), after_scheme.find("?")) if i >= 0), default=-1)
    if cut < 0:
        return "/"
    target = after_scheme[cut:]
    return target if target.startswith("/") else "/" + target


def host_header(uri: str) -> str:
    """The Host header a client sends for ``uri``: host, and port unless the default."""
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidExchangeError(f"bad port in URL {uri!r}") from exc
    host = parts.netloc.rpartition("@")[2]
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    if port == default:
        host = host.rsplit(":", 1)[0]
    return host


def _check_field(kind: str, name: str, value: str) -> None:
    """Refuse a ``name: value`` line that would break the record's framing."""
    if not name or name[0] in " \t" or ":" in name or "\r" in name or "\n" in name:
        raise InvalidExchangeError(f"bad {kind} name {name!r}")
    if "\r" in value or "\n" in value:
        raise InvalidExchangeError(f"{kind} {name!r} has a line break in its value {value!r}")


def http_head(start_line: str, headers: Sequence[tuple[str, str]]) -> bytes:
    """An HTTP start line and header lines, latin-1 encoded (bytes as received), ending in a blank line."""
    for name, value in headers:
        _check_field("HTTP header", name, value)
    lines = [start_line, *(f"{name}: {value}" for name, value in headers), "", ""]
    try:
        return "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError as exc:
        raise InvalidExchangeError(f"HTTP head is not latin-1 (bytes decoded as latin-1 expected): {exc}") from exc


def warc_fields(fields: Sequence[tuple[str, str]]) -> bytes:
    """``application/warc-fields`` content: one ``name: value`` line per field, UTF-8."""
    for name, value in fields:
        _check_field("warc-fields", name, value)
    return "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")


def stored_protocol(protocol: str) -> tuple[str, str | None]:
    """The status line's HTTP version and the ``WARC-Protocol`` value (None for HTTP/1.x).

    ``HTTP/1.0`` and ``HTTP/1.1`` are kept as given; HTTP/2 (Scrapy says
    ``h2``) and HTTP/3 are written as ``HTTP/1.1`` with ``WARC-Protocol: h2``
    (or ``h3``). Anything else is refused, never guessed.
    """
    if _HTTP1_RE.fullmatch(protocol):
        return protocol, None
    alpn = _NON_HTTP1_PROTOCOLS.get(protocol.lower())
    if alpn is None:
        raise InvalidExchangeError(f"unknown HTTP protocol {protocol!r}")
    return "HTTP/1.1", alpn


def response_head(
    status: int,
    reason: str,
    http_version: str,
    headers: Sequence[tuple[str, str]],
    body_length: int,
    received: Sequence[bytes] | None = None,
) -> bytes:
    """Status line and headers as stored: framing headers dropped, Content-Length of the stored body.

    ``received`` is the head as it came off the socket, one line a bytes
    string without its ``\\n`` (see :func:`received_response_head`); when it
    is given and its status line says ``status``, it is stored instead of the
    head rebuilt from ``headers``.
    """
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 999:
        raise InvalidExchangeError(f"bad HTTP status {status!r}")
    if received is not None and received_status(received) == (http_version, status):
        try:
            return received_response_head(received, body_length)
        except ValueError as exc:
            raise InvalidExchangeError(str(exc)) from None
    if "\r" in reason or "\n" in reason:
        raise InvalidExchangeError(f"line break in reason phrase {reason!r}")
    kept = [(name, value) for name, value in headers if name.lower() not in DROPPED_RESPONSE_HEADERS]
    kept.append(("Content-Length", str(body_length)))
    return http_head(f"{http_version} {status:03d} {reason}", kept)


def request_head(method: str, uri: str, headers: Sequence[tuple[str, str]]) -> bytes:
    """``METHOD target HTTP/1.1`` and the headers as given; ``Host`` (from the URL) put first if absent."""
    if not _METHOD_RE.fullmatch(method):
        raise InvalidExchangeError(f"bad HTTP method {method!r}")
    headers = list(headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", host_header(uri)))
    return http_head(f"{method} {request_target(uri)} HTTP/1.1", headers)


# --------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class RecordSpec:
    """One record to write: its WARC headers (without digests/length) and its block."""

    record_type: str
    uri: str
    warc_headers: list[tuple[str, str]]
    payload: bytes
    http_head: bytes | None = None

    @property
    def record_id(self) -> str:
        return dict(self.warc_headers)["WARC-Record-ID"]


@dataclass(frozen=True)
class PreparedExchange:
    """An exchange checked and encoded, before any byte is written or record ID drawn."""

    uri: str
    date: str
    ip_address: str | None
    warc_protocol: str | None
    response_head: bytes
    body: bytes
    request_head: bytes
    request_body: bytes
    metadata: bytes | None
    revisit: RevisitOf | None = None
    memento_page: PageOfMemento | None = None  # archive.warc.memento_page
    truncated: str | None = None  # WARC-Truncated: why the body stops short ("length": a size cap)

    def records(self, new_id: Callable[[], str], warcinfo_id: str) -> list[RecordSpec]:
        """response (or revisit), request and (if any) metadata records, in
        that order; then the page of a memento, if the response is one."""
        response_id = checked_id(new_id())
        protocol = [("WARC-Protocol", self.warc_protocol)] if self.warc_protocol else []
        response_extra = [("WARC-IP-Address", self.ip_address)] if self.ip_address else []
        response_extra += [("WARC-Truncated", self.truncated)] if self.truncated else []
        first_type = "response"
        if self.revisit is not None:
            first_type = "revisit"
            response_extra += [
                ("WARC-Profile", self.revisit.profile),
                *([("WARC-Refers-To", self.revisit.refers_to)] if self.revisit.refers_to else []),
                ("WARC-Refers-To-Target-URI", self.revisit.refers_to_uri),
                ("WARC-Refers-To-Date", self.revisit.refers_to_date),
                ("WARC-Payload-Digest", self.revisit.payload_digest),
            ]
        specs = [
            RecordSpec(
                first_type,
                self.uri,
                self._warc_headers(first_type, response_id, response_extra + protocol, warcinfo_id),
                self.body,
                self.response_head,
            ),
            RecordSpec(
                "request",
                self.uri,
                self._warc_headers(
                    "request", checked_id(new_id()), [("WARC-Concurrent-To", response_id), *protocol], warcinfo_id
                ),
                self.request_body,
                self.request_head,
            ),
        ]
        if self.metadata is not None:
            headers = self._warc_headers(
                "metadata", checked_id(new_id()), [("WARC-Concurrent-To", response_id)], warcinfo_id
            )
            specs.append(RecordSpec("metadata", self.uri, headers, self.metadata))
        if self.memento_page is not None:
            specs.append(self.memento_page.spec(checked_id(new_id()), response_id, self.uri, self.date, warcinfo_id))
        return specs

    def _warc_headers(
        self, record_type: str, record_id: str, extra: list[tuple[str, str]], warcinfo_id: str
    ) -> list[tuple[str, str]]:
        return [
            ("WARC-Type", record_type),
            ("WARC-Record-ID", record_id),
            ("WARC-Date", self.date),
            ("WARC-Target-URI", self.uri),
            *extra,
            ("WARC-Warcinfo-ID", warcinfo_id),
        ]



def checked_id(record_id: str) -> str:
    if not isinstance(record_id, str) or not _RECORD_ID_RE.fullmatch(record_id):
        raise ValueError(f"record ID must look like '<urn:uuid:...>', got {record_id!r}")
    return record_id


def checked_ip(ip_address: str | None) -> str | None:
    if not ip_address:
        return None
    try:
        return str(ipaddress.ip_address(ip_address))
    except ValueError as exc:
        raise InvalidExchangeError(f"bad IP address {ip_address!r}") from exc


def checked_warcinfo_fields(fields: Mapping[str, str | None] | None) -> list[tuple[str, str]]:
    """Caller warcinfo fields, those with no value skipped, none repeating a generated one."""
    kept = [(name, str(value)) for name, value in (fields or {}).items() if value is not None and value != ""]
    for name, _ in kept:
        if name in GENERATED_WARCINFO_FIELDS:
            raise InvalidExchangeError(f"warcinfo field {name!r} is set by the writer")
    warc_fields(kept)  # validates names and values
    return kept
