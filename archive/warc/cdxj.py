"""The sorted CDXJ index that replay tools (pywb) read the WARC files through.

``DATA/replay/index.cdxj`` is built by cdxj-indexer with file names relative
to ``DATA/warcs`` (so files under ``imported/<source>/`` resolve), kept
current after every crawl, import and reindex by merging the lines of the
new files into it, and replaced atomically.

One adjustment makes revisits replay as their original: pywb serves a
revisit with the revisit's own HTTP head, so a ``server-not-modified``
revisit (a 304) would replay as an empty 304. Its *replay* line is pointed
at the original record (file, offset, length, MIME type, status) while
keeping the revisit's timestamp; ``recorded_*`` fields keep what the WARC
holds. The WARC files are never changed, and ``export --cdxj`` writes the
plain index without this adjustment.

Beside the index, ``index.cdxj.files`` names the files it was made of, with
their sizes (and what was left out of them): a rebuild (``reindex``) of an
archive whose WARC files are all as they were keeps the index it has,
which holds the same lines, instead of reading every record again.
"""

from __future__ import annotations

import functools
import heapq
import io
import json
import logging
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from warcio.exceptions import ArchiveLoadFailed

from archive.paths import DataDir
from archive.index.store import Index
from archive.progress import Task, task_of
from archive.warc.records import SERVER_NOT_MODIFIED

logger = logging.getLogger(__name__)

#: Bump when the lines made of the same files change (for_replay's rules):
#: a replay index of other rules is rebuilt.
RULES = 1


def replay_index_path(data: DataDir) -> Path:
    return data.replay_index


