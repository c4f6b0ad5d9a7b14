"""Bringing WARC/ARC files written by other tools into the archive.

Each file is copied under ``warcs/imported/<source>/`` (so the data directory
alone can rebuild the index) and indexed by the same code path as a crawl,
inside :class:`archive.index.ingest.Ingest`. A file that is not an archive
is refused before anything is copied; one with no readable record is not
kept and leaves the index untouched.
"""

from __future__ import annotations

import logging

import errno
import hashlib
import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

from archive.paths import DataDir
from archive.errors import NotAnArchive, WarcReadError
from archive.index.indexer import FileResult, Indexer
from archive.warc.names import IMPORTED_DIR, UNSORTED, is_warc_name

logger = logging.getLogger(__name__)

LZ4_MAGIC = b"\x04\x22\x4d\x18"


@dataclass
class ImportOutcome:
    path: Path
    name: str | None = None
    result: FileResult | None = None
    error: str | None = None


def archive_kind(path: Path) -> str:
    """"warc", "arc" or "wacz" by the file's first bytes; raises
    :class:`NotAnArchive` for anything else, before anything is copied."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise NotAnArchive(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head.startswith(b"PK\x03\x04"):
        if path.suffix.lower() == ".wacz":
            return "wacz"
        raise NotAnArchive(f"{path}: not a WARC, ARC or WACZ file (a ZIP archive not named .wacz)")
    if head.startswith(LZ4_MAGIC):
        raise NotAnArchive(f"{path}: not a WARC, ARC or WACZ file (lz4-compressed: decompress it first)")
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4096)
        except zlib.error:
            head = b""
    start = head.lstrip(b"\r\n")[:16]
    if start.startswith(b"WARC/"):
        return "warc"
    if start.startswith(b"filedesc://"):
        return "arc"
    what = "empty" if not head else "it does not begin with a WARC or ARC record"
    raise NotAnArchive(f"{path}: not a WARC, ARC or WACZ file ({what})")


def import_file(data: DataDir, indexer: Indexer, path: Path, source: str | None = None) -> ImportOutcome:
    """Copy ``path`` into the archive and index it; the outcome says how it went.

    A file is known by its content's SHA-1: the same bytes are never copied
    twice, whatever their name, and a copy that a killed import left behind
    is taken up, not doubled. A file cut short keeps its whole records (its
    outcome's ``error`` says where it breaks); one with none is not kept."""
    outcome = ImportOutcome(path=path)
    if not path.is_file():
        outcome.error = f"{path}: no such file"
        return outcome
    try:
        archive_kind(path)
    except NotAnArchive as exc:
        outcome.error = exc.message
        return outcome
    digest = _sha1(path)
    already = indexer.index.db.execute("SELECT name FROM warc_files WHERE sha1 = ?", [digest]).fetchone()
    if already:  # the same bytes are in the archive already
        outcome.name, outcome.result = already[0], FileResult(name=already[0], skipped=True)
        return outcome
    folder = data.warcs / IMPORTED_DIR / (source or UNSORTED)
    folder.mkdir(parents=True, exist_ok=True)
    target = _place_for(folder, _archive_name(path), digest)
    if not target.exists():
        partial = target.with_name(target.name + ".importing")
        try:
            shutil.copyfile(path, partial)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            outcome.error = f"{path}: cannot copy into the archive: {exc.strerror or exc}"
            if exc.errno == errno.ENOSPC:
                raise
            return outcome
    name = target.relative_to(data.warcs).as_posix()
    try:
        outcome.result = indexer.index_file(target, name=name, source=source, origin="import", sha1=digest)
    except WarcReadError as exc:
        target.unlink(missing_ok=True)
        outcome.error = exc.message.replace(str(target), str(path))
        return outcome
    if outcome.result.damage:
        outcome.error = outcome.result.damage.replace(str(target), str(path))
        outcome.result.damage = outcome.error
    outcome.name = name
    return outcome


def import_wacz(
    data: DataDir, indexer: Indexer, path: Path, source: str | None = None, trusted_roots: Path | None = None,
) -> list[ImportOutcome]:
    """Import the WARC files of a WACZ package, after checking its digests,
    and its signature if it is signed (a package whose signature does not
    verify is refused: nothing of it is copied)."""
    import tempfile

    from archive.warc.signing import SignatureError, verify_signature
    from archive.warc.wacz import WaczError, extract_warcs, page_sources

    try:
        signature = verify_signature(path, trusted_roots)
    except SignatureError as exc:
        return [ImportOutcome(path=path, error=exc.message)]
    if signature is not None:
        logger.info("%s: signed by %s at %s; the signature verifies", path, signature.domain, signature.timestamp)
    with tempfile.TemporaryDirectory(prefix="mediarchive-wacz-", dir=data.root if data.root.is_dir() else None) as tmp:
        try:
            warcs = extract_warcs(path, Path(tmp))
        except WaczError as exc:
            return [ImportOutcome(path=path, error=exc.message)]
        if not warcs:
            return [ImportOutcome(path=path, error=f"{path}: the package holds no WARC file")]
        # the sources its pages.jsonl names, for captures no metadata record gives one
        named, by_config = page_sources(path), indexer.source_for_url
        if named:
            indexer.source_for_url = lambda url: named.get(url) or (by_config(url) if by_config else None)
        try:
            outcomes = [import_file(data, indexer, warc, source) for warc in warcs]
        finally:
            indexer.source_for_url = by_config
        for outcome in outcomes:  # name the package, not its temporary extraction
            if outcome.error:
                outcome.error = outcome.error.replace(str(outcome.path), f"{path} ({outcome.path.name})")
            outcome.path = path
        return outcomes


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _archive_name(path: Path) -> str:
    """A name the indexer recognises: ``x.warc.gz.bad`` stays readable as WARC."""
    name = path.name
    if is_warc_name(name):
        return name
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    return name + (".warc.gz" if gzipped else ".warc")


def _place_for(folder: Path, name: str, digest: str) -> Path:
    """Where a file of these bytes goes: its own name, or a numbered one
    when another file holds that name; a copy of the same bytes already
    there (an import killed before it was indexed) is the place."""
    candidate = folder / name
    number = 1
    while candidate.exists() and _sha1(candidate) != digest:
        stem, dot, rest = name.partition(".")
        candidate = folder / f"{stem}-{number}{dot}{rest}"
        number += 1
    return candidate
