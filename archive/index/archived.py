"""The indexer's side of the extractions archived in WARC records
(:mod:`archive.warc.derived`): writing each file's new extractions, knowing
which are archived, reading one back for ``reindex --from-records``, and
the chain ``show --json`` prints.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archive.errors import DiskFull, WarcReadError
from archive.index.store import Index
from archive.search import fulltext
from archive.warc import derived as derived_records
from archive.warc.read import CaptureRecord, read_block

logger = logging.getLogger(__name__)

__all__ = ["ExtractionArchive", "derived_of", "is_derived", "provenance"]


def is_derived(record: CaptureRecord) -> bool:
    """An archived extraction's record: a conversion, or its JSON metadata, referring to a response."""
    if not record.refers_to:
        return False
    if record.record_type == "conversion":
        return True
    return record.record_type == "metadata" and (record.warc_content_type or "").startswith(derived_records.METADATA_TYPE)


def derived_of(index: Index, record_id: str) -> dict[str, dict[str, Any]]:
    """The newest archived extraction of a response record: its
    ``conversion`` and ``metadata`` records' rows, by kind (empty if none)."""
    found: dict[str, dict[str, Any]] = {}
    for row in index.query("SELECT * FROM derived WHERE refers_to = ? ORDER BY id DESC", [record_id]):
        found.setdefault(row["kind"], row)
    return found


def provenance(index: Index, capture_id: int) -> dict[str, Any] | None:
    """The chain from a page's text to the bytes it came from: its
    conversion and metadata records, the response record they refer to,
    its payload digest, file and offset; for a page recovered from another
    web archive, ``memento``: the archive, the memento's URL, the archive's
    digest and whether the body matched it, and the response record of the
    exchange with the archive (the page's record refers to it)."""
    columns = "record_id, url, target_uri, captured_at, payload_digest, warc_file, offset, length"
    rows = index.query(
        f"SELECT {columns}, via, memento_url, archive_digest, payload_check, refers_to FROM captures WHERE id = ?",
        [capture_id],
    )
    if not rows:
        return None
    response = rows[0]
    memento = {key: response.pop(key) for key in ("via", "memento_url", "archive_digest", "payload_check", "refers_to")}
    derived = derived_of(index, response["record_id"])
    keys = ("record_id", "warc_file", "offset", "length")
    chain = {
        "text": {key: derived["conversion"][key] for key in keys} if "conversion" in derived else None,
        "fields": {key: derived["metadata"][key] for key in (*keys, "extractor")} if "metadata" in derived else None,
        "response": response,
        "memento": None,
    }
    if memento["via"]:
        # the page came from another web archive: the exchange with it, as it happened
        exchange = index.query(f"SELECT {columns} FROM captures WHERE record_id = ?", [memento["refers_to"]])
        chain["memento"] = {
            "via": memento["via"], "memento_url": memento["memento_url"], "archive_digest": memento["archive_digest"],
            "payload_check": memento["payload_check"], "exchange": exchange[0] if exchange else None,
        }
    return chain


class ExtractionArchive:
    """Archives the extractions an indexer makes, in ``directory`` (the
    archive's WARC folder), and reads archived ones back."""

    def __init__(self, index: Index, directory: Path | None):
        self.index = index
        self.directory = directory
        self.queued: list[derived_records.Derived] = []
        #: why extractions stopped being archived (a full disk), if they did
        self.problem: str | None = None
        self._writer = None

    def add(self, record: CaptureRecord, name: str) -> None:
        """Know an archived extraction's record, met in file ``name``."""
        row = {"record_id": record.record_id, "kind": record.record_type, "refers_to": record.refers_to,
               "warc_file": name, "offset": record.offset, "length": record.length}
        if record.record_type == "metadata" and record.raw_body is not None:
            try:
                fields = derived_records.fields_from(record.raw_body)
            except ValueError:
                return  # JSON that is not an extraction's: another tool's metadata
            row.update(extractor=fields.get("extractor"), content_hash=fields.get("content_hash"))
        self.index.add_derived(row)

    def queue(self, record: CaptureRecord, outcome: Mapping[str, Any]) -> None:
        """Queue a page's extraction, unless the archive holds this very one already."""
        known = derived_of(self.index, record.record_id).get("metadata")
        if known and (known["extractor"], known["content_hash"]) == (outcome.get("extractor"), outcome.get("content_hash")):
            return
        self.queued.append(derived_records.Derived(record.record_id, record.url, outcome.get("text") or "", outcome))

    def write_queued(self) -> None:
        """Write what is queued (after its capture's file is indexed)."""
        from archive.warc.records import format_warc_date, utc_now
        from archive.warc.write import RollingWarcWriter

        queued, self.queued = self.queued, []
        if self.directory is None or self.problem or not queued:
            return
        try:
            if self._writer is None:
                self._writer = RollingWarcWriter(self.directory, derived_records.DERIVED_PREFIX)
            date = format_warc_date(utc_now())
            for item in queued:
                self._writer.write_records(
                    lambda new_id, warcinfo_id, item=item: derived_records.specs(item, date, new_id, warcinfo_id))
        except (DiskFull, OSError) as exc:
            self.problem = f"extracted text not archived in WARC records from here on: {exc}"
            logger.warning("%s", self.problem)
            self.close()

    def close(self) -> list[Path]:
        """Close the file being written (whole records only); the files written."""
        writer, self._writer = self._writer, None
        if writer is None:
            return []
        try:
            writer.close()
        except OSError as exc:  # a full disk: the ".open" file is mended by the next run
            self.problem = self.problem or f"extracted text not archived in WARC records: {exc}"
            logger.warning("the file of archived extractions could not be closed: %s", exc)
        return list(writer.files_written)

    def read(self, record: CaptureRecord, warcs: Path | None) -> dict | None:
        """The page's extraction as its archived records hold it, ready to store; None if there is none."""
        rows = derived_of(self.index, record.record_id)
        if "metadata" not in rows or "conversion" not in rows or warcs is None:
            return None
        try:
            fields = derived_records.fields_from(_block(warcs, rows["metadata"]))
            text = _block(warcs, rows["conversion"]).decode("utf-8")
        except (OSError, ValueError, WarcReadError) as exc:
            logger.warning("%s: its archived extraction cannot be read (%s); extracting again", record.url, exc)
            return None
        outcome = {**fields, "text": text, "from_records": True}
        outcome["search_texts"], outcome["search_words"] = fulltext.search_forms(outcome)
        return outcome


def _block(warcs: Path, row: Mapping) -> bytes:
    block = read_block(warcs / row["warc_file"], row["offset"], row["length"])
    if block is None:
        raise ValueError("record too large")
    return block
