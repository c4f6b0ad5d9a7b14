"""Writing HTTP exchanges to rolling WARC/1.1 files, the way Heritrix does.

Every file starts with a ``warcinfo`` record; each exchange then adds a
``response`` record, its ``request`` record and, optionally, a Heritrix-style
``metadata`` record (both ``WARC-Concurrent-To`` the response). With gzip on,
each record is its own gzip member, so any record can be read back from its
(offset, length) alone. warcio builds the records and their SHA-1 digests.

Files are named ``{prefix}-{YYYYmmddHHMMSSfff}-{serial:05d}-{pid}~{host}.warc.gz``
and carry the suffix ``.open`` while written; a file is closed (flushed,
fsynced, renamed) once it reaches ``max_size`` after a complete exchange, so
an exchange never spans two files. :func:`recover_open_file` repairs a
``.open`` file left by a crash.

The HTTP status line and headers are written byte for byte as given (header
values are ``str`` decoded from bytes as latin-1), except that hop-by-hop
framing headers are dropped and ``Content-Length`` is set to the stored
body's length: the body is stored as received, still content-encoded.
HTTP/2 and HTTP/3 exchanges are written in HTTP/1.1 syntax (the only one
pywb and most readers accept) with ``WARC-Protocol: h2`` (or ``h3``).

``WARC-Date`` is UTC with millisecond precision, always three digits
(``2024-05-06T07:08:09.123Z``); warcio, cdxj-indexer and pywb read it.

This module never imports Scrapy or Twisted.
"""

from __future__ import annotations

import io
import ipaddress
import os
import re
import socket
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as distribution_version
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

WARC_VERSION = "1.1"
DEFAULT_MAX_SIZE = 1_000_000_000
OPEN_SUFFIX = ".open"
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
_NAME_ATTEMPTS = 10_000

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


# --------------------------------------------------------------------------
# Values: dates, URLs, header blocks, warc-fields


def _new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _utc_now() -> datetime:
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


def _file_timestamp(moment: datetime) -> str:
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
    if not name or name[0] in " \t" or any(c in name for c in ":\r\n"):
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
    status: int, reason: str, http_version: str, headers: Sequence[tuple[str, str]], body_length: int
) -> bytes:
    """Status line and headers as stored: framing headers dropped, Content-Length of the stored body."""
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 999:
        raise InvalidExchangeError(f"bad HTTP status {status!r}")
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


class _VerbatimHttpHeaders(StatusAndHeaders):
    """An HTTP head that warcio writes (and digests) byte for byte.

    warcio re-serialises parsed headers as ASCII, percent-encoding other
    bytes and normalising spacing; a capture keeps them as received.
    """

    def __init__(self, head: bytes):
        super().__init__(head.split(b"\r\n", 1)[0].decode("latin-1"), [])
        self._head = head

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        self.headers_buff = self._head


@dataclass(frozen=True)
class _RecordSpec:
    """One record to write: its WARC headers (without digests/length) and its block."""

    record_type: str
    uri: str
    warc_headers: list[tuple[str, str]]
    payload: bytes
    http_head: bytes | None = None

    @property
    def record_id(self) -> str:
        return dict(self.warc_headers)["WARC-Record-ID"]


def _build_record(builder: WARCWriter, spec: _RecordSpec) -> ArcWarcRecord:
    """A warcio record for ``spec``; warcio adds the digests, Content-Type and Content-Length."""
    return builder.create_warc_record(
        spec.uri,
        spec.record_type,
        payload=io.BytesIO(spec.payload),
        length=len(spec.payload),
        warc_headers=StatusAndHeaders("", list(spec.warc_headers), protocol=f"WARC/{WARC_VERSION}"),
        http_headers=_VerbatimHttpHeaders(spec.http_head) if spec.http_head is not None else None,
    )


