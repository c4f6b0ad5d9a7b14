"""From WARC files to the index: one code path for a fresh crawl, `reindex`
and `import`.

Records are read in the main process; article extraction (trafilatura, 5-30
ms of CPU a page) runs in a pool of worker processes (:mod:`archive.index.pool`),
never inside the crawler's reactor. Each file is indexed in one transaction:
a file with no readable record leaves no trace in the index, one cut short
keeps its whole records. Callers go through :mod:`archive.index.ingest`.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin

from archive.errors import WarcReadError
from archive.extract.job import JobFailed
from archive.index.pool import DEFAULT_PAGE_TIMEOUT, ExtractionPool
from archive.progress import Task, task_of
from archive.warc.names import file_origin, import_source, is_warc_name
from archive.index import drift, history
from archive.sources import ExtractionOptions
from archive.extract.sniff import is_html
from archive.index.store import Index
from archive.index.textdiff import content_hash
from archive.search.normalise import normaliser
from archive.index.archived import ExtractionArchive, is_derived
from archive.index.stats import FileResult, IndexStats
from archive.warc import derived as derived_records
from archive.warc.read import CaptureRecord, iter_records

logger = logging.getLogger(__name__)

#: Roles (from the crawl's metadata records) whose pages are extracted as
#: articles; captures with no role (imported files, ``--from-warc``) are
#: extracted when their source's patterns make them articles.
EXTRACTED_ROLES = ("article", None)
#: Why a capture with no role whose URL its source's patterns do not make an article is not extracted.
NOT_AN_ARTICLE_URL = "not an article by its source's article_pattern"
#: Records to wait for a capture's metadata record before deciding without it.
METADATA_WINDOW = 6
#: The role of a raw memento fetched from another archive (``recover``): the
#: page it holds is the revisit record written after it (archive.warc.records.PageOfMemento).
MEMENTO_ROLE = "memento"


@dataclass(eq=False)  # known by identity: the extraction pool's key
class _Pending:
    capture_id: int
    record: CaptureRecord
    source: str | None
    seen_at: int
    url: str  # the canonical URL: the page's


class Indexer:
    """Indexes WARC files into an :class:`Index`.

    ``source_for_url`` names the source of a capture whose WARC carries no
    crawl metadata (files from other tools), and ``article_url(source, url)``
    says whether such a capture is an article by that source's patterns (a
    front page or a listing is not). ``canonical_url(source, url)`` is the
    URL a capture is indexed under, the one its source's crawls request
    (another tool's WARC may name it over http, or with a tracking query);
    the capture keeps the URL its record names as ``target_uri``.
    After each file, the extractions made in it are archived as conversion
    and metadata records in ``derived_dir`` (:meth:`finish_derived` closes
    and indexes that file); with ``from_records``
    a page whose extraction is archived is rebuilt from those records.
    ``workers`` is the size of the
    extraction pool (0: extract in this process).
    """

    def __init__(
        self,
        index: Index,
        *,
        workers: int | None = None,
        source_for_url: Callable[[str], str | None] | None = None,
        article_url: Callable[[str | None, str], bool] | None = None,
        canonical_url: Callable[[str | None, str], str] | None = None,
        derived_dir: Path | None = None,
        from_records: bool = False,
        source_options: Mapping[str, ExtractionOptions] | None = None,
        progress: Callable[[str], None] | None = None,
        page_timeout: float | None = None,
    ):
        self.index = index
        self.source_options = dict(source_options or {})
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.source_for_url = source_for_url
        self.article_url = article_url
        self.canonical_url = canonical_url
        #: each file's new extractions, archived in derived_dir (None: not archived)
        self.archive = ExtractionArchive(index, derived_dir)
        #: a page with an archived extraction is rebuilt from it, not extracted again
        self.from_records = from_records
        self._warcs: Path | None = None
        self.progress = progress or (lambda message: None)
        self.counted: tuple[Task, float] | None = None  # the task counting the bytes indexed, and those before this file
        self.pool = ExtractionPool(self.workers, page_timeout or DEFAULT_PAGE_TIMEOUT)

    def close(self, abandon: bool = False) -> None:
        """Stop the workers: after their work (the default), or at once. A
        file of archived extractions still open is closed (and indexed by the
        next run, if :meth:`finish_derived` did not)."""
        self.archive.close()
        if abandon:
            self.pool.kill()
        else:
            self.pool.close()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ----------------------------------------------------------

    def warm_up(self) -> None:
        """Start the extraction workers now, each extracting one small page,
        and return at once: a crawl then runs while the workers start (a
        second or more of CPU each: interpreter, trafilatura, models), instead
        of the indexing that follows it paying for that."""
        self.pool.warm_up()

    def index_directory(self, directory: Path) -> IndexStats:
        """Index every closed WARC file of ``directory`` not yet indexed as it is now."""
        stats = IndexStats()
        directory = self._warcs = Path(directory)
        # the archived extractions first, so that each capture finds its own
        paths = sorted(
            (p for p in directory.rglob("*") if p.is_file() and is_warc_name(p.name)),
            key=lambda p: (not derived_records.is_derived_name(p.name), p.relative_to(directory).as_posix()),
        )
        sizes = {p: p.stat().st_size for p in paths}
        to_index = {p: size for p, size in sizes.items() if self.index.indexed_size(p.relative_to(directory).as_posix()) != size}
        with task_of(self.progress, "indexing", sum(to_index.values()), "bytes") as task:
            done = 0
            for number, path in enumerate(paths, 1):
                self.counted = (task, done)  # the file's records count from the bytes before it
                self.index_in(directory, path, stats, f"{number}/{len(paths)} ")
                done += to_index.get(path, 0)
        self.counted = None
        return stats

    def index_in(self, directory: Path, path: Path, stats: IndexStats, counter: str = "") -> FileResult | None:
        """Index ``path``, a file of ``directory`` (the index names it by its
        path there), into ``stats``; a file that cannot be read is a failure in ``stats``."""
        name = path.relative_to(directory).as_posix()
        try:
            result = self.index_file(path, name=name, source=import_source(name), origin=file_origin(name))
        except WarcReadError as exc:
            stats.failures.append(exc.message)
            logger.error("%s", exc.message)
            return None
        stats.add(result)
        if not result.skipped:
            self.progress(f"indexed {counter}{path.name}: {result.captures} captures, {result.pages} pages")
        return result

    def index_file(
        self, path: Path, *, name: str | None = None, source: str | None = None, origin: str = "crawl",
        sha1: str | None = None,
    ) -> FileResult:
        """Index one file (read from ``path``, recorded as ``name``). A file
        already indexed at its current size is skipped; one that changed is
        indexed again. A file cut short keeps its whole records, and
        ``result.damage`` says where it breaks; one with no readable record
        raises :class:`WarcReadError` and leaves the index as it was."""
        name = name or path.name
        size = path.stat().st_size
        if self.index.indexed_size(name) == size:
            return FileResult(name=name, skipped=True)
        result = FileResult(name=name)
        with self.index.db.atomic(), self.index.search_batch():
            self.index.forget_file(name)
            self.index.add_file(name, size, 0, 0, origin, _now())
            self._index_records(iter_records(path), name, source, result)
            self.index.add_file(
                name, size, result.records, result.captures, origin, _now(), damage=result.damage, sha1=sha1
            )
        self.archive.write_queued()
        return result

    def finish_derived(self) -> list[Path]:
        """Close the file of archived extractions and index it; its path(s)."""
        written = self.archive.close()
        for path in written:
            self.index_file(path, name=path.relative_to(self.archive.directory).as_posix(), origin="derived")
        return written

    @property
    def derived_problem(self) -> str | None:
        """Why extractions stopped being archived (a full disk), if they did."""
        return self.archive.problem

    # -- internals -------------------------------------------------------

    def _index_records(self, records: Iterable[CaptureRecord], name: str, source: str | None, result: FileResult) -> None:
        pending: OrderedDict[str, _Pending] = OrderedDict()
        self._touched: set[str] = set()
        self._fresh: dict[str, dict] = {}
        #: raw mementos whose page record is still to come: response ID -> (capture, metadata fields)
        self._mementos: dict[str, tuple[_Pending, dict[str, str]]] = {}
        backlog = 4 * max(self.workers, 1)
        try:
            try:
                for number, record in enumerate(records):
                    result.records += 1
                    if self.counted is not None and not number % 256:
                        self.counted[0].update(self.counted[1] + record.offset)
                    if is_derived(record):
                        self.archive.add(record, name)
                    elif record.record_type == "metadata":
                        self._apply_metadata(record, pending, result)
                    elif record.record_type in ("response", "revisit", "resource") and _is_web_url(record.url):
                        if record.captured_at is None:
                            result.not_extracted["no readable WARC-Date"] = result.not_extracted.get("no readable WARC-Date", 0) + 1
                            logger.warning("%s: record %s has no readable WARC-Date; not indexed", name, record.record_id)
                            continue
                        self._add_capture(record, name, source, number, pending, result)
                    # decide for captures whose metadata record did not follow
                    while pending and next(iter(pending.values())).seen_at < number - METADATA_WINDOW:
                        _, item = pending.popitem(last=False)
                        self._submit(item, None, result)
                    self._collect(result, block=len(self.pool) > backlog)
            except WarcReadError as exc:
                if not exc.offset:
                    raise
                result.damage = exc.message  # its whole records stay indexed
                logger.error("%s", exc.message)
            for item in pending.values():
                self._submit(item, None, result)
            pending.clear()
            for _ in self._mementos:
                _count(result, "a memento without its page record")
            self._mementos.clear()
            self.pool.drain(lambda item, outcome: self._store_page(item, outcome, result))
            for url in sorted(self._touched):
                history.rebuild(self.index, url, self._fresh)
            self._touched, self._fresh = set(), {}
        except BaseException:
            self.pool.kill()  # what the workers hold belongs to the transaction rolled back
            raise

    def _add_capture(self, record, name, source, number, pending, result) -> None:
        source = source or (self.source_for_url(record.url) if self.source_for_url else None)
        url = self.canonical_url(source, record.url) if self.canonical_url else record.url
        row = {
            "record_id": record.record_id,
            "url": url,
            "captured_at": record.captured_at,
            "record_type": record.record_type,
            "status": record.status,
            "mime": record.mime,
            "payload_digest": record.payload_digest,
            "warc_file": name,
            "offset": record.offset,
            "length": record.length,
            "source": source,
            "warc_date": record.warc_date,
            "etag": record.header("ETag"),
            "last_modified": record.header("Last-Modified"),
        }
        if record.status and 300 <= record.status < 400 and record.header("Location"):
            row["redirect_to"] = urljoin(record.url, record.header("Location").strip())
        if url != record.url:
            row["target_uri"] = record.url
        if record.record_type == "revisit":
            row.update(
                refers_to=record.refers_to,
                refers_to_uri=record.refers_to_uri,
                refers_to_date=record.refers_to_date,
                revisit_profile=record.profile,
            )
        memento = self._mementos.pop(record.refers_to, None) if record.record_type == "revisit" and record.source_uri else None
        if memento is not None:
            raw, fields = memento
            row.update(
                via=fields.get("archive"), memento_url=record.source_uri, archive_digest=fields.get("archiveDigest"),
                payload_check=fields.get("payloadCheck"), source=row["source"] or raw.source,
            )
        capture_id = self.index.add_capture(row)
        if capture_id is None:
            # the same record (its WARC-Record-ID) in another file, or twice in this one: one capture
            result.copies += 1
            return
        if record.record_type == "revisit" and memento is None:
            result.revisits += 1
        result.captures += 1
        self._touched.add(url)
        if memento is not None:
            # the page the memento holds: its body, with the outlet's headers and URL
            page = replace(record, body=memento[0].record.body, raw_body=memento[0].record.raw_body)
            self._submit(_Pending(capture_id, page, row["source"], number, url), None, result)
        elif record.record_type != "revisit" and record.record_id:
            pending[record.record_id] = _Pending(capture_id, record, row["source"], number, url)

    def _apply_metadata(self, record: CaptureRecord, pending, result) -> None:
        fields = dict(record.warc_fields())
        for target in record.concurrent_to + ((record.refers_to,) if record.refers_to else ()):
            item = pending.pop(target, None)
            if item is None:
                continue
            values = {k: fields[k] for k in ("source", "role") if fields.get(k)}
            self.index.set_capture_fields(target, values)
            if values.get("source"):
                item.source = values["source"]
            if values.get("role") == MEMENTO_ROLE and 200 <= (item.record.status or 0) < 300:
                self._mementos[target] = (item, fields)  # extracted with its page record, which follows
                continue
            self._submit(item, values.get("role"), result)

    def _submit(self, item: _Pending, role: str | None, result: FileResult) -> None:
        record = item.record
        reason = _not_extracted_reason(record, role)
        if reason is None and role is None and self.article_url and not self.article_url(item.source, item.url):
            reason = NOT_AN_ARTICLE_URL
        if reason:
            result.not_extracted[reason] = result.not_extracted.get(reason, 0) + 1
            item.record = None  # type: ignore[assignment]  # free the body
            return
        if self.from_records and (outcome := self.archive.read(record, self._warcs)) is not None:
            item.record = _slim(record)
            self._store_page(item, outcome, result)
            return
        args = (
            record.body, record.url, record.header("Content-Type"), record.header("Content-Language"),
            self.source_options.get(item.source or ""), record.captured_at,
        )
        item.record = _slim(record)
        self.pool.submit(item, args)

    def _collect(self, result: FileResult, *, block: bool) -> None:
        for item, outcome in self.pool.collect(block=block):
            self._store_page(item, outcome, result)

    def _store_page(self, item: _Pending, outcome: dict | str | JobFailed, result: FileResult) -> None:
        record = item.record
        if isinstance(outcome, JobFailed):
            result.not_extracted["extraction failed"] = result.not_extracted.get("extraction failed", 0) + 1
            result.extraction_failures.append(f"{record.url}: {outcome.reason}")
            self.index.set_capture_fields(record.record_id, {"extraction_error": outcome.reason})
            logger.warning("not extracted: %s: %s", record.url, outcome.reason)
            return
        if isinstance(outcome, str) and outcome.startswith("not by ") and item.source:
            drift.count(result.health, item.source, {"byline": False})
        if isinstance(outcome, str):
            key = outcome.split(" (", 1)[0]
            result.not_extracted[key] = result.not_extracted.get(key, 0) + 1
            logger.info("not extracted: %s: %s", record.url, outcome)
            return
        row = {k: outcome.get(k) for k in (
            "title", "author", "authors", "published", "language", "text", "description", "sitename", "canonical_url",
            "word_count", "encoding", "extractor", "extraction_path", "comment_count", "comments_text", "fingerprint",
        )}
        row["authors"] = list(row["authors"] or ()) or None  # kept as a JSON list
        row.update(url=item.url, source=item.source, capture_id=item.capture_id, last_captured=record.captured_at)
        if item.source:
            drift.count(result.health, item.source, outcome.get("rule_matches") or {})
        words = outcome.get("search_words")
        normaliser().remember(words or ())
        self.index.add_page(row, record_id=record.record_id, search_texts=outcome.get("search_texts"), search_words=words)
        digest = outcome.get("content_hash") or content_hash(row["title"], row["author"], row["text"])
        self.index.set_capture_fields(record.record_id, {"content_hash": digest})
        self._fresh[record.record_id] = {"title": row["title"], "author": row["author"], "text": row["text"]}
        result.pages += 1
        if self.archive.directory is not None and not outcome.get("from_records"):
            self.archive.queue(record, {**outcome, "content_hash": digest})


def _count(result: FileResult, reason: str) -> None:
    result.not_extracted[reason] = result.not_extracted.get(reason, 0) + 1


def _not_extracted_reason(record: CaptureRecord, role: str | None) -> str | None:
    if role not in EXTRACTED_ROLES:
        return f"role {role}"
    if record.status is None or not 200 <= record.status < 300:
        return f"status {record.status}"
    if record.body is None:
        return "body too large"
    if not record.body.strip():
        return "empty body"
    if not is_html(record.mime, record.body[:1024]):
        return f"not HTML ({record.mime or 'no MIME type'})"
    return None


def _slim(record: CaptureRecord) -> CaptureRecord:
    """The record without its payload, once the payload is with a worker."""
    record.body = None
    record.raw_body = None
    return record


def _is_web_url(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0].lower() in ("http", "https")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
