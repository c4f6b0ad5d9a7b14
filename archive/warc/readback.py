"""Reading a capture's archived bytes back from its WARC record by offset."""

from __future__ import annotations

from typing import Any

from archive.paths import DataDir
from archive.errors import NotInIndex
from archive.index.store import Index
from archive.warc.read import CaptureRecord, read_record


def capture_record(data: DataDir, capture: dict[str, Any]) -> CaptureRecord:
    """The WARC record an index row names (file, offset, length)."""
    return read_record(data.warc_path(capture["warc_file"]), capture["offset"], capture["length"])


def archived_body(data: DataDir, index: Index, url: str) -> bytes:
    """The body of the newest successful capture of ``url``, as the server
    sent it (transfer and content encodings removed). A revisit is followed
    to the record that holds its payload."""
    rows = index.query(
        "SELECT * FROM captures WHERE url = ? AND status BETWEEN 200 AND 299 "
        "ORDER BY captured_at DESC, id DESC",
        [url],
    )
    for capture in rows:
        if capture["record_type"] == "revisit":
            capture = index.capture(capture["refers_to"]) if capture["refers_to"] else None
            if capture is None:
                continue
        record = capture_record(data, capture)
        if record.body is not None:
            return record.body
    raise NotInIndex(f"{url}: no successful capture with a body in the archive")
