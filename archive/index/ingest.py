"""The one way data enters the archive.

A crawl, ``import`` and ``reindex`` (and every later way in) open an
:class:`Ingest` and hand it files; it does the rest the same way for all:

1. takes the data directory's lock (:class:`~archive.errors.AlreadyRunning`
   when another command holds it) and mends the ``.open`` files a crash
   left behind;
2. opens the index to write, creating or upgrading it (only here: readers
   never migrate), or, to rebuild it, a new index beside the old one;
3. indexes files, each in one transaction, with extraction in worker
   processes whose failures stay with their page;
4. :meth:`finish`: revisits resolved, reprints grouped for every source that
   has them, the replay index brought up to date (a record it cannot take is
   left out and named), a rebuilt index swapped in;
5. the run's report, with every failure and warning where it happened.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from archive.errors import WarcReadError
from archive.index.imports import ImportOutcome, import_file, import_wacz
from archive.index.indexer import Indexer, IndexStats
from archive.index.lock import DataLock
from archive.index.runs import RunReport, changes_since, write_report
from archive.index.store import Index
from archive.paths import DataDir
from archive.progress import task_of
from archive.search import fulltext
from archive.sources import Config
from archive.warc.cdxj import update_replay_index
from archive.warc.derived import is_derived_name
from archive.warc.recover import recover_open_file
from archive.warc.write import OPEN_SUFFIX

logger = logging.getLogger(__name__)


class Ingest:
    """Everything that writes the archive, under one lock, as a context manager."""

    def __init__(
        self,
        data: DataDir,
        *,
        config: Config | None = None,
        rebuild: bool = False,
        from_records: bool = False,
        workers: int | None = None,
        page_timeout: float | None = None,
        progress: Callable[[str], None] | None = None,
    ):
        self.data = data
        self.config = config
        self.rebuild = rebuild
        self.from_records = from_records
        self.workers = workers
        self.page_timeout = page_timeout
        self.progress = progress or (lambda message: None)
        self.stats = IndexStats()
        self.recovered: list[str] = []
        self.warnings: list[str] = []
        self.started = _utc_stamp()
        self._clock = time.monotonic()
        self._lock = DataLock(data.root)
        self._building = data.index_path.with_name(data.index_path.name + ".building")
        self._finished = False
        self.index: Index | None = None
        self.indexer: Indexer | None = None

    # -- the run ---------------------------------------------------------

    def __enter__(self) -> Ingest:
        self._lock.acquire()
        try:
            self._recover_open_files()
            if self.rebuild:
                _remove_with_sidecars(self._building)
                self.index = Index(self._building)
                if self.from_records:  # the texts are as they were: so are their words' forms
                    fulltext.learn_from(self.data.index_path)
            else:
                self.index = Index(self.data.index_path)
            self.indexer = self.new_indexer(self.index)
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self._close(failed=kind is not None or not self._finished)

    def new_indexer(self, index: Index) -> Indexer:
        """An indexer into ``index`` with this run's options (sources, workers, time limit)."""
        return Indexer(
            index,
            workers=self.workers,
            page_timeout=self.page_timeout,
            source_for_url=self.config.source_for_url if self.config else None,
            article_url=self.config.is_article_url if self.config else None,
            canonical_url=self.config.canonical_url if self.config else None,
            derived_dir=self.data.warcs,
            from_records=self.from_records,
            source_options=self.config.extraction_options() if self.config else None,
            progress=self.progress,
        )

    def index_pending(self) -> IndexStats:
        """Index every closed WARC file not yet indexed as it is now."""
        stats = self.indexer.index_directory(self.data.warcs)
        self.stats.merge(stats)
        return stats

    def import_files(
        self, paths: list[Path], source: str | None = None, trusted_roots: Path | None = None,
    ) -> list[ImportOutcome]:
        """Copy files of other tools in and index them (WACZ packages: their
        WARC files, a signed one's signature verified, against ``trusted_roots``
        if given)."""
        outcomes: list[ImportOutcome] = []
        sizes = [path.stat().st_size if path.is_file() else 0 for path in paths]  # a missing file: its outcome says so
        with task_of(self.progress, "importing", sum(sizes), "bytes") as task:
            done = 0
            for path, size in zip(paths, sizes):
                self.indexer.counted = (task, done)
                if path.suffix.lower() == ".wacz":
                    outcomes += import_wacz(self.data, self.indexer, path, source, trusted_roots)
                else:
                    outcomes.append(import_file(self.data, self.indexer, path, source))
                done += size
                task.update(done)
        self.indexer.counted = None
        for outcome in outcomes:
            if outcome.result is not None:
                self.stats.add(outcome.result)  # a file cut short: its damage is a failure
            elif outcome.error:
                self.stats.failures.append(outcome.error)
        return outcomes

    def finish(self) -> None:
        """The steps after indexing, whatever brought the files in."""
        index = self.index
        self.indexer.finish_derived()  # the extractions archived beside their captures, indexed
        if self.indexer.derived_problem:
            self.warnings.append(self.indexer.derived_problem)
        index.resolve_revisits()
        for name, options in (self.config.extraction_options() if self.config else {}).items():
            if options.reprints:
                index.group_reprints(name)
        new_files = [self.data.warcs / name for name in self.stats.indexed_files if not is_derived_name(name)]
        whole = self.rebuild or not self.data.replay_index.exists()
        if whole or new_files:
            left_out = update_replay_index(self.data, index, None if whole else new_files, self.progress)
            for problem in left_out:
                self.warnings.append(f"left out of the replay index: {problem}")
        if self.rebuild:
            index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            index.db.disable_wal()
            index.close()
            for old in _with_sidecars(self.data.index_path)[1:]:
                old.unlink(missing_ok=True)
            os.replace(self._building, self.data.index_path)
            self.index = None
        self._finished = True

    def report(self, command: str, report: RunReport | None = None) -> RunReport:
        """The run's report, written to ``DATA/runs/``: what was indexed,
        every failure and warning, the changes seen. Call it after :meth:`finish`."""
        report = report or RunReport(started=self.started, command=command)
        report.recovered_files = list(self.recovered)
        report.indexed = {"files": self.stats.files, "captures": self.stats.captures, "pages": self.stats.pages}
        report.failures = [*self.stats.failures, *report.failures]
        report.not_extracted = list(self.stats.extraction_failures)
        report.warnings = [*self.warnings, *report.warnings]
        index = self.index or Index(self.data.index_path)
        try:
            # a rebuild's events are all made anew: only those after its start are its own
            report.changes = changes_since(index, report.started, None if self.rebuild else self.stats.indexed_files)
        finally:
            if index is not self.index:
                index.close()
        report.finished = _utc_stamp()
        report.duration_s = round(time.monotonic() - self._clock, 1)
        if report.exit_code is None:
            report.exit_code = 0 if not report.failures else 1
        write_report(self.data.runs, report)
        return report

    # -- internals -------------------------------------------------------

    def _recover_open_files(self) -> None:
        if not self.data.warcs.is_dir():
            return
        for leftover in sorted(self.data.warcs.rglob("*" + OPEN_SUFFIX)):
            try:
                kept = recover_open_file(leftover)
            except (OSError, WarcReadError) as exc:
                self.warnings.append(f"{leftover}: cannot be mended: {exc}")
                continue
            self.recovered.append(kept.name if kept else f"{leftover.name} (empty, removed)")
            self.progress(f"recovered {leftover.name} from an interrupted run")

    def _close(self, failed: bool = True) -> None:
        if self.indexer is not None:
            self.indexer.close(abandon=failed)
            self.indexer = None
        if self.index is not None:
            self.index.close()
            self.index = None
        if self.rebuild and failed:
            _remove_with_sidecars(self._building)  # the old index stays as it was
        self._lock.release()


def _with_sidecars(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _remove_with_sidecars(path: Path) -> None:
    for leftover in _with_sidecars(path):
        leftover.unlink(missing_ok=True)


def _utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