def serialize_records(specs: Sequence[_RecordSpec], gzip: bool) -> tuple[bytes, list[tuple[int, int]]]:
    """The records' bytes (one gzip member each if ``gzip``) and each one's (offset, length) in them."""
    buffer = io.BytesIO()
    builder = WARCWriter(buffer, gzip=gzip, warc_version=WARC_VERSION)
    spans = []
    for spec in specs:
        start = buffer.tell()
        builder.write_record(_build_record(builder, spec))
        spans.append((start, buffer.tell() - start))
    return buffer.getvalue(), spans


@dataclass(frozen=True)
class _PreparedExchange:
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

    def records(self, new_id: Callable[[], str], warcinfo_id: str) -> list[_RecordSpec]:
        """response (or revisit), request and (if any) metadata records, in that order."""
        response_id = _checked_id(new_id())
        protocol = [("WARC-Protocol", self.warc_protocol)] if self.warc_protocol else []
        response_extra = [("WARC-IP-Address", self.ip_address)] if self.ip_address else []
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
            _RecordSpec(
                first_type,
                self.uri,
                self._warc_headers(first_type, response_id, response_extra + protocol, warcinfo_id),
                self.body,
                self.response_head,
            ),
            _RecordSpec(
                "request",
                self.uri,
                self._warc_headers(
                    "request", _checked_id(new_id()), [("WARC-Concurrent-To", response_id), *protocol], warcinfo_id
                ),
                self.request_body,
                self.request_head,
            ),
        ]
        if self.metadata is not None:
            headers = self._warc_headers(
                "metadata", _checked_id(new_id()), [("WARC-Concurrent-To", response_id)], warcinfo_id
            )
            specs.append(_RecordSpec("metadata", self.uri, headers, self.metadata))
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


def _checked_id(record_id: str) -> str:
    if not isinstance(record_id, str) or not _RECORD_ID_RE.fullmatch(record_id):
        raise ValueError(f"record ID must look like '<urn:uuid:...>', got {record_id!r}")
    return record_id


def _checked_ip(ip_address: str | None) -> str | None:
    if not ip_address:
        return None
    try:
        return str(ipaddress.ip_address(ip_address))
    except ValueError as exc:
        raise InvalidExchangeError(f"bad IP address {ip_address!r}") from exc


def _checked_warcinfo_fields(fields: Mapping[str, str | None] | None) -> list[tuple[str, str]]:
    """Caller warcinfo fields, those with no value skipped, none repeating a generated one."""
    kept = [(name, str(value)) for name, value in (fields or {}).items() if value is not None and value != ""]
    for name, _ in kept:
        if name in GENERATED_WARCINFO_FIELDS:
            raise InvalidExchangeError(f"warcinfo field {name!r} is set by the writer")
    warc_fields(kept)  # validates names and values
    return kept


# --------------------------------------------------------------------------
# Files


