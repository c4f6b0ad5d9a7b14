"""Records serialised as warcio writes them: digests, lengths, each record
its own gzip member at a chosen zlib level, HTTP heads byte for byte."""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import GzippingWrapper, WARCWriter

from archive.warc.records import WARC_VERSION, WARCIO_GZIP_LEVEL, RecordSpec


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


def _build_record(builder: WARCWriter, spec: RecordSpec) -> ArcWarcRecord:
    """A warcio record for ``spec``; warcio adds the digests, Content-Type and Content-Length."""
    return builder.create_warc_record(
        spec.uri,
        spec.record_type,
        payload=io.BytesIO(spec.payload),
        length=len(spec.payload),
        warc_headers=StatusAndHeaders("", list(spec.warc_headers), protocol=f"WARC/{WARC_VERSION}"),
        http_headers=_VerbatimHttpHeaders(spec.http_head) if spec.http_head is not None else None,
    )


class _GzipMember(GzippingWrapper):
    """One record's gzip member, at a zlib level (warcio's own is always 9)."""

    def __init__(self, out: io.BytesIO, level: int):
        self.out = out
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)


class _Writer(WARCWriter):
    """warcio's writer, each record one gzip member at ``gzip_level``, or plain when None."""

    def __init__(self, out: io.BytesIO, gzip_level: int | None):
        super().__init__(out, gzip=False, warc_version=WARC_VERSION)
        self.gzip_level = gzip_level

    def _write_warc_record(self, out: io.BytesIO, record: ArcWarcRecord) -> None:
        if self.gzip_level is not None:
            out = _GzipMember(out, self.gzip_level)
        super()._write_warc_record(out, record)


def gzip_level(gzip: bool | int) -> int | None:
    """The zlib level ``gzip`` asks for: None for no compression (False),
    warcio's level for True, else the level itself, 1 (fastest) to 9 (smallest)."""
    if gzip is True:
        return WARCIO_GZIP_LEVEL
    if gzip is False:
        return None
    if isinstance(gzip, int) and 1 <= gzip <= 9:
        return gzip
    raise ValueError(f"gzip must be True, False or a zlib level from 1 to 9, got {gzip!r}")


def serialize_records(specs: Sequence[RecordSpec], gzip: bool | int) -> tuple[bytes, list[tuple[int, int]]]:
    """The records' bytes and each one's (offset, length) in them. With
    ``gzip`` True or a zlib level (1-9) each record is its own gzip member
    (True: warcio's level, 9); with False they are plain."""
    buffer = io.BytesIO()
    builder = _Writer(buffer, gzip_level(gzip))
    spans = []
    for spec in specs:
        start = buffer.tell()
        builder.write_record(_build_record(builder, spec))
        spans.append((start, buffer.tell() - start))
    return buffer.getvalue(), spans
