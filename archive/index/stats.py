"""What indexing did: per file (:class:`FileResult`) and per run (:class:`IndexStats`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields

from archive.index import drift

__all__ = ["FileResult", "IndexStats"]


@dataclass
class FileResult:
    name: str
    records: int = 0
    captures: int = 0
    revisits: int = 0
    pages: int = 0
    not_extracted: dict[str, int] = field(default_factory=dict)
    #: records whose WARC-Record-ID the index holds already (copies of the same record)
    copies: int = 0
    #: "URL: reason" of each page whose extraction failed (exception, timeout, dead worker)
    extraction_failures: list[str] = field(default_factory=list)
    #: where the file stops being readable, when it does (its whole records are indexed)
    damage: str | None = None
    skipped: bool = False
    #: per source, how many of its extracted pages each site rule matched (archive.index.drift)
    health: drift.Health = field(default_factory=dict)


@dataclass
class IndexStats:
    files: int = 0
    skipped: int = 0
    records: int = 0
    captures: int = 0
    revisits: int = 0
    pages: int = 0
    failures: list[str] = field(default_factory=list)
    extraction_failures: list[str] = field(default_factory=list)
    indexed_files: list[str] = field(default_factory=list)
    health: drift.Health = field(default_factory=dict)

    def add(self, result: FileResult) -> None:
        if result.skipped:
            self.skipped += 1
            return
        if result.damage:
            self.failures.append(result.damage)
        self.extraction_failures += result.extraction_failures
        self.indexed_files.append(result.name)
        self.files += 1
        self.records += result.records
        self.captures += result.captures
        self.revisits += result.revisits
        self.pages += result.pages
        drift.merge(self.health, result.health)

    def merge(self, other: IndexStats) -> None:
        for item in dataclass_fields(self):  # counts add up, lists extend
            if item.name != "health":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        drift.merge(self.health, other.health)
