"""Reading a Memento TimeMap (RFC 7089, ``application/link-format``): the
mementos an archive holds of one URL, each with its ``datetime``.

A TimeMap gives neither status nor digest: a memento from one is kept
or left out by what its fetch brings back.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass, field
from datetime import timezone

from archive.mementos.memento import Archive, Memento, TIMESTAMP_RE

#: ``<URI>; attr="value"; attr=value`` entries, separated by commas.
_ENTRY_RE = re.compile(r'<([^>]*)>((?:\s*;\s*[a-zA-Z-]+\s*=\s*(?:"[^"]*"|[^;,\s]*))*)\s*(?:,|$)')
_ATTR_RE = re.compile(r';\s*([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))')


@dataclass
class TimeMap:
    mementos: list[Memento] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)


def timemap_url(archive: Archive, original: str) -> str:
    return archive.url + original


def parse_timemap(body: bytes, archive: Archive, original: str) -> TimeMap:
    """The mementos a TimeMap lists (rel ``memento``, ``first memento`` …)."""
    text = body.decode("utf-8", "replace")
    found = TimeMap()
    position = 0
    text = text.strip()
    while position < len(text):
        match = _ENTRY_RE.match(text, position)
        if match is None:
            rest = text[position:].split(",", 1)
            found.malformed.append(rest[0].strip()[:200])
            position += len(rest[0]) + 1
            continue
        position = match.end()
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        uri, attributes = match.group(1), dict(
            (name.lower(), quoted if quoted is not None and quoted != "" else bare)
            for name, quoted, bare in _ATTR_RE.findall(match.group(2))
        )
        if "memento" not in (attributes.get("rel") or "").split():
            continue
        timestamp = _timestamp(attributes.get("datetime"), uri)
        if timestamp is None:
            found.malformed.append(match.group(0).strip()[:200])
            continue
        found.mementos.append(Memento(original, timestamp, archive, uri=uri))
    return found


def _timestamp(datetime_value: str | None, uri: str) -> str | None:
    """The memento's time: its ``datetime`` (an HTTP date), else the 14 digits of its URI."""
    if datetime_value:
        try:
            moment = email.utils.parsedate_to_datetime(datetime_value)
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
    match = TIMESTAMP_RE.search(uri)
    return match.group(0) if match else None
