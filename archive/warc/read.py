"""Reading WARC (and ARC) files: each record with where it lies in its file.

warcio parses; this module turns each record into a :class:`CaptureRecord`
holding what the index needs (URL, date, status, MIME, digests, the file
offset and length) and the HTTP payload, both as stored and decoded
(chunked framing and ``Content-Encoding`` removed). :func:`read_record`
reads one record back by (file, offset, length) without a scan.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from archive.errors import WarcReadError

#: Record types that hold (or point at) an HTTP capture of a URL.
CAPTURE_TYPES = ("response", "revisit", "resource")
#: Payloads larger than this are indexed but their body is not kept in memory.
MAX_BODY = 64 * 1024 * 1024


@dataclass
class CaptureRecord:
    """One WARC record as the indexer sees it."""

    record_type: str
    record_id: str | None
    url: str | None
    captured_at: str | None  # UTC, "YYYY-MM-DDTHH:MM:SSZ"
    warc_date: str | None
    offset: int
    length: int
    status: int | None = None
    mime: str | None = None
    payload_digest: str | None = None
    concurrent_to: tuple[str, ...] = ()
    refers_to: str | None = None
    refers_to_uri: str | None = None
    refers_to_date: str | None = None
    profile: str | None = None
    #: WARC-Source-URI: where a record taken from another archive came from (a memento)
    source_uri: str | None = None
    warc_content_type: str | None = None
    http_headers: StatusAndHeaders | None = None
    body: bytes | None = field(default=None, repr=False)  # decoded payload
    raw_body: bytes | None = field(default=None, repr=False)  # payload as stored

    def header(self, name: str) -> str | None:
        return self.http_headers.get_header(name) if self.http_headers else None

    def warc_fields(self) -> list[tuple[str, str]]:
        """A metadata/warcinfo record's ``application/warc-fields`` lines."""
        text = (self.raw_body or b"").decode("utf-8", "replace")
        pairs = []
        for line in text.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip():
                pairs.append((name.strip(), value.strip()))
        return pairs


def iter_records(path: str | Path, *, start: int = 0) -> Iterator[CaptureRecord]:
    """Every whole record of a WARC or ARC file (gzipped or not), from ``start``.

    Raises :class:`WarcReadError` with a one-line reason when the file
    cannot be read on, its ``offset`` where the last whole record ends: the
    records before it have been yielded already; a record cut short by the
    end of the file is not.
    """
    path = Path(path)
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise WarcReadError(f"{path}: cannot open: {exc.strerror or exc}") from None
    with fh:
        is_arc = _looks_like_arc(fh.read(512))
        fh.seek(start)
        iterator = ArchiveIterator(fh, arc2warc=True, check_digests=False)
        end = start  # of the last whole record
        try:
            for record in iterator:
                captured = _capture_record(record, iterator, start, is_arc)
                end = max(end, captured.offset + captured.length)
                yield captured
        except _CutShort as cut:
            raise WarcReadError(
                f"{path}: cut short at offset {cut.offset}: the record there holds fewer bytes than its Content-Length", cut.offset
            ) from None
        except ArchiveLoadFailed as exc:
            # a gzip that is one member for the whole file gives no record a usable offset
            if end <= start or "non-chunked gzip" in str(exc):
                raise WarcReadError(f"{path}: not a readable WARC/ARC file: {_one_line(exc)}") from None
            raise WarcReadError(f"{path}: unreadable from offset {end}: {_one_line(exc)}", end) from None
        except (OSError, EOFError, ValueError, IndexError, AttributeError, zlib.error) as exc:
            if end <= start:
                raise WarcReadError(f"{path}: damaged at its first record: {_one_line(exc)}") from None
            raise WarcReadError(f"{path}: damaged from offset {end}: {_one_line(exc)}", end) from None


def read_record(path: str | Path, offset: int, length: int) -> CaptureRecord:
    """The single record at (offset, length) of a file."""
    return _parse_record(Path(path), _record_bytes(path, offset, length), offset)