@functools.cache
def _tolerant_indexer() -> type:
    """cdxj-indexer that leaves out a record it cannot index (an impossible
    WARC-Date, say: ClueWeb files have them), or the rest of a damaged file,
    and says which, instead of failing the whole index. Made on first use:
    cdxj-indexer's imports (surt, tldextract, pyamf) cost a quarter second,
    which a command that does not index for replay need not pay."""
    from cdxj_indexer.main import CDXJIndexer

    class TolerantIndexer(CDXJIndexer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.left_out: list[str] = []
            self.task = Task()  # counts the bytes of each file indexed

        def process_index_entry(self, it, record, filename, output):
            try:
                super().process_index_entry(it, record, filename, output)
            except (ValueError, KeyError, TypeError) as exc:
                headers = record.rec_headers
                what = headers.get_header("WARC-Record-ID") or headers.get_header("WARC-Target-URI") or "a record"
                self.left_out.append(f"{self.curr_filename}: {what} ({exc})")

        def process_one(self, input_, output, filename):
            try:
                super().process_one(input_, output, filename)
            except (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error) as exc:
                self.left_out.append(f"{self._resolve_rel_path(filename)}: the rest of the file ({' '.join(str(exc).split())[:200]})")
            self.task.advance(os.path.getsize(filename))

    return TolerantIndexer


def cdxj_lines(
    warcs: Path, files: Iterable[Path], left_out: list[str] | None = None, progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Sorted CDXJ lines of ``files`` (names relative to ``warcs``), each
    carrying its record ID for the adjustments below; what could not be
    indexed is added to ``left_out``; the bytes read are counted on a task
    of ``progress`` (:mod:`archive.progress`)."""
    paths = [str(p) for p in sorted(files)]
    if not paths:
        return []
    out = io.StringIO()
    indexer = _tolerant_indexer()(out, paths, sort=True, dir_root=str(warcs), fields="warc-record-id")
    with task_of(progress, "CDXJ index", sum(os.path.getsize(p) for p in paths), "bytes") as task:
        indexer.task = task
        indexer.process_all()
    if left_out is not None:
        left_out += indexer.left_out
    return out.getvalue().splitlines(keepends=True)


def for_replay(lines: Iterable[str], index: Index) -> Iterator[str]:
    """The lines as pywb should read them: 304 revisits pointed at their
    original record, helper fields dropped."""
    for line in lines:
        key, timestamp, block = line.rstrip("\n").split(" ", 2)
        fields = json.loads(block)
        record_id = fields.pop("warc-record-id", None)
        if fields.get("mime") == "warc/revisit" and record_id:
            original = _original_of_not_modified(index, record_id)
            if original is not None:
                fields = {
                    "url": fields["url"],
                    "mime": original["mime"] or "unk",
                    "status": str(original["status"]),
                    "digest": fields.get("digest") or original["payload_digest"],
                    "length": str(original["length"]),
                    "offset": str(original["offset"]),
                    "filename": original["warc_file"],
                    "recorded_status": "304",
                    "recorded_filename": fields.get("filename"),
                    "recorded_offset": fields.get("offset"),
                    "recorded_length": fields.get("length"),
                }
        yield f"{key} {timestamp} {json.dumps(fields, ensure_ascii=False)}\n"


def _original_of_not_modified(index: Index, record_id: str) -> dict | None:
    rows = index.query(
        "SELECT o.* FROM captures r JOIN captures o ON o.record_id = r.refers_to"
        " WHERE r.record_id = ? AND r.revisit_profile = ? AND o.record_type != 'revisit'",
        [record_id, SERVER_NOT_MODIFIED],
    )
    return rows[0] if rows else None


def update_replay_index(
    data: DataDir, index: Index, new_files: Iterable[Path] | None = None, progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Merge the lines of ``new_files`` into the replay index (all files of
    ``DATA/warcs`` when None: a rebuild). Atomic: readers see the old index
    or the new one, never a part. Returns what was left out, one line each."""
    target = replay_index_path(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    rebuild = new_files is None or not target.exists()
    files = _warc_files(data.warcs) if rebuild else list(new_files)
    made_of = _made_of(target)
    sizes = _sizes(data.warcs, files)
    if rebuild and made_of is not None and made_of["files"] == sizes and target.exists():
        return made_of["left_out"]  # the same files as they were: the same lines
    left_out: list[str] = []
    fresh = list(for_replay(cdxj_lines(data.warcs, files, left_out, progress), index))
    partial = target.with_name(target.name + ".tmp")
    with open(partial, "w", encoding="utf-8") as out:
        if rebuild:
            out.writelines(fresh)
        else:
            with open(target, encoding="utf-8") as current:
                previous = None
                for line in heapq.merge(current, fresh):
                    if line != previous:  # a file indexed twice adds nothing
                        out.write(line)
                    previous = line
        out.flush()
        os.fsync(out.fileno())
    _write_made_of(target, None)  # the listing of the index being replaced stops holding
    os.replace(partial, target)
    if rebuild:
        _write_made_of(target, {"files": sizes, "left_out": left_out})
    elif made_of is not None:
        _write_made_of(target, {"files": {**made_of["files"], **sizes}, "left_out": [*made_of["left_out"], *left_out]})
    for problem in left_out:
        logger.warning("left out of the replay index: %s", problem)
    return left_out


def _sizes(warcs: Path, files: Iterable[Path]) -> dict[str, int]:
    return {path.relative_to(warcs).as_posix(): path.stat().st_size for path in files}


def _listing_path(target: Path) -> Path:
    return target.with_name(target.name + ".files")


def _made_of(target: Path) -> dict | None:
    """What the replay index ``target`` was made of: ``files`` (name: size)
    and ``left_out``; None when unknown (an index made before the listing,
    or by other rules)."""
    try:
        found = json.loads(_listing_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("rules") != RULES or not isinstance(found.get("files"), dict):
        return None
    return {"files": found["files"], "left_out": list(found.get("left_out") or [])}


def _write_made_of(target: Path, listing: dict | None) -> None:
    """Write what the replay index ``target`` is made of (None: forget it)."""
    path = _listing_path(target)
    if listing is None:
        path.unlink(missing_ok=True)
        return
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps({"rules": RULES, **listing}, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def export_cdxj(data: DataDir, out_path: Path, progress: Callable[[str], None] | None = None) -> int:
    """The plain sorted CDXJ of every WARC file, for other replay tools.
    Returns the number of lines."""
    lines = cdxj_lines(data.warcs, _warc_files(data.warcs), progress=progress)
    with open(out_path, "w", encoding="utf-8") as out:
        for line in lines:
            key, timestamp, block = line.rstrip("\n").split(" ", 2)
            fields = json.loads(block)
            fields.pop("warc-record-id", None)
            out.write(f"{key} {timestamp} {json.dumps(fields, ensure_ascii=False)}\n")
    return len(lines)


def _warc_files(warcs: Path) -> list[Path]:
    from archive.warc.names import is_warc_name
    from archive.warc.derived import is_derived_name

    # archived extractions are not captures: replay has nothing to show of them
    return sorted(
        p for p in warcs.rglob("*") if p.is_file() and is_warc_name(p.name) and not is_derived_name(p.name)
    ) if warcs.is_dir() else []
