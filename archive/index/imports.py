"""Bringing WARC/ARC files written by other tools into the archive.

Each file is copied under ``warcs/imported/<source>/`` (so the data directory
alone can rebuild the index) and indexed by the same code path as a crawl.
A file that cannot be read whole is not kept and leaves the index untouched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from archive.paths import DataDir
from archive.errors import WarcReadError
from archive.index.indexer import IMPORTED_DIR, UNSORTED, FileResult, Indexer, is_warc_name


@dataclass
class ImportOutcome:
    path: Path
    name: str | None = None
    result: FileResult | None = None
    error: str | None = None


def import_file(data: DataDir, indexer: Indexer, path: Path, source: str | None = None) -> ImportOutcome:
    """Copy ``path`` into the archive and index it; the outcome says how it went."""
    outcome = ImportOutcome(path=path)
    if not path.is_file():
        outcome.error = f"{path}: no such file"
        return outcome
    digest = _sha1(path)
    already = indexer.index.db.execute("SELECT name FROM warc_files WHERE sha1 = ?", [digest]).fetchone()
    if already:  # the same bytes are in the archive already
        outcome.name, outcome.result = already[0], FileResult(name=already[0], skipped=True)
        return outcome
    folder = data.warcs / IMPORTED_DIR / (source or UNSORTED)
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, _archive_name(path))
    partial = target.with_name(target.name + ".importing")
    try:
        shutil.copyfile(path, partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        outcome.error = f"{path}: cannot copy into the archive: {exc.strerror or exc}"
        return outcome
    name = target.relative_to(data.warcs).as_posix()
    try:
        outcome.result = indexer.index_file(target, name=name, source=source, origin="import")
        indexer.index.db.execute("UPDATE warc_files SET sha1 = ? WHERE name = ?", [digest, name])
    except WarcReadError as exc:
        target.unlink(missing_ok=True)
        outcome.error = exc.message.replace(str(target), str(path))
        return outcome
    outcome.name = name
    return outcome


def import_wacz(data: DataDir, indexer: Indexer, path: Path, source: str | None = None) -> list[ImportOutcome]:
    """Import the WARC files of a WACZ package, after checking its digests."""
    import tempfile

    from archive.warc.wacz import WaczError, extract_warcs

    with tempfile.TemporaryDirectory(prefix="mediarchive-wacz-", dir=data.root if data.root.is_dir() else None) as tmp:
        try:
            warcs = extract_warcs(path, Path(tmp))
        except WaczError as exc:
            return [ImportOutcome(path=path, error=exc.message)]
        if not warcs:
            return [ImportOutcome(path=path, error=f"{path}: the package holds no WARC file")]
        outcomes = [import_file(data, indexer, warc, source) for warc in warcs]
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


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    number = 1
    while candidate.exists():
        stem, dot, rest = name.partition(".")
        candidate = folder / f"{stem}-{number}{dot}{rest}"
        number += 1
    return candidate
