"""Writing HTTP exchanges to rolling WARC/1.1 files, the way Heritrix does.

Every file starts with a ``warcinfo`` record; each exchange then adds a
``response`` record, its ``request`` record and, optionally, a Heritrix-style
``metadata`` record (both ``WARC-Concurrent-To`` the response). With gzip on,
each record is its own gzip member, so any record can be read back from its
(offset, length) alone. warcio builds the records and their SHA-1 digests.

Files are named ``{prefix}-{YYYYmmddHHMMSSfff}-{serial:05d}-{pid}~{host}.warc.gz``
and carry the suffix ``.open`` while written; a file is closed (flushed,
fsynced, renamed) once it reaches ``max_size`` after a complete exchange, so
an exchange never spans two files, or once it has been open ``max_age``
seconds. With ``first_size`` the first file is closed at that size and each
next one at twice the size of the one before, up to ``max_size``. A crawl
writes segments this way (1, 2, 4, 8, then 16 MB, or 60 s), each indexed
as soon as it is closed while the crawl writes the next: the first closes
within seconds, so extraction starts early, and a long crawl still writes
files of ``max_size``. :func:`archive.warc.recover.recover_open_file` repairs a
``.open`` file left by a crash.

How each record is built is :mod:`archive.warc.records`. The HTTP status line and headers are written byte for byte as given (header
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

import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path


from archive.errors import DiskFull
from archive.resources import check_free_space, disk_full, is_disk_full
from archive.warc.memento_page import page_of_memento
from archive.warc.serialize import serialize_records
from archive.warc.records import (
    CONFORMS_TO,
    ExchangeLocations,
    InvalidExchangeError,
    PreparedExchange,
    RecordLocation,
    RecordSpec,
    RevisitOf,
    SOFTWARE,
    WARC_VERSION,
    WriterClosedError,
    as_utc,
    checked_id,
    checked_ip,
    checked_warcinfo_fields,
    file_timestamp,
    format_warc_date,
    new_record_id,
    request_head,
    response_head,
    stored_protocol,
    target_uri,
    utc_now,
    warc_fields,
)

DEFAULT_MAX_SIZE = 1_000_000_000
OPEN_SUFFIX = ".open"
_NAME_ATTEMPTS = 10_000

# --------------------------------------------------------------------------
# Files


def fsync_directory(directory: Path) -> None:
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
        self.head = 0  # bytes of the warcinfo record
        self.opened = time.monotonic()
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
        fsync_directory(self.final_path.parent)
        return self.final_path

    def abandon(self) -> None:
        """Close without renaming: the ``.open`` file is left for :func:`recover_open_file`."""
        os.close(self._fd)

    def cut_back(self, size: int, head: int) -> Path | None:
        """After a write that failed part-way (a full disk): cut the file back
        to its ``size`` before that write and close it; a file that holds no
        more than its ``head`` (the warcinfo) is removed. The final path, or None."""
        os.ftruncate(self._fd, size)
        self.size = size
        if size > head:
            return self.finish()
        os.close(self._fd)
        self.open_path.unlink(missing_ok=True)
        return None


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
        min_free: int = 0,
        max_age: float | None = None,
        first_size: int | None = None,
        on_close: Callable[[Path], None] | None = None,
    ):
        hostname = socket.gethostname() if hostname is None else hostname
        for what, value in (("prefix", prefix), ("hostname", hostname)):
            if not value or any(c in value for c in "/\\\0") or value.startswith("."):
                raise ValueError(f"{what} {value!r} cannot be part of a file name")
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, got {max_size}")
        if first_size is not None and first_size <= 0:
            raise ValueError(f"first_size must be positive, got {first_size}")
        if max_age is not None and max_age <= 0:
            raise ValueError(f"max_age must be positive, got {max_age}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.first_size = min(first_size or max_size, max_size)
        #: seconds a file stays open at most (None: no limit); see :meth:`roll_if_old`
        self.max_age = max_age
        #: called with each file's final path once it is closed
        self.on_close = on_close
        self.gzip = gzip
        self.hostname = hostname
        self.pid = os.getpid() if pid is None else pid
        self._new_id = record_id_factory or new_record_id
        self._clock = clock or utc_now
        self._warcinfo_fields = checked_warcinfo_fields(warcinfo_fields)
        self._next_serial = 0
        self._file: _OpenWarc | None = None
        self._closed = False
        self.files_written: list[Path] = []
        self.bytes_written = 0
        #: bytes that must be free to open a file (0: no check)
        self.min_free = min_free
        self._disk_full: DiskFull | None = None

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
        received_head: Sequence[bytes] | None = None,
        ip_address: str | None = None,
        date: datetime | None = None,
        metadata: Sequence[tuple[str, str]] | None = None,
        revisit: RevisitOf | None = None,
        memento_of: tuple[str, datetime, Sequence[tuple[str, str]]] | None = None,
        truncated: str | None = None,
    ) -> ExchangeLocations:
        """Write one HTTP exchange: response, request and (if ``metadata``) metadata records.

        ``memento_of`` (original URL, the archive's capture time, the
        outlet's headers) says that the response is a raw memento from
        another archive, holding a page: a fourth record gives that page as
        its outlet served it (:class:`~archive.warc.records.PageOfMemento`).

        ``date`` (timezone-aware; default: the clock) is the WARC-Date of all
        three. ``received_head`` is the response's head as it came off the
        socket, one line a bytes string without its ``\\n``: it is stored
        instead of one rebuilt from ``status``, ``reason`` and
        ``response_headers`` (:func:`~archive.warc.received_head.received_response_head`).
        ``metadata`` is Heritrix-style ``name: value`` crawl facts (none:
        no metadata record); ``truncated``, the response's WARC-Truncated
        (``length``: cut at a size cap, as Heritrix marks it). Raises
        InvalidExchangeError before writing anything if a value cannot be written as given.
        """
        if self._closed:
            raise WriterClosedError("write_exchange() after close()")
        try:
            warc_date = format_warc_date(date if date is not None else self._clock())
        except ValueError as exc:
            raise InvalidExchangeError(str(exc)) from exc
        uri = target_uri(url)
        http_version, warc_protocol = stored_protocol(protocol)
        exchange = PreparedExchange(
            uri=uri,
            date=warc_date,
            ip_address=checked_ip(ip_address),
            warc_protocol=warc_protocol,
            response_head=response_head(status, reason, http_version, response_headers, len(body), received_head),
            body=b"" if revisit is not None else bytes(body),
            request_head=request_head(method, uri, request_headers),
            request_body=bytes(request_body),
            metadata=warc_fields(metadata) if metadata else None,
            revisit=revisit,
            memento_page=page_of_memento(memento_of, status, reason, http_version, body) if memento_of else None,
            truncated=truncated,
        )
        locations = self.write_records(exchange.records)
        return ExchangeLocations(
            response=locations[0],
            request=locations[1],
            metadata=locations[2] if metadata else None,
            memento_page=locations[-1] if memento_of else None,
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
        if self._full(warc):
            self._finish_file(warc)
        return offset

    def write_records(self, build: Callable[[Callable[[], str], str], Sequence[RecordSpec]]) -> list[RecordLocation]:
        """Write records built by ``build(new_id, warcinfo_id)`` (an
        exchange's, or an extraction's text and fields) in one append; their
        locations, in order."""
        if self._closed:
            raise WriterClosedError("write_records() after close()")
        warc = self._file or self._open_next_file()
        specs = build(self._new_id, warc.warcinfo_id)
        data, spans = serialize_records(specs, self.gzip)
        offset = self._append(warc, data)
        locations = [
            RecordLocation(warc.final_path.name, offset + start, length, spec.record_id)
            for spec, (start, length) in zip(specs, spans, strict=True)
        ]
        if self._full(warc):
            self._finish_file(warc)
        return locations

    def roll_if_old(self) -> Path | None:
        """Close the current file if it has been open ``max_age`` seconds
        (a slow, polite crawl writes seldom); its final path, if closed."""
        warc = self._file
        if warc is None or not self._too_old(warc):
            return None
        self._finish_file(warc)
        return warc.final_path

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
        return f"{self.prefix}-{file_timestamp(moment)}-{serial:05d}-{self.pid}~{self.hostname}{suffix}"

    def _open_next_file(self) -> _OpenWarc:
        """Open the next serial's file (a name not yet in the directory) and
        write its warcinfo; :class:`DiskFull` when there is no room for it."""
        if self._disk_full is not None:
            raise self._disk_full
        self.directory.mkdir(parents=True, exist_ok=True)
        check_free_space(self.directory, self.min_free)
        moment = as_utc(self._clock())
        warcinfo_id = checked_id(self._new_id())
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
        warcinfo = RecordSpec(
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
        warc.head = warc.size
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
        """Append to ``warc``. On a full disk the file is cut back to its last
        whole record and closed (removed if it holds none), and this writer
        opens no other: :class:`DiskFull`. On another OS error the file is
        left as ``.open`` for recovery and the next write opens a new one."""
        before = warc.size
        try:
            offset = warc.append(data)
        except OSError as exc:
            self._file = None
            if not is_disk_full(exc):
                warc.abandon()
                raise
            self._disk_full = disk_full(self.directory)
            kept = warc.cut_back(before, warc.head)
            if kept is not None:
                self.files_written.append(kept)
                if self.on_close is not None:
                    self.on_close(kept)
            raise self._disk_full from None
        self.bytes_written += len(data)
        return offset

    def _full(self, warc: _OpenWarc) -> bool:
        limit = min(self.max_size, self.first_size << min(len(self.files_written), 40))
        return warc.size >= limit or self._too_old(warc)

    def _too_old(self, warc: _OpenWarc) -> bool:
        return self.max_age is not None and time.monotonic() - warc.opened >= self.max_age

    def _finish_file(self, warc: _OpenWarc) -> None:
        self._file = None
        path = warc.finish()
        self.files_written.append(path)
        if self.on_close is not None:
            self.on_close(path)