def _fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _OpenWarc:
    """One WARC file being written as ``NAME.open``; :meth:`finish` makes it ``NAME``.

    Writes go straight to the file descriptor (no user-space buffer), so a
    record is readable at its offset by other processes once written.
    """

    def __init__(self, final_path: Path, fd: int, warcinfo_id: str):
        self.final_path = final_path
        self.open_path = final_path.with_name(final_path.name + OPEN_SUFFIX)
        self.warcinfo_id = warcinfo_id
        self.size = 0
        self._fd = fd

    @classmethod
    def create(cls, final_path: Path, warcinfo_id: str) -> _OpenWarc:
        """Create ``NAME.open``, failing with FileExistsError if it (or ``NAME``) exists."""
        if final_path.exists():
            raise FileExistsError(final_path)
        open_path = final_path.with_name(final_path.name + OPEN_SUFFIX)
        fd = os.open(open_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        return cls(final_path, fd, warcinfo_id)

    def append(self, data: bytes) -> int:
        """Write ``data`` at the end; return the offset where it starts."""
        offset = self.size
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
            self.size += written
        return offset

    def finish(self) -> Path:
        """fsync, close, rename ``NAME.open`` to ``NAME``; return the final path."""
        os.fsync(self._fd)
        os.close(self._fd)
        os.rename(self.open_path, self.final_path)
        _fsync_directory(self.final_path.parent)
        return self.final_path

    def abandon(self) -> None:
        """Close without renaming: the ``.open`` file is left for :func:`recover_open_file`."""
        os.close(self._fd)


class RollingWarcWriter:
    """Writes exchanges to WARC files of about ``max_size`` bytes in ``directory``.

    Not thread-safe: one writer per crawl process (Scrapy calls it from its
    reactor thread). ``bytes_written`` counts every byte written to every
    file, warcinfo records included. A file is opened at the first exchange
    written to it, so a writer that writes nothing leaves no file.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        prefix: str,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        gzip: bool = True,
        warcinfo_fields: Mapping[str, str | None] | None = None,
        record_id_factory: Callable[[], str] | None = None,
        clock: Callable[[], datetime] | None = None,
        hostname: str | None = None,
        pid: int | None = None,
    ):
        hostname = socket.gethostname() if hostname is None else hostname
        for what, value in (("prefix", prefix), ("hostname", hostname)):
            if not value or any(c in value for c in "/\\\0") or value.startswith("."):
                raise ValueError(f"{what} {value!r} cannot be part of a file name")
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, got {max_size}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.gzip = gzip
        self.hostname = hostname
        self.pid = os.getpid() if pid is None else pid
        self._new_id = record_id_factory or _new_record_id
        self._clock = clock or _utc_now
        self._warcinfo_fields = _checked_warcinfo_fields(warcinfo_fields)
        self._next_serial = 0
        self._file: _OpenWarc | None = None
        self._closed = False
        self.files_written: list[Path] = []
        self.bytes_written = 0

    @property
    def current_path(self) -> Path | None:
        """The ``.open`` file being written, if any."""
        return self._file.open_path if self._file else None

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: Sequence[tuple[str, str]],
        request_body: bytes,
        status: int,
        reason: str,
        protocol: str,
        response_headers: Sequence[tuple[str, str]],
        body: bytes,
        ip_address: str | None = None,
        date: datetime | None = None,
        metadata: Sequence[tuple[str, str]] | None = None,
        revisit: RevisitOf | None = None,
    ) -> ExchangeLocations:
        """Write one HTTP exchange: response, request and (if ``metadata``) metadata records.

        ``date`` (timezone-aware; default: the clock) is the WARC-Date of all
        three. ``metadata`` is Heritrix-style ``name: value`` crawl facts; an
        empty sequence writes no metadata record. Raises InvalidExchangeError
        before writing anything if a value cannot be written as given.
        """
        if self._closed:
            raise WriterClosedError("write_exchange() after close()")
        try:
            warc_date = format_warc_date(date if date is not None else self._clock())
        except ValueError as exc:
            raise InvalidExchangeError(str(exc)) from exc
        uri = target_uri(url)
        http_version, warc_protocol = stored_protocol(protocol)
        exchange = _PreparedExchange(
            uri=uri,
            date=warc_date,
            ip_address=_checked_ip(ip_address),
            warc_protocol=warc_protocol,
            response_head=response_head(status, reason, http_version, response_headers, len(body)),
            body=b"" if revisit is not None else bytes(body),
            request_head=request_head(method, uri, request_headers),
            request_body=bytes(request_body),
            metadata=warc_fields(metadata) if metadata else None,
            revisit=revisit,
        )
        warc = self._file or self._open_next_file()
        specs = exchange.records(self._new_id, warc.warcinfo_id)
        data, spans = serialize_records(specs, self.gzip)
        offset = self._append(warc, data)
        locations = [
            RecordLocation(warc.final_path.name, offset + start, length, spec.record_id)
            for spec, (start, length) in zip(specs, spans, strict=True)
        ]
        if warc.size >= self.max_size:
            self._finish_file(warc)
        return ExchangeLocations(
            response=locations[0],
            request=locations[1],
            metadata=locations[2] if len(locations) > 2 else None,
        )

    def append_raw(self, record: bytes) -> int:
        """Append one record already serialised elsewhere (one gzip member
        when writing gzip), e.g. copied byte for byte from another WARC file;
        returns its offset. The file is opened (warcinfo first) and rolled as
        for exchanges."""
        if self._closed:
            raise WriterClosedError("append_raw() after close()")
        warc = self._file or self._open_next_file()
        offset = self._append(warc, record)
        if warc.size >= self.max_size:
            self._finish_file(warc)
        return offset

    def close(self) -> None:
        """Finish the current file (flush, fsync, rename); idempotent."""
        self._closed = True
        if self._file is not None:
            self._finish_file(self._file)

    def __enter__(self) -> RollingWarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------

    def _file_name(self, moment: datetime, serial: int) -> str:
        suffix = ".warc.gz" if self.gzip else ".warc"
        return f"{self.prefix}-{_file_timestamp(moment)}-{serial:05d}-{self.pid}~{self.hostname}{suffix}"

    def _open_next_file(self) -> _OpenWarc:
        """Open the next serial's file (a name not yet in the directory) and write its warcinfo."""
        self.directory.mkdir(parents=True, exist_ok=True)
        moment = as_utc(self._clock())
        warcinfo_id = _checked_id(self._new_id())
        for _ in range(_NAME_ATTEMPTS):
            serial = self._next_serial
            self._next_serial += 1
            try:
                warc = _OpenWarc.create(self.directory / self._file_name(moment, serial), warcinfo_id)
            except FileExistsError:
                continue
            break
        else:
            raise FileExistsError(f"no free WARC file name in {self.directory} after {_NAME_ATTEMPTS} serials")
        self._file = warc
        warcinfo = _RecordSpec(
            "warcinfo",
            "",
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", warcinfo_id),
                ("WARC-Date", format_warc_date(moment)),
                ("WARC-Filename", warc.final_path.name),
            ],
            warc_fields(self._warcinfo_lines()),
        )
        data, _ = serialize_records([warcinfo], self.gzip)
        self._append(warc, data)
        return warc

    def _warcinfo_lines(self) -> list[tuple[str, str]]:
        return [
            ("software", SOFTWARE),
            ("format", f"WARC File Format {WARC_VERSION}"),
            ("conformsTo", CONFORMS_TO),
            ("hostname", self.hostname),
            *self._warcinfo_fields,
        ]

    def _append(self, warc: _OpenWarc, data: bytes) -> int:
        """Append to ``warc``; on an OS error leave it as ``.open`` for recovery and go on with a new file."""
        try:
            offset = warc.append(data)
        except OSError:
            self._file = None
            warc.abandon()
            raise
        self.bytes_written += len(data)
        return offset

    def _finish_file(self, warc: _OpenWarc) -> None:
        self._file = None
        self.files_written.append(warc.finish())


