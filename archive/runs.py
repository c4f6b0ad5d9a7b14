"""Each run's report: a JSON file in ``DATA/runs/`` and one summary line."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archive.index import Index


@dataclass
class RunReport:
    started: str
    finished: str | None = None
    duration_s: float | None = None
    recheck: str = "due"
    sources: list[dict[str, Any]] = field(default_factory=list)
    recovered_files: list[str] = field(default_factory=list)
    indexed_before: dict[str, int] = field(default_factory=dict)
    indexed: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    warc_bytes: int = 0
    failures: list[str] = field(default_factory=list)
    exit_code: int | None = None

    def summary_line(self) -> str:
        ok = sum(1 for s in self.sources if s.get("succeeded"))
        change = ", ".join(f"{self.changes.get(k, 0)} {k}" for k in ("new", "edited", "removed", "restored"))
        failed = f", {len(self.failures)} failure(s)" if self.failures else ""
        return (
            f"run {self.started}: {ok}/{len(self.sources)} source(s) ok, {change}, "
            f"{self.warc_bytes / 1e6:.1f} MB written in {self.duration_s or 0:.0f} s{failed}"
        )


def changes_since(index: Index, since: str) -> dict[str, int]:
    counts = {"new": 0, "edited": 0, "removed": 0, "restored": 0}
    for event, count in index.db.execute("SELECT event, count(*) FROM page_events WHERE at >= ? GROUP BY event", [since]):
        counts[event] = count
    return counts


def write_report(runs_dir: Path, report: RunReport) -> Path:
    """Write the report atomically as ``runs/<started>.json``."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = report.started.replace("-", "").replace(":", "")
    path = runs_dir / f"{stamp}.json"
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path
