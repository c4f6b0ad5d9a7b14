"""Each run's report: a JSON file in ``DATA/runs/`` and one summary line."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archive.index.store import Index


@dataclass
class RunReport:
    started: str
    command: str = "crawl"
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
    #: pages whose extraction failed ("URL: reason"), and what else is worth a look
    not_extracted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interrupted_by: str | None = None
    exit_code: int | None = None

    def summary_line(self) -> str:
        ok = sum(1 for s in self.sources if s.get("succeeded"))
        change = ", ".join(f"{self.changes.get(k, 0)} {k}" for k in ("new", "edited", "removed", "restored"))
        failed = f", {len(self.failures)} failure(s)" if self.failures else ""
        drifted = [line for s in self.sources for line in s.get("drift", ())]
        layout = f"; {drifted[0]}" + (f" (and {len(drifted) - 1} more)" if len(drifted) > 1 else "") if drifted else ""
        return (
            f"run {self.started}: {ok}/{len(self.sources)} source(s) ok, {change}, "
            f"{human_size(self.warc_bytes)} written in {self.duration_s or 0:.0f} s{failed}{layout}"
        )


def human_size(size: int) -> str:
    """``312 bytes``, ``48 KB``, ``10.7 MB``, ``2.4 GB`` (powers of 1000):
    a run that wrote only revisits says what it wrote, not ``0.0 MB``."""
    if size < 1000:
        return f"{size} byte{'s' if size != 1 else ''}"
    if size < 1e6:
        return f"{size / 1e3:.0f} KB"
    if size < 1e9:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e9:.1f} GB"


def changes_since(index: Index, since: str, files: list[str] | None = None) -> dict[str, int]:
    """The events a run brought: those at or after its start, and those of
    the captures in ``files``, the files it indexed (an import or a
    ``--from-warc`` crawl brings pages captured long before it ran)."""
    counts = {"new": 0, "edited": 0, "removed": 0, "restored": 0}
    where, params = "at >= ?", [since]
    if files:
        index.db.execute("CREATE TEMP TABLE IF NOT EXISTS run_files (name TEXT PRIMARY KEY)")
        index.db.execute("DELETE FROM run_files")
        index.db.conn.executemany("INSERT OR IGNORE INTO run_files VALUES (?)", [(name,) for name in files])
        where += " OR record_id IN (SELECT record_id FROM captures WHERE warc_file IN (SELECT name FROM run_files))"
    for event, count in index.db.execute(f"SELECT event, count(*) FROM page_events WHERE {where} GROUP BY event", params):
        counts[event] = count
    return counts


def write_report(runs_dir: Path, report: RunReport) -> Path:
    """Write the report atomically as ``runs/<started>[-command].json``."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = report.started.replace("-", "").replace(":", "")
    path = runs_dir / (f"{stamp}.json" if report.command == "crawl" else f"{stamp}-{report.command}.json")
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def latest_reports(runs_dir: Path) -> list[dict[str, Any]]:
    """Every run report, newest first (unreadable ones skipped)."""
    reports = []
    for path in sorted(runs_dir.glob("*.json"), reverse=True) if runs_dir.is_dir() else []:
        try:
            reports.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return reports


def source_status(index: Index | None, runs_dir: Path, sources: list[Any]) -> list[dict[str, Any]]:
    """Per source: its last run, pages archived, newest article date, failures."""
    reports = latest_reports(runs_dir)
    rows = []
    for source in sources:
        last = next(
            ((report, entry) for report in reports for entry in report.get("sources", []) if entry.get("name") == source.name),
            None,
        )
        pages = newest = removed = None
        if index is not None:
            pages, newest, removed = index.db.execute(
                "SELECT count(*), max(published), sum(removed_at IS NOT NULL) FROM pages WHERE source = ?", [source.name]
            ).fetchone()
        rows.append({
            "name": source.name,
            "status": "closed" if source.closed else ("enabled" if source.enabled else "disabled"),
            "last_run": last[0]["started"] if last else None,
            "last_run_ok": last[1].get("succeeded") if last else None,
            "last_run_problem": last[1].get("problem") if last else None,
            "last_run_failed_pages": last[1].get("failed") if last else None,
            "last_run_rules": last[1].get("rules") if last else None,
            "last_run_listed": {key: last[1].get(key) for key in ("feed_articles", "listing_articles")} if last else None,
            "last_run_drift": last[1].get("drift") if last else None,
            "pages_archived": pages or 0,
            "pages_removed": removed or 0,
            "newest_article": newest,
        })
    return rows
