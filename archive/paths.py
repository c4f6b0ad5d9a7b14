"""Every path inside a data directory, in one place.

``warcs/`` is the source of truth; everything else is derived from it or
is the crawl's own state, and can be rebuilt or dropped:

| path | what |
|---|---|
| ``warcs/`` | the WARC files (a crawl's own; ``imported/<source>/`` for other tools') |
| ``index.sqlite`` | the index (``mediarchive reindex`` rebuilds it from ``warcs/``) |
| ``replay/index.cdxj`` | the sorted CDXJ that pywb reads, and pywb's config |
| ``frontier/<source>.tsv`` | what a crawl found and did not finish, for the next run |
| ``frontier/queues/`` | the running crawl's scheduled requests (Scrapy's disk queues), emptied by the next |
| ``runs/`` | one JSON report per run |
| ``logs/`` | the log of runs without a terminal |
| ``.lock`` | held (``flock``) by the command that writes: crawl, import, reindex |
| ``sources-file`` | the sources file it was last crawled with (its absolute path), for commands run without ``--config`` |

Chosen by ``--data``, else ``$MEDIARCHIVE_DATA``, else ``./data``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "MEDIARCHIVE_DATA"


@dataclass(frozen=True)
class DataDir:
    root: Path

    @classmethod
    def resolve(cls, option: str | os.PathLike | None = None) -> DataDir:
        chosen = option or os.environ.get(ENV_VAR) or "data"
        return cls(Path(chosen).expanduser().resolve())

    @property
    def warcs(self) -> Path:
        return self.root / "warcs"

    @property
    def index_path(self) -> Path:
        return self.root / "index.sqlite"

    @property
    def replay(self) -> Path:
        return self.root / "replay"

    @property
    def replay_index(self) -> Path:
        return self.replay / "index.cdxj"

    @property
    def frontier(self) -> Path:
        return self.root / "frontier"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    def warc_path(self, name: str) -> Path:
        """The file a capture's ``warc_file`` names."""
        return self.warcs / name

    @property
    def sources_file(self) -> Path:
        return self.root / "sources-file"

    def remembered_sources(self) -> Path | None:
        """The sources file this archive was last crawled with, if it still exists."""
        try:
            named = Path(self.sources_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        return named if named.is_absolute() and named.is_file() else None

    def remember_sources(self, path: Path) -> None:
        """Note the sources file a crawl of this archive used (once it changes)."""
        path = path.resolve()
        if self.remembered_sources() == path:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.sources_file.with_name(self.sources_file.name + ".tmp")
        partial.write_text(f"{path}\n", encoding="utf-8")
        os.replace(partial, self.sources_file)
