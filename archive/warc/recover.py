"""Mending a ``.open`` WARC file that a crash left behind: the file is cut
back to its last whole record and renamed, so every closed file is valid."""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


from archive.warc.write import OPEN_SUFFIX, fsync_directory

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
        fsync_directory(path.parent)
        return None
    os.rename(path, final_path)
    fsync_directory(final_path.parent)
    return final_path
