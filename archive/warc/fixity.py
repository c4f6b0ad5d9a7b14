"""The fixity audit: do the archive's bytes still say what they said when written?

Digital-preservation practice (OAIS, BagIt) checks, on a schedule, that
stored files have not decayed. A WARC file carries its own evidence: each
record's ``WARC-Block-Digest`` (and a response's ``WARC-Payload-Digest``),
computed when it was written. :func:`audit`:

1. reads every record of every closed WARC file again, with warcio's digest
   checking, and reports each record whose digest no longer holds or that
   can no longer be read at all (a damaged gzip member), then goes on with
   the next record the index knows in that file;
2. reads back every index row's (file, offset, length) on its own, as replay
   and ``show`` do, and checks that it is the record the row names (its
   ``WARC-Record-ID``) with the row's payload digest, its own digests
   holding;
3. checks the datapackage digests of the WACZ packages it is given, and a
   signed one's signature (:mod:`archive.warc.signing`).

A problem found by both reads of one record is reported once. ``since`` and
``source`` narrow the audit to the captures they select (and the files that
hold them); ``sample`` checks that many of the selected index rows, drawn
at random (the seed is in the report, to audit the same ones again), and
skips the full read of the files.
"""

from __future__ import annotations

import io
import random
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archive.index.store import Index
from archive.paths import DataDir
from archive.progress import Task, task_of
from archive.warc.names import is_warc_name

__all__ = ["FixityReport", "Mismatch", "audit"]

#: Read this many bytes at a time.
BLOCK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Mismatch:
    """One record that no longer is what it was."""

    file: str
    offset: int | None
    record_id: str | None
    url: str | None
    problem: str

    def line(self) -> str:
        where = f"{self.file} at offset {self.offset}" if self.offset is not None else self.file
        named = " ".join(part for part in (self.record_id, self.url) if part)
        return f"{where}{': ' + named if named else ''}: {self.problem}"


@dataclass
class FixityReport:
    """What an audit read and what it found."""

    files: int = 0
    records: int = 0
    index_rows: int = 0
    wacz_packages: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    sample: int | None = None
    seed: int | None = None
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def mb_per_s(self) -> float:
        return self.bytes_read / 1e6 / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "mb_per_s": round(self.mb_per_s, 1)}


class _Found:
    """Mismatches, one per record (by file and offset)."""

    def __init__(self, rows: dict[tuple[str, int], dict]):
        self.rows = rows
        self.items: dict[tuple[str, int | None], Mismatch] = {}

    def add(self, name: str, offset: int | None, problem: str, record_id: str | None = None) -> None:
        if (name, offset) in self.items:
            return
        row = self.rows.get((name, offset)) if offset is not None else None
        self.items[(name, offset)] = Mismatch(
            name, offset, record_id or (row or {}).get("record_id"), (row or {}).get("url"), problem
        )


def audit(
    data: DataDir,
    index: Index,
    *,
    since: str | None = None,
    source: str | None = None,
    sample: int | None = None,
    seed: int | None = None,
    wacz: Iterable[Path] = (),
    progress: Callable[[str], None] | None = None,
) -> FixityReport:
    """Audit the archive (see the module's description)."""
    progress = progress or (lambda message: None)
    started = time.monotonic()
    report = FixityReport(sample=sample)
    selected = _selected_rows(index, since, source)
    rows = {(row["warc_file"], row["offset"]): row for row in index.query(
        "SELECT warc_file, offset, length, record_id, url, payload_digest FROM captures")}
    found = _Found(rows)
    if sample is not None:
        report.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        selected = random.Random(report.seed).sample(selected, min(sample, len(selected)))
    else:
        names = _warc_names(data) if since is None and source is None else sorted({r["warc_file"] for r in selected})
        known = _offsets_by_file(rows)
        sizes = [_size(data.warc_path(name)) for name in names]
        with task_of(progress, "reading files", sum(sizes), "bytes") as task:
            for name in names:
                records, size = _scan_file(data.warc_path(name), name, known.get(name, []), found, task, report.bytes_read)
                report.files += 1
                report.records += records
                report.bytes_read += size
                task.update(report.bytes_read)
    with task_of(progress, "checking index rows", len(selected), "rows") as task:
        for row in selected:
            report.bytes_read += _check_row(data, row, found)
            report.index_rows += 1
            task.advance()
    for path in wacz:
        from archive.warc.wacz import wacz_problems

        progress(f"verify: {path}")
        problems = wacz_problems(Path(path))
        if not problems:
            from archive.warc.signing import SignatureError, verify_signature

            try:
                verify_signature(Path(path))  # a signed package's signature (roots: $MEDIARCHIVE_TRUSTED_ROOTS)
            except SignatureError as exc:
                problems = [exc.message]
        for problem in problems:
            found.items[(str(path), None)] = Mismatch(str(path), None, None, None, problem.removeprefix(f"{path}: "))
        report.wacz_packages += 1
    report.mismatches = list(found.items.values())
    report.seconds = time.monotonic() - started
    return report


def _selected_rows(index: Index, since: str | None, source: str | None) -> list[dict]:
    where, params = ["1 = 1"], []
    if since:
        where.append("captured_at >= ?")
        params.append(since)
    if source:
        where.append("source = ?")
        params.append(source)
    return index.query(
        "SELECT warc_file, offset, length, record_id, url, payload_digest FROM captures"
        f" WHERE {' AND '.join(where)} ORDER BY warc_file, offset",
        params,
    )


def _warc_names(data: DataDir) -> list[str]:
    if not data.warcs.is_dir():
        return []
    return sorted(
        path.relative_to(data.warcs).as_posix()
        for path in data.warcs.rglob("*") if path.is_file() and is_warc_name(path.name)
    )