# --------------------------------------------------------------------------
# Recovery of a ``.open`` file left by a crash

_READ_CHUNK = 64 * 1024
_MAX_WARC_HEAD = 64 * 1024  # a WARC header block longer than this is not ours
_RECORD_END = b"\r\n\r\n"
_WARC_HEAD_RE = re.compile(rb"WARC/1\.[01]\r\n")


@dataclass(frozen=True)
class _WarcHead:
    """The parsed header block of a WARC record."""

    record_type: str
    head_length: int  # bytes up to and including the blank line
    content_length: int

    @property
    def record_length(self) -> int:
        """Header block, content block and the two trailing CRLFs."""
        return self.head_length + self.content_length + len(_RECORD_END)


def _parse_warc_head(data: bytes) -> _WarcHead | None:
    """The header block at the start of ``data``, or None if it is not a whole, sound one."""
    end = data.find(b"\r\n\r\n", 0, _MAX_WARC_HEAD)
    if end < 0 or not _WARC_HEAD_RE.match(data):
        return None
    fields = {}
    for line in data[:end].split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            return None
        fields[name.strip().lower()] = value.strip()
    length = fields.get(b"content-length", b"")
    record_type = fields.get(b"warc-type")
    if not length.isdigit() or not record_type:
        return None
    return _WarcHead(record_type.decode("ascii", "replace"), end + 4, int(length))


