"""Asking a CDX server which captures it holds, and reading its answer.

Two dialects share one API (``url``, ``matchType``, ``from``, ``to``,
``output``): the Wayback Machine's (``/cdx/search/cdx``; JSON output is an
array of rows whose first row names the fields, and with
``showResumeKey=true`` it ends with an empty row and the key of the next
page) and pywb's (``/<collection>/cdx``; JSON output is one object a line).
Plain text output is read too: Wayback's space-separated fields, or CDXJ.

A line that cannot be read is reported and left out; it never stops the
rest of the answer from being used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from archive.mementos.memento import Archive, Memento, normal_digest, valid_timestamp

#: Captures asked for per page of a Wayback-style answer.
PAGE_SIZE = 5000
#: The Wayback Machine's default fields, in order (plain output and JSON rows).
WAYBACK_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
#: pywb's names for the same fields.
_ALIASES = {"url": "original", "mime": "mimetype", "status": "statuscode"}


def query_url(archive: Archive, domain: str, since: str | None, until: str | None, resume_key: str | None = None) -> str:
    """The CDX query for every capture of ``domain`` and its subdomains
    between ``since`` and ``until`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``)."""
    params = [("url", domain), ("matchType", "domain"), ("output", "json")]
    if since:
        params.append(("from", since.replace("-", "")))
    if until:
        params.append(("to", until.replace("-", "")))
    params += [("showResumeKey", "true"), ("limit", str(PAGE_SIZE))]
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{archive.url}?{urlencode(params)}"


@dataclass
class CdxAnswer:
    mementos: list[Memento] = field(default_factory=list)
    #: lines that could not be read, as received (cut to 200 characters)
    malformed: list[str] = field(default_factory=list)
    #: where the next page starts (Wayback's showResumeKey), if there is one
    resume_key: str | None = None


def parse_answer(body: bytes, archive: Archive) -> CdxAnswer:
    """The captures of a CDX answer in any of its output forms."""
    text = body.decode("utf-8", "replace").strip()
    answer = CdxAnswer()
    if not text:
        return answer
    if text.startswith("["):
        try:
            rows = json.loads(text)
        except ValueError:
            rows = None
        if isinstance(rows, list):
            _read_rows(rows, archive, answer)
            return answer
        _read_rows(_rows_line_by_line(text, answer), archive, answer)  # one bad row broke the array
        return answer
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            record = _json_object(line)
        elif line.startswith("["):
            record = None  # a JSON array per line is no dialect
        else:
            record = _plain_line(line)
        _add(record, line, archive, answer)
    return answer


def _rows_line_by_line(text: str, answer: CdxAnswer) -> list:
    """The rows of a JSON array answer that does not parse as a whole, one
    a line as CDX servers write them; a line that is no row is reported."""
    rows = []
    for line in text.splitlines():
        line = line.strip().removesuffix(",")
        if line.startswith("[["):
            line = line[1:]  # the answer's own bracket
        if line.endswith("]]"):
            line = line[:-1]
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except ValueError:
            answer.malformed.append(line[:200])
    return rows


def _read_rows(rows: list, archive: Archive, answer: CdxAnswer) -> None:
    names: tuple[str, ...] | None = None
    after_blank = False
    for row in rows:
        if not isinstance(row, list) or not all(isinstance(v, str) for v in row):
            answer.malformed.append(json.dumps(row)[:200])
            continue
        if not row:
            after_blank = True  # the resume key follows
            continue
        if after_blank and len(row) == 1:
            answer.resume_key = row[0]
            continue
        if names is None:
            names = tuple(_ALIASES.get(name, name) for name in row)
            if "original" not in names or "timestamp" not in names:
                answer.malformed.append(json.dumps(row)[:200])
                names = WAYBACK_FIELDS  # no header row: the default fields
                _add(_record(names, row), json.dumps(row), archive, answer)
            continue
        _add(_record(names, row), json.dumps(row), archive, answer)


def _record(names: tuple[str, ...], values: list[str]) -> dict[str, str] | None:
    if len(values) != len(names):
        return None
    return dict(zip(names, values))


def _json_object(line: str) -> dict[str, str] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return {_ALIASES.get(k, k): str(v) for k, v in value.items() if v is not None}


def _plain_line(line: str) -> dict[str, str] | None:
    """A Wayback plain line (space-separated fields) or a CDXJ line (``urlkey timestamp {json}``)."""
    head, sep, rest = line.partition(" {")
    if sep:
        parts = head.split(" ")
        record = _json_object("{" + rest)
        if record is None or len(parts) != 2:
            return None
        return {"urlkey": parts[0], "timestamp": parts[1], **record}
    return _record(WAYBACK_FIELDS, line.split())


def _add(record: dict[str, str] | None, line: str, archive: Archive, answer: CdxAnswer) -> None:
    memento = _memento(record, archive) if record else None
    if memento is None:
        answer.malformed.append(line[:200])
    else:
        answer.mementos.append(memento)


def _memento(record: dict[str, str], archive: Archive) -> Memento | None:
    original = (record.get("original") or "").strip()
    timestamp = valid_timestamp(record.get("timestamp", ""))
    if timestamp is None or len(record.get("timestamp", "")) != 14 or not original.lower().startswith(("http://", "https://")):
        return None
    if any(ch.isspace() for ch in original):
        return None
    status_text = (record.get("statuscode") or "").strip()
    if status_text and status_text != "-" and not status_text.isdigit():
        return None
    status = int(status_text) if status_text.isdigit() else None
    mime = (record.get("mimetype") or "").strip() or None
    return Memento(original, timestamp, archive, status, mime, normal_digest(record.get("digest")))