def _offsets_by_file(rows: dict[tuple[str, int], dict]) -> dict[str, list[int]]:
    offsets: dict[str, list[int]] = {}
    for name, offset in rows:
        offsets.setdefault(name, []).append(offset)
    return {name: sorted(values) for name, values in offsets.items()}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # said by the scan
        return 0


def _scan_file(
    path: Path, name: str, known_offsets: list[int], found: _Found, task: Task = Task(), done: int = 0,
) -> tuple[int, int]:
    """Read every record of one file with its digests checked, counting
    its bytes on ``task`` from ``done`` on; (records, bytes)."""
    try:
        size = path.stat().st_size
        handle = open(path, "rb")
    except OSError as exc:
        found.add(name, None, f"cannot be read: {exc.strerror or exc}")
        return 0, 0
    with handle:
        if handle.read(2) != GZIP_MAGIC:
            return _scan_stream(handle, name, known_offsets, found), size
        records = 0
        for offset, member, problem in _members(handle, size):  # each member decompressed once
            if not records % 64:
                task.update(done + offset)
            if problem:
                found.add(name, offset, problem)
                continue
            records += _check_records(io.BytesIO(member), name, offset, found)
        return records, size


def _members(handle, size: int):
    """``(offset, record bytes, None)`` for each gzip member of a file (a
    record each, in a .warc.gz), decompressed, or ``(offset, None, problem)``
    for one that cannot be; the next member is then found by its magic
    bytes. The file is read once, in blocks."""
    offset, buffer = 0, b""
    handle.seek(0)
    while offset < size:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        output, length = [], 0
        try:
            while True:
                if not buffer:
                    buffer = handle.read(BLOCK)
                    if not buffer:
                        raise EOFError("the file ends inside this record")
                output.append(inflater.decompress(buffer))
                if inflater.eof:
                    used = len(buffer) - len(inflater.unused_data)
                    length += used
                    buffer = buffer[used:]
                    break
                length += len(buffer)
                buffer = b""
        except (zlib.error, EOFError) as exc:
            yield offset, None, f"cannot be read: {' '.join(str(exc).split())}"
            offset = _next_member(handle, offset + 1, size)
            handle.seek(offset)
            buffer = b""
            continue
        yield offset, b"".join(output), None
        offset += length


def _next_member(handle, start: int, size: int) -> int:
    """The offset of the next whole gzip member at or after ``start`` (``size`` if none)."""
    position = start
    while position < size:
        handle.seek(position)
        window = handle.read(BLOCK)
        found = window.find(GZIP_MAGIC + b"\x08")
        while found >= 0:
            candidate = position + found
            handle.seek(candidate)
            try:
                if zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(handle.read(4096), 5).startswith(b"WARC/"):
                    return candidate
            except zlib.error:
                pass
            found = window.find(GZIP_MAGIC + b"\x08", found + 1)
        position += max(len(window) - 2, 1)
    return size


def _check_records(stream, name: str, base: int, found: _Found) -> int:
    """Check the records of ``stream`` (one gzip member, or a whole
    uncompressed file from ``base``): digests, or unreadable at an offset."""
    iterator = ArchiveIterator(stream, check_digests=True)
    records = 0
    try:
        for record in iterator:
            _read_all(record.content_stream())
            records += 1
            if record.digest_checker.passed is False:
                found.add(name, base + iterator.get_record_offset(), "; ".join(record.digest_checker.problems),
                          record.rec_headers.get_header("WARC-Record-ID"))
    except (ArchiveLoadFailed, zlib.error, EOFError, ValueError) as exc:
        found.add(name, base + iterator.get_record_offset(), f"cannot be read: {' '.join(str(exc).split())}")
    return records


def _scan_stream(handle, name: str, known_offsets: list[int], found: _Found) -> int:
    """An uncompressed WARC: read on from each unreadable record at the next record the index knows."""
    records, start = 0, 0
    while start is not None:
        handle.seek(start)
        before = len(found.items)
        records += _check_records(handle, name, 0, found)
        problems = [key for key in list(found.items)[before:] if "cannot be read" in found.items[key].problem]
        broken = problems[-1][1] if problems else None
        start = next((known for known in known_offsets if broken is not None and known > broken), None)
    return records


def _check_row(data: DataDir, row: dict, found: _Found) -> int:
    """Read one index row's record on its own: the record it names, its digests holding."""
    name, offset, length = row["warc_file"], row["offset"], row["length"]
    try:
        with open(data.warc_path(name), "rb") as handle:
            handle.seek(offset)
            block = handle.read(length)
    except OSError as exc:
        found.add(name, offset, f"cannot be read: {exc.strerror or exc}")
        return 0
    if len(block) != length:
        found.add(name, offset, f"the index says {length} bytes, the file holds {len(block)} there")
        return len(block)
    try:
        iterator = ArchiveIterator(io.BytesIO(block), check_digests=True)
        record = next(iterator)
        _read_all(record.content_stream())
    except (StopIteration, ArchiveLoadFailed, zlib.error, EOFError, ValueError) as exc:
        found.add(name, offset, f"the index row's bytes are no readable record: {' '.join(str(exc).split()) or type(exc).__name__}")
        return length
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    if record_id != row["record_id"]:
        found.add(name, offset, f"the index row names {row['record_id']}, the file holds {record_id} there")
    elif row["payload_digest"] and record.rec_headers.get_header("WARC-Payload-Digest") != row["payload_digest"]:
        found.add(name, offset, f"payload digest {record.rec_headers.get_header('WARC-Payload-Digest')}"
                                f" is not the index's {row['payload_digest']}")
    elif record.digest_checker.passed is False:
        found.add(name, offset, "; ".join(record.digest_checker.problems))
    return length


def _read_all(stream) -> None:
    while stream.read(BLOCK):
        pass
