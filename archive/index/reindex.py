"""Rebuilding the index from the WARC files alone.

The new index is built beside the old one and swapped in only when complete:
an interrupted reindex leaves the previous index as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from archive.warc.cdxj import update_replay_index
from archive.sources import ExtractionOptions
from archive.paths import DataDir
from archive.index.store import Index
from archive.index.indexer import Indexer, IndexStats


def reindex(
    data: DataDir,
    *,
    source_for_url: Callable[[str], str | None] | None = None,
    source_options: Mapping[str, ExtractionOptions] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> IndexStats:
    building = data.index_path.with_name(data.index_path.name + ".building")
    for leftover in _with_sidecars(building):
        leftover.unlink(missing_ok=True)
    index = Index(building)
    try:
        with Indexer(
            index, workers=workers, source_for_url=source_for_url, source_options=source_options, progress=progress
        ) as indexer:
            stats = indexer.index_directory(data.warcs)
        update_replay_index(data, index)  # rebuilt with the index
        index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        index.db.disable_wal()
    except BaseException:
        index.close()
        for leftover in _with_sidecars(building):
            leftover.unlink(missing_ok=True)
        raise
    index.close()
    for old in _with_sidecars(data.index_path)[1:]:
        old.unlink(missing_ok=True)
    os.replace(building, data.index_path)
    return stats


def _with_sidecars(path):
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
