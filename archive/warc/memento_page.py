"""The page a memento holds, as its outlet served it: the record written
after the exchange with another web archive (``recover``).

The exchange itself (request and response at the memento's URL, the
archive's headers and all) is archived as it happened. The page follows as
an ``identical-payload-digest`` revisit of that response, at the original
URL and the archive's capture time, with the outlet's headers only: replay
tools serve it at the address the outlet had, and nothing of the archive's
answer is mistaken for the outlet's. ``WARC-Source-URI`` names the memento
and ``WARC-Creation-Date`` when we fetched it, as pywb writes a record it
takes from another archive; the metadata record beside says the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from archive.warc.records import (
    IDENTICAL_PAYLOAD_DIGEST, InvalidExchangeError, RecordSpec, format_warc_date, payload_digest, response_head, target_uri,
)


@dataclass(frozen=True)
class PageOfMemento:
    uri: str  # the original URL, as the archive names it
    date: str  # the archive's capture time, a WARC date
    http_head: bytes  # status line and the outlet's headers, framing as for any response
    payload_digest: str  # of the body received

    def spec(self, record_id: str, response_id: str, exchange_uri: str, exchange_date: str, warcinfo_id: str) -> RecordSpec:
        """The revisit record of the response ``response_id`` (the exchange at ``exchange_uri``)."""
        headers = [
            ("WARC-Type", "revisit"),
            ("WARC-Record-ID", record_id),
            ("WARC-Date", self.date),
            ("WARC-Target-URI", self.uri),
            ("WARC-Profile", IDENTICAL_PAYLOAD_DIGEST),
            ("WARC-Refers-To", response_id),
            ("WARC-Refers-To-Target-URI", exchange_uri),
            ("WARC-Refers-To-Date", exchange_date),
            ("WARC-Payload-Digest", self.payload_digest),
            ("WARC-Source-URI", exchange_uri),
            ("WARC-Creation-Date", exchange_date),
            ("WARC-Warcinfo-ID", warcinfo_id),
        ]
        return RecordSpec("revisit", self.uri, headers, b"", self.http_head)


def page_of_memento(
    memento_of: tuple[str, datetime, Sequence[tuple[str, str]]], status: int, reason: str, http_version: str, body: bytes,
) -> PageOfMemento:
    """The page of a memento answered with ``status`` and ``body``, from
    (original URL, the archive's capture time, the outlet's headers)."""
    original, captured, headers = memento_of
    try:
        date = format_warc_date(captured)
    except ValueError as exc:
        raise InvalidExchangeError(str(exc)) from exc
    return PageOfMemento(
        uri=target_uri(original),
        date=date,
        http_head=response_head(status, reason, http_version, headers, len(body)),
        payload_digest=payload_digest(body),
    )
