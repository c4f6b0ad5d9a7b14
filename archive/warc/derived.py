"""An extraction archived beside its capture, in the archive's own WARC files.

No tool of this field ties the text it extracts to the record it came from.
Here each extracted page gets two records, written after the capture's file
is indexed, into a file of their own (``derived-*.warc.gz``), never into a
closed file:

- a ``conversion`` record: the text, ``text/plain; charset=utf-8``, with
  ``WARC-Refers-To`` the response record's ID and ``WARC-Target-URI`` the
  page's URL (WARC 1.1, section 6.8: "an alternative version of another
  record's content that was created as the result of an archival process");
- a ``metadata`` record beside it (``WARC-Concurrent-To`` the conversion,
  ``WARC-Refers-To`` the response): the extracted fields as JSON
  (``application/json``), with the extractor's name and version and the
  extraction path taken (:data:`FIELDS`).

``reindex --from-records`` rebuilds the pages from these two records
without extracting again.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from archive.warc.records import RecordSpec, checked_id

__all__ = ["DERIVED_PREFIX", "FIELDS", "METADATA_TYPE", "Derived", "fields_from", "is_derived_name", "specs"]

#: The file-name prefix of the files that hold derived records.
DERIVED_PREFIX: Final = "derived"
#: The metadata record's Content-Type: what tells it from a crawl's metadata record.
METADATA_TYPE: Final = "application/json"
TEXT_TYPE: Final = "text/plain; charset=utf-8"
#: The extraction's fields kept in the metadata record (the text is the conversion record's).
FIELDS: Final = (
    "title", "author", "authors", "published", "language", "description", "sitename", "canonical_url",
    "word_count", "encoding", "extractor", "extraction_path", "comment_count", "comments_text", "content_hash",
    "fingerprint",
)


@dataclass(frozen=True)
class Derived:
    """One page's extraction, to archive: the response it comes from and what was extracted."""

    response_id: str
    url: str  # the response record's WARC-Target-URI
    text: str
    fields: Mapping[str, Any]


def is_derived_name(name: str) -> bool:
    """Whether a WARC file name is one of the archive's derived-record files."""
    return name.rsplit("/", 1)[-1].startswith(DERIVED_PREFIX + "-")


def specs(derived: Derived, date: str, new_id: Callable[[], str], warcinfo_id: str) -> list[RecordSpec]:
    """The conversion and metadata records of ``derived``, dated ``date`` (a WARC-Date)."""
    conversion_id, metadata_id = checked_id(new_id()), checked_id(new_id())
    fields = {name: derived.fields.get(name) for name in FIELDS}
    if isinstance(fields["fingerprint"], (bytes, bytearray)):
        fields["fingerprint"] = base64.b64encode(fields["fingerprint"]).decode("ascii")
    if fields["authors"] is not None:
        fields["authors"] = list(fields["authors"])

    def headers(kind: str, record_id: str, content_type: str, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [
            ("WARC-Type", kind), ("WARC-Record-ID", record_id), ("WARC-Date", date),
            ("WARC-Target-URI", derived.url), ("WARC-Refers-To", derived.response_id), *extra,
            ("WARC-Warcinfo-ID", warcinfo_id), ("Content-Type", content_type),
        ]

    body = json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return [
        RecordSpec("conversion", derived.url, headers("conversion", conversion_id, TEXT_TYPE, []), derived.text.encode("utf-8")),
        RecordSpec("metadata", derived.url, headers("metadata", metadata_id, METADATA_TYPE,
                                                    [("WARC-Concurrent-To", conversion_id)]), body),
    ]


def fields_from(metadata_block: bytes) -> dict[str, Any]:
    """The fields a metadata record holds, as the indexer stores them (ValueError if not ours)."""
    fields = json.loads(metadata_block.decode("utf-8"))
    if not isinstance(fields, dict) or "extractor" not in fields:
        raise ValueError("not a derived-fields record")
    if isinstance(fields.get("fingerprint"), str):
        fields["fingerprint"] = base64.b64decode(fields["fingerprint"])
    return fields
