"""The data directory: ``warcs/`` (the source of truth) and ``index.sqlite``
(derived). Chosen by ``--data``, else ``$MEDIARCHIVE_DATA``, else ``./data``."""

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

    def warc_path(self, name: str) -> Path:
        """The file a capture's ``warc_file`` names."""
        return self.warcs / name
