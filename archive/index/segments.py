"""Indexing a crawl's closed WARC segments while it writes the next.

The crawler closes a segment at a growing size or an age
(``ARCHIVE_WARC_FIRST_SIZE``, ``ARCHIVE_WARC_MAX_SIZE``,
``ARCHIVE_WARC_MAX_AGE``) and hands its path to :meth:`SegmentIndexer.closed`.
An indexer process takes the paths in order and indexes each as a file of
its own, in one transaction, with the run's indexer options and its own
extraction workers: the workers use the second core while the crawl's
reactor uses the first.

A process, not a thread: indexing holds the GIL for much of its work
(reading records, building rows), and a thread doing it slowed the reactor
three times over. The process is forked before the crawl starts, from the
run that holds the data directory's lock, and works under that lock: it is
the run's, like the extraction workers. Everything else stays as the one
way in makes it: the run's :class:`~archive.index.ingest.Ingest` indexes
whatever is left after the crawl (nothing, unless the indexer process met an
error or died) and does the finishing step once.

- Ctrl-C and SIGTERM are the crawl's to handle: the indexer process ignores
  both, and :meth:`cancel` kills it (its file's transaction is rolled back:
  SQLite never committed it), as it dies with the run however the run ends.
- A file that cannot be read is that file's failure; an error that stops
  the indexer process is raised by :meth:`finish` once the crawl has ended.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import MediarchiveError
from archive.index.indexer import IndexStats
from archive.index.pool import die_with_parent, forget_inherited_forkserver
from archive.index.store import Index
from archive.resources import domain_error

if TYPE_CHECKING:
    from archive.index.ingest import Ingest

logger = logging.getLogger(__name__)

_WARM_UP = "warm-up"
_STOP = "stop"


class IndexerDied(MediarchiveError):
    pass


class SegmentIndexer:
    """The indexer process of one crawl; :meth:`finish` or :meth:`cancel` ends it."""

    def __init__(self, ingest: Ingest):
        self.ingest = ingest
        self._process: multiprocessing.Process | None = None
        self._conn: Connection | None = None

    def __enter__(self) -> SegmentIndexer:
        context = multiprocessing.get_context("fork")  # the run's options and logging, as they are
        self._conn, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(self.ingest, theirs, os.getpid()), name="mediarchive-indexer"
        )
        self._process.start()
        theirs.close()
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if self._process is not None:  # the crawl stopped early or failed: no waiting for the backlog
            self.cancel()

    # -- called from the crawl's thread ------------------------------------

    def closed(self, path: str | Path) -> None:
        """A segment is complete: index it (after those before it)."""
        self._send(str(path))

    def warm_up(self) -> None:
        """Start the extraction workers now (the first article has arrived)."""
        self._send(_WARM_UP)

    def finish(self) -> None:
        """Index what is queued, then end. The indexer's counts go into the
        run's; raises the error that stopped the indexer process, if one did."""
        process, conn = self._process, self._conn
        self._send(_STOP)
        outcome = None
        try:
            while process.is_alive() or conn.poll():
                if conn.poll(1.0):
                    outcome = conn.recv()
                    break
        except (EOFError, OSError):
            outcome = None
        process.join()
        self._process = None
        conn.close()
        if outcome is None:
            # the files it had not indexed are indexed by the run itself, after the crawl
            self.ingest.warnings.append(f"the indexer process died (exit {process.exitcode}); the run indexed its files")
            return
        stats, error = outcome
        self.ingest.stats.merge(stats)
        if error is not None:
            raise error

    def cancel(self) -> None:
        """End now: the file being indexed is rolled back, the rest is left
        to the next run."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.join()
        self._conn.close()

    def _send(self, message: str) -> None:
        if self._process is None:
            return
        try:
            self._conn.send(message)
        except OSError:  # it died: the run indexes what it would have
            pass


def _serve(ingest: Ingest, conn: Connection, parent: int) -> None:
    """The indexer process: index each path received, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent(parent)
    forget_inherited_forkserver()  # its workers come from a forkserver of its own
    stats, error = IndexStats(), None
    index = indexer = None
    warcs = ingest.data.warcs.resolve()
    try:
        try:
            index = Index(ingest.data.index_path)  # its own connection: the run's is never used here
            indexer = ingest.new_indexer(index)
            indexer.progress = logger.info  # the log's: the terminal is the crawl's live table
        except Exception as exc:  # noqa: BLE001 - handed to the run, raised there
            error = _handed_on(exc, ingest)
        while (message := conn.recv()) != _STOP:
            if error is not None:
                continue  # the run indexes these files after the crawl
            try:
                if message == _WARM_UP:
                    indexer.warm_up()
                else:
                    indexer.index_in(warcs, Path(message).resolve(), stats)
            except Exception as exc:  # noqa: BLE001 - handed to the run, raised there
                error = _handed_on(exc, ingest)
        if indexer is not None:
            if error is None:
                try:
                    indexer.finish_derived()
                except Exception as exc:  # noqa: BLE001 - handed to the run, raised there
                    error = _handed_on(exc, ingest)
            indexer.close()
        if index is not None:
            index.close()
        conn.send((stats, error))
    finally:
        conn.close()


def _handed_on(exc: Exception, ingest: Ingest) -> Exception:
    """The error as the run raises it: the user's version of a full disk or
    a damaged index, or one message naming what stopped the indexing."""
    logger.error("indexing alongside the crawl stopped: %s", exc, exc_info=not isinstance(exc, MediarchiveError))
    known = domain_error(exc, ingest.data.root, ingest.data.index_path)
    if known is not None or isinstance(exc, MediarchiveError):
        return known or exc
    return IndexerDied(f"indexing stopped: {type(exc).__name__}: {exc}")