def _record_bytes(path: str | Path, offset: int, length: int) -> bytes:
    """The ``length`` bytes at ``offset`` of a file: one whole record, or WarcReadError."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
    except OSError as exc:
        raise WarcReadError(f"{path}: cannot open: {exc.strerror or exc}") from None
    if len(data) != length:
        raise WarcReadError(f"{path}: no whole record at offset {offset} (file too short)")
    return data


def _parse_record(path: Path, data: bytes, offset: int) -> CaptureRecord:
    iterator = ArchiveIterator(io.BytesIO(data), arc2warc=True, check_digests=False)
    try:
        for record in iterator:
            return _capture_record(record, iterator, offset, _looks_like_arc(data[:512]))
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        raise WarcReadError(f"{path}: no readable record at offset {offset}: {_one_line(exc)}") from None
    raise WarcReadError(f"{path}: no record at offset {offset}")


def read_block(path: str | Path, offset: int, length: int) -> bytes | None:
    """The block of the WARC record at (offset, length) of a file, for a
    record with no HTTP head (a conversion, metadata or resource record):
    what :func:`read_record` gives as ``raw_body``, at a tenth of its cost for a
    gzipped record (one gzip member, as every WARC writer of this field makes
    them): one inflate, and the head cut off at the blank line, the block
    its Content-Length. Anything else is read by :func:`read_record`."""
    if length <= 0:
        raise WarcReadError(f"{path}: no record of length {length} at offset {offset}")
    data = _record_bytes(path, offset, length)
    if data[:2] == b"\x1f\x8b":
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            record = inflate.decompress(data)
        except zlib.error:
            record = b""
        head, blank, rest = record.partition(b"\r\n\r\n")
        size = _content_length(head) if blank and inflate.eof and head.startswith(b"WARC/") else None
        if size is not None and size <= MAX_BODY and rest[size:] == b"\r\n\r\n":
            return rest[:size]
    return _parse_record(Path(path), data, offset).raw_body  # the bytes read once, parsed by warcio


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"content-length":
            value = value.strip()
            return int(value) if value.isdigit() else None
    return None


def _looks_like_arc(head: bytes) -> bool:
    """True for ARC data (gzipped or not): WARC data starts with "WARC/"."""
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error:
            return False
    return bool(head.strip()) and not head.lstrip().startswith(b"WARC/")


class _CutShort(Exception):
    def __init__(self, offset: int):
        self.offset = offset


def _capture_record(record: ArcWarcRecord, iterator: ArchiveIterator, base: int, is_arc: bool) -> CaptureRecord:
    headers = record.rec_headers
    record_type = record.rec_type
    raw = record.raw_stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raw = None  # too large to hold; the rest is skipped by the iterator
    elif not is_arc and getattr(record.raw_stream, "limit", 0) > 0:
        # the file ended before the record's Content-Length did (ARC lengths
        # are not checked: warcio's conversion of an ARC header shifts them)
        raise _CutShort(iterator.get_record_offset() + base)
    offset = iterator.get_record_offset() + base
    length = iterator.get_record_length()
    http = record.http_headers
    fields: dict[str, str] = {}  # the first of each name, as get_header finds it (in one pass, not one a name)
    for name, value in headers.headers:
        fields.setdefault(name.lower(), value)
    record_id = fields.get("warc-record-id")
    if is_arc:
        # ARC records have no ID; warcio invents a random one. Derive a stable
        # one so reindexing gives the same IDs.
        record_id = stable_arc_record_id(fields.get("warc-target-uri"), fields.get("warc-date"), offset, length)
    captured = CaptureRecord(
        record_type=record_type,
        record_id=record_id,
        url=fields.get("warc-target-uri"),
        captured_at=normalize_warc_date(fields.get("warc-date")),
        warc_date=fields.get("warc-date"),
        offset=offset,
        length=length,
        concurrent_to=tuple(v for k, v in headers.headers if k.lower() == "warc-concurrent-to"),
        refers_to=fields.get("warc-refers-to"),
        refers_to_uri=fields.get("warc-refers-to-target-uri"),
        refers_to_date=normalize_warc_date(fields.get("warc-refers-to-date")),
        profile=fields.get("warc-profile"),
        source_uri=fields.get("warc-source-uri"),
        warc_content_type=fields.get("content-type"),
        http_headers=http if http and http.protocol else None,
        raw_body=raw,
    )
    if record_type not in CAPTURE_TYPES:
        return captured
    if captured.http_headers is not None:
        code = http.get_statuscode()
        captured.status = int(code) if code and code.isdigit() else None
        captured.mime = _mime(http.get_header("Content-Type"))
    elif record_type == "resource":
        captured.status = 200
        captured.mime = _mime(captured.warc_content_type)
    if raw is not None:
        captured.body = decode_payload(raw, captured.http_headers)
    digest = fields.get("warc-payload-digest")
    if not digest and raw is not None and record_type != "revisit":
        digest = "sha1:" + base64.b32encode(hashlib.sha1(raw).digest()).decode("ascii")
    captured.payload_digest = digest
    return captured


def stable_arc_record_id(url: str | None, date: str | None, offset: int, length: int) -> str:
    """A record ID for an ARC record: the same on every read of the file."""
    name = f"arc:{url}|{date}|{offset}|{length}"
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}>"


def transfer_decoded(raw: bytes, http: StatusAndHeaders | None) -> bytes:
    """The payload with chunked framing removed but Content-Encoding kept:
    the body as a client received it."""
    if http is None or (http.get_header("Transfer-Encoding") or "").strip().lower() != "chunked":
        return raw
    try:
        return ChunkedDataReader(io.BytesIO(raw), decomp_type=None).read()
    except Exception:  # noqa: BLE001 - a bad chunk means "keep what was stored"
        return raw


def decode_payload(raw: bytes, http: StatusAndHeaders | None) -> bytes:
    """The payload with chunked framing and Content-Encoding removed; the
    stored bytes when they do not decode as declared."""
    if http is None:
        return raw
    encoding = (http.get_header("Content-Encoding") or "").strip().lower() or None
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    chunked = (http.get_header("Transfer-Encoding") or "").strip().lower() == "chunked"
    if not encoding and not chunked:
        return raw
    try:
        reader_cls = ChunkedDataReader if chunked else BufferedReader
        return reader_cls(io.BytesIO(raw), decomp_type=encoding).read()
    except Exception:  # noqa: BLE001 - any decoder failure means "keep what was stored"
        return raw


LENIENT_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\d*T(\d{2}):(\d{2}):(\d{2})")


def normalize_warc_date(value: str | None) -> str | None:
    """A WARC-Date (or ARC 14-digit date) as UTC "YYYY-MM-DDTHH:MM:SSZ";
    None when unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit() and len(value) >= 14:
        try:
            return datetime.strptime(value[:14], "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        # Seen in the wild (ClueWeb09): "2008-10-294T05:21:46-0700". Keep the
        # date and time, read as UTC, rather than lose the capture.
        match = LENIENT_DATE_RE.match(value)
        if not match:
            return None
        try:
            parsed = datetime(*map(int, match.groups()), tzinfo=timezone.utc)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mime(content_type: str | None) -> str | None:
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime or None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "…") if len(text) > 200 else (text or type(exc).__name__)
