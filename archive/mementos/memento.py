"""A memento: one capture of a URL held by another web archive, and the
page it holds as the outlet served it.

An archive is named by its CDX endpoint (``https://web.archive.org/cdx/search/cdx``,
pywb's ``http://host/<collection>/cdx``) or its TimeMap prefix
(``http://host/<collection>/timemap/link/``); either gives the replay prefix
under which a memento's raw form is ``<prefix><14-digit time>id_/<URL>``:
the bytes the archive holds, not rewritten for a browser.

The archive answers with headers of its own (``Memento-Datetime``,
``Link``; the Wayback Machine's ``Server-Timing``, ``X-Archive-Src`` and
the outlet's own headers renamed ``X-Archive-Orig-*``). The exchange is
archived as it happened; the page as replayed gets the outlet's headers
only (:func:`outlet_headers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from archive.errors import UsageError
from archive.warc.records import payload_digest

#: The Wayback Machine's CDX API: the default archive of ``recover``.
WAYBACK_CDX = "https://web.archive.org/cdx/search/cdx"
TIMESTAMP_RE = re.compile(r"\d{14}")
#: The archive's own headers in a raw (``id_``) memento, dropped from the
#: page as replayed (pywb drops the same when it records from an archive).
ARCHIVE_HEADERS = frozenset({"memento-datetime", "link", "content-location", "server-timing", "x-app-server", "x-ts", "x-tr", "x-location", "x-cache-key", "x-page-cache", "x-rl", "x-na", "x-nid", "x-nodes"})
ARCHIVE_HEADER_PREFIX = "x-archive-"
ORIGINAL_PREFIX = "x-archive-orig-"
#: Headers that describe the body as served, kept even from an archive
#: that renames the outlet's other headers.
BODY_HEADERS = frozenset({"content-type", "content-encoding"})
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


@dataclass(frozen=True)
class Archive:
    """A web archive to ask: how to list its captures and where its raw mementos are."""

    #: the CDX endpoint, or the TimeMap prefix (a memento URL is appended)
    url: str
    kind: str  # "cdx" or "timemap"
    #: mementos are ``<replay><time>id_/<original URL>``
    replay: str

    @property
    def name(self) -> str:
        """How copies from it are marked (``via``): its replay prefix."""
        return self.replay

    def raw_url(self, timestamp: str, original: str) -> str:
        return f"{self.replay}{timestamp}id_/{original}"


def archive_from_url(url: str) -> Archive:
    """The archive a ``--archive`` URL names: a CDX endpoint (a path ending
    in ``/cdx``, the Wayback Machine's ``/cdx/search/cdx``) or a TimeMap
    prefix (a path ending in ``/timemap/link/``)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--archive: {url!r} is not an http(s) URL of a CDX server or a TimeMap")
    path = parts.path
    if path.endswith("/cdx/search/cdx"):
        replay = path[: -len("cdx/search/cdx")] + "web/"
        return Archive(urlunsplit((parts.scheme, parts.netloc, path, "", "")), "cdx", _join(parts, replay))
    if path.endswith("/cdx"):
        return Archive(urlunsplit((parts.scheme, parts.netloc, path, "", "")), "cdx", _join(parts, path[: -len("cdx")]))
    match = re.search(r"/timemap/(link/)?$", path)
    if match:
        prefix = path if path.endswith("/link/") else path + "link/"
        return Archive(urlunsplit((parts.scheme, parts.netloc, prefix, "", "")), "timemap", _join(parts, path[: match.start() + 1]))
    raise UsageError(
        f"--archive: {url!r} is neither a CDX endpoint (…/cdx, …/cdx/search/cdx) nor a TimeMap prefix (…/timemap/link/)"
    )


def _join(parts, path: str) -> str:
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True)
class Memento:
    """One capture another archive holds."""

    original: str  # the URL the archive captured, as it names it
    timestamp: str  # 14 digits, UTC
    archive: Archive
    status: int | None = None  # as its index says; None when it does not say
    mime: str | None = None
    digest: str | None = None  # "sha1:BASE32" (normalised), when its index gives one
    #: the memento's own URL where a TimeMap gives it (else made from the replay prefix)
    uri: str | None = None

    @property
    def raw_url(self) -> str:
        """Its raw form: ``id_`` after the time in the memento's URL (the
        Wayback Machine's and pywb's form); a URL without one, as it is."""
        if self.uri is None:
            return self.archive.raw_url(self.timestamp, self.original)
        match = re.search(r"/(\d{14})(?:[a-z]{2}_)?/", self.uri)
        if match is None:
            return self.uri
        return f"{self.uri[:match.start()]}/{match.group(1)}id_/{self.uri[match.end():]}"

    @property
    def captured_at(self) -> str:
        """The archive's capture time, as the index writes times."""
        return warc_date(self.timestamp)


def warc_date(timestamp: str) -> str:
    """``YYYYMMDDhhmmss`` as ``YYYY-MM-DDThh:mm:ssZ``."""
    t = timestamp
    return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


def valid_timestamp(value: str) -> str | None:
    """A 14-digit timestamp (shorter ones padded as CDX servers read them), if it is a real moment."""
    value = (value or "").strip()
    if not value.isdigit() or not 4 <= len(value) <= 14:
        return None
    padded = value + "0101000000"[len(value) - 4:] if len(value) < 14 else value
    try:
        datetime.strptime(padded, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return padded


def normal_digest(value: str | None) -> str | None:
    """A CDX digest as ``sha1:BASE32``: bare base 32 is SHA-1 (the Wayback
    Machine's form); a digest of another algorithm is kept with its name."""
    value = (value or "").strip()
    if not value or value == "-":
        return None
    algorithm, sep, digest = value.partition(":")
    if not sep:
        algorithm, digest = "sha1", value
    return f"{algorithm.lower()}:{digest.upper() if algorithm.lower() == 'sha1' else digest}"


def digest_check(expected: str | None, body: bytes) -> str:
    """``match`` or ``mismatch`` of the body against the archive's digest;
    ``unknown`` when it gave none (a TimeMap) or one of another algorithm."""
    if not expected or not expected.startswith("sha1:"):
        return "unknown"
    return "match" if payload_digest(body) == expected else "mismatch"


def outlet_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The outlet's headers of a raw memento, in their order: the archive's
    own dropped. Where the archive renamed the outlet's (``X-Archive-Orig-``,
    the Wayback Machine), those are restored, and only ``Content-Type`` and
    ``Content-Encoding`` are kept of its unprefixed ones: they describe the
    body as it was served (a restored ``Content-Encoding`` may describe bytes
    the archive has since decoded, and framing is the WARC writer's)."""
    renamed = any(name.lower().startswith(ORIGINAL_PREFIX) for name, _ in headers)
    served = {name.lower() for name, _ in headers}
    kept = []
    for name, value in headers:
        lower = name.lower()
        if lower.startswith(ORIGINAL_PREFIX):
            restored = lower[len(ORIGINAL_PREFIX):]
            if restored in BODY_HEADERS and (restored in served or restored == "content-encoding"):
                continue
            if restored not in FRAMING_HEADERS:
                kept.append((name[len(ORIGINAL_PREFIX):], value))
        elif renamed and lower not in BODY_HEADERS:
            continue  # the archive's: the outlet's came renamed
        elif lower in ARCHIVE_HEADERS or lower.startswith(ARCHIVE_HEADER_PREFIX):
            continue
        else:
            kept.append((name, value))
    return kept


def now_timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
