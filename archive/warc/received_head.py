"""A response head as it came off the socket, stored with only the changes
the stored body requires (see :func:`received_response_head`). Never
imports Scrapy or Twisted: the lines come from ``crawler/rawhead.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_RECEIVED_STATUS_RE = re.compile(rb"(HTTP/1\.[01]) +(\d{3})(?:[ \t].*)?\r?")
_CONTINUATION = (ord(" "), ord("\t"))


def received_status(lines: Sequence[bytes]) -> tuple[str, int] | None:
    """(HTTP version, status) of a received head's status line, or None if it has none."""
    match = _RECEIVED_STATUS_RE.fullmatch(lines[0]) if lines else None
    return (match[1].decode("ascii"), int(match[2])) if match else None


def received_response_head(lines: Sequence[bytes], body_length: int) -> bytes:
    """A response head stored as received, changed only where the stored body requires.

    ``lines`` are the status line, the header lines (continuation lines,
    repeats and lines a parser would skip included) and the blank line that
    ends the head, each as received without its ``\\n``. Kept byte for byte:
    the reason phrase, names' case, order, repeats, line endings, and
    ``Connection``/``Keep-Alive`` (they describe the connection the exchange
    came over, which a reader of the record ignores). Changed, because the
    stored body is de-chunked: ``Transfer-Encoding`` lines are dropped, the
    first ``Content-Length`` line says the stored body's length (kept as is
    when it already does; any further one is dropped) and, when there was
    none, ``Content-Length`` is added last.
    """
    if not lines or lines[-1] not in (b"", b"\r"):
        raise ValueError("received HTTP head does not end in a blank line")
    eol = b"\r\n" if lines[0].endswith(b"\r") else b"\n"
    kept: list[bytes] = [lines[0]]
    length_seen = False
    dropping = False  # inside a dropped header's continuation lines
    for line in lines[1:-1]:
        if line and line[0] in _CONTINUATION:
            if not dropping:
                kept.append(line)
            continue
        name, colon, value = line.partition(b":")
        field = name.strip().lower()
        dropping = False
        if colon and field == b"transfer-encoding":
            dropping = True
        elif colon and field == b"content-length":
            dropping = True
            if not length_seen:
                length_seen = True
                stated = value.strip(b" \t\r")
                ending = b"\r" if line.endswith(b"\r") else b""
                kept.append(line if stated == str(body_length).encode() else name + b": " + str(body_length).encode() + ending)
        else:
            kept.append(line)
    if not length_seen:
        kept.append(b"Content-Length: " + str(body_length).encode() + eol.removesuffix(b"\n"))
    kept.append(lines[-1])
    return b"\n".join(kept) + b"\n"