class _RecordShape:
    """Checks, from a stream of pieces, that some bytes are exactly one whole WARC record.

    Keeps only the header block and the last four bytes, whatever the record's size.
    """

    def __init__(self) -> None:
        self._start = bytearray()
        self._head: _WarcHead | None = None
        self._total = 0
        self._tail = b""

    def feed(self, piece: bytes) -> None:
        if self._head is None and len(self._start) <= _MAX_WARC_HEAD:
            self._start += piece
            self._head = _parse_warc_head(bytes(self._start))
            if self._head is not None:
                self._start = bytearray()
        self._total += len(piece)
        self._tail = (self._tail + piece[-4:])[-4:]

    def record_type(self) -> str | None:
        """The record's WARC-Type if the bytes fed are one whole record, else None."""
        head = self._head
        if head is None or self._total != head.record_length or self._tail != _RECORD_END:
            return None
        return head.record_type


def _gzip_records(fh: BinaryIO) -> Iterator[tuple[int, str]]:
    """(end offset, WARC-Type) of each leading gzip member that holds one whole WARC record."""
    position = 0  # bytes of the file consumed by the decompressor
    pending = b""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    shape = _RecordShape()
    while True:
        data = pending or fh.read(_READ_CHUNK)
        pending = b""
        if not data:
            return  # end of file: any member still open is cut short
        try:
            shape.feed(inflater.decompress(data))
        except zlib.error:
            return
        if not inflater.eof:
            position += len(data)
            continue
        pending = inflater.unused_data
        position += len(data) - len(pending)
        record_type = shape.record_type()
        if record_type is None:
            return
        yield position, record_type
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        shape = _RecordShape()


def _plain_records(fh: BinaryIO) -> Iterator[tuple[int, str]]:
    """(end offset, WARC-Type) of each leading whole record of an uncompressed WARC."""
    size = os.fstat(fh.fileno()).st_size
    position = 0
    while position < size:
        fh.seek(position)
        head = _parse_warc_head(fh.read(_MAX_WARC_HEAD))
        if head is None or position + head.record_length > size:
            return
        fh.seek(position + head.record_length - len(_RECORD_END))
        if fh.read(len(_RECORD_END)) != _RECORD_END:
            return
        position += head.record_length
        yield position, head.record_type


def recover_open_file(path: str | os.PathLike[str]) -> Path | None:
    """Repair ``NAME.open`` left by a crash: keep its whole records, rename it ``NAME``.

    The file is cut back to the end of its last complete record that parses
    (gzip: a complete member holding exactly one WARC record; plain: a
    header block, Content-Length bytes and the closing CRLFs), fsynced and
    renamed; the new path is returned. Anything after the first bad or
    partial record is dropped. A file that holds no record but warcinfo
    (or nothing at all) has no capture in it: it is deleted and None is
    returned. Never call this on a file a live writer still has open.
    """
    path = Path(path)
    if not path.name.endswith(OPEN_SUFFIX):
        raise ValueError(f"not a {OPEN_SUFFIX} file: {path}")
    final_path = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    if final_path.exists():
        raise FileExistsError(f"{final_path} already exists; not overwriting it with {path}")
    scan = _gzip_records if final_path.name.endswith(".gz") else _plain_records
    with open(path, "r+b") as fh:
        records = list(scan(fh))
        captures = any(record_type != "warcinfo" for _, record_type in records)
        if captures:
            fh.truncate(records[-1][0])
            fh.flush()
            os.fsync(fh.fileno())
    if not captures:
        path.unlink()
        _fsync_directory(path.parent)
        return None
    os.rename(path, final_path)
    _fsync_directory(final_path.parent)
    return final_path
