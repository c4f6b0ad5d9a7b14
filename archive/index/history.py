"""An article's history: its versions and its life (new, edited, removed,
restored), derived from its captures in time order.

Rebuilt per URL from the ``captures`` rows (each extracted capture carries
the :func:`archive.index.textdiff.content_hash` of its extraction) and the texts
of the versions already known, so the outcome does not depend on the order
in which WARC files are indexed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from archive.index.schema import VERSION_COLUMNS
from archive.index.textdiff import word_diff

NEW, EDITED, REMOVED, RESTORED = "new", "edited", "removed", "restored"


def is_front_or_section(url: str, target: str) -> bool:
    """True when a redirect from ``url`` to ``target`` lands on the site's
    home or a section page (a takedown), not on a moved article."""
    source, dest = urlsplit(url), urlsplit(target)
    if (dest.hostname or "").removeprefix("www.") != (source.hostname or "").removeprefix("www."):
        return False
    path = dest.path.rstrip("/")
    if path in ("", "/index.html", "/index.htm", "/index.php"):
        return True  # the home page
    if path.count("/") == 1 and "." not in path:
        return True  # a top-level section: /news, /war21
    return source.path.startswith(dest.path) and dest.path != source.path  # a parent page


def rebuild(index: Any, url: str, fresh: Mapping[str, Mapping[str, Any]]) -> None:
    """Recompute ``page_versions`` and ``page_events`` of ``url``.

    ``fresh`` maps record IDs to extractions made in this indexing pass
    (title, author, text); older version texts come from ``page_versions``.
    """
    db = index.db
    captures = db.execute(
        "SELECT record_id, captured_at, record_type, status, redirect_to, content_hash, source"
        " FROM captures WHERE url = ? ORDER BY captured_at, record_id",
        [url],
    ).fetchall()
    page = db.execute("SELECT text FROM pages WHERE url = ?", [url]).fetchone()
    current_text = page[0] if page else None
    known = {
        row[0]: {"title": row[1], "author": row[2], "text": current_text if row[3] is None else row[3]}
        for row in db.execute("SELECT record_id, title, author, text FROM page_versions WHERE url = ?", [url])
    }
    versions: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    alive: bool | None = None  # None: never seen as an article
    source = None
    for record_id, at, record_type, status, redirect_to, digest, capture_source in captures:
        source = capture_source or source
        ok = status is not None and (200 <= status < 300 or status == 304)
        # an extracted capture: a response, or the page of a memento (a revisit of the archive's answer)
        if digest and status and 200 <= status < 300:
            fields = fresh.get(record_id) or known.get(record_id)
            if alive is False:
                events.append(_event(url, source, RESTORED, at, record_id, f"HTTP {status}"))
            if fields is not None and (not versions or versions[-1]["content_hash"] != digest):
                previous = versions[-1] if versions else None
                versions.append(_version(url, len(versions) + 1, record_id, at, digest, fields, previous))
                if previous is None:
                    events.append(_event(url, source, NEW, at, record_id, "version 1"))
                else:
                    events.append(_event(url, source, EDITED, at, record_id, f"version {len(versions)}"))
            alive = True
        elif alive is None:
            continue
        elif ok:
            if alive is False:
                events.append(_event(url, source, RESTORED, at, record_id, f"HTTP {status}"))
            alive = True
        elif alive and status in (404, 410):
            events.append(_event(url, source, REMOVED, at, record_id, f"HTTP {status}"))
            alive = False
        elif alive and status and 300 <= status < 400 and redirect_to and is_front_or_section(url, redirect_to):
            events.append(_event(url, source, REMOVED, at, record_id, f"HTTP {status} to {redirect_to}"))
            alive = False

    db.execute("DELETE FROM page_versions WHERE url = ?", [url])
    db.execute("DELETE FROM page_events WHERE url = ?", [url])
    if versions:
        if current_text is not None and versions[-1]["text"] == current_text:
            # stored once: the current version's text is the page's (see CURRENT_TEXT)
            versions[-1] = versions[-1] | {"text": None}
        index.insert_rows("page_versions", versions)
    if events:
        index.insert_rows("page_events", events)
    removed_at = events[-1]["at"] if alive is False and events else None
    db.execute("UPDATE pages SET versions = ?, removed_at = ? WHERE url = ?", [len(versions), removed_at, url])


def _version(url, number, record_id, at, digest, fields, previous) -> dict[str, Any]:
    row = {
        "url": url,
        "version": number,
        "record_id": record_id,
        "captured_at": at,
        "content_hash": digest,
        "title": fields.get("title"),
        "author": fields.get("author"),
        "text": fields.get("text"),
        "diff": None,
        "words_added": None,
        "words_removed": None,
    }
    if previous is not None:
        diff = word_diff(previous["text"], row["text"])
        row["diff"] = json.dumps(
            {
                "title": [previous["title"], row["title"]] if previous["title"] != row["title"] else None,
                "author": [previous["author"], row["author"]] if previous["author"] != row["author"] else None,
                "text": diff.to_list(),
            },
            ensure_ascii=False,
        )
        row["words_added"], row["words_removed"] = diff.added, diff.removed
    return row


def _event(url, source, event, at, record_id, detail) -> dict[str, Any]:
    return {"url": url, "source": source, "event": event, "at": at, "record_id": record_id, "detail": detail}


# -- reading ---------------------------------------------------------------


#: ``page_versions.text`` is NULL for the version whose text is the page's
#: current ``pages.text``: each text is stored once. This is its text.
CURRENT_TEXT = "COALESCE(v.text, (SELECT p.text FROM pages p WHERE p.url = v.url))"
#: Before a page's text changes (or its row goes), the version that shared
#: it gets its own copy.
KEEP_VERSION_TEXT = (
    "UPDATE page_versions SET text = (SELECT p.text FROM pages p WHERE p.url = page_versions.url)"
    " WHERE text IS NULL AND url IN ({urls})"
)


#: The web archive a version's or an event's capture was recovered from (None: our own capture).
VIA = "(SELECT c.via FROM captures c WHERE c.record_id = {alias}.record_id) AS via"


def versions_of(index: Any, url: str) -> list[dict[str, Any]]:
    columns = ", ".join(CURRENT_TEXT + " AS text" if c == "text" else f"v.{c}" for c in VERSION_COLUMNS)
    return index.query(f"SELECT {columns}, {VIA.format(alias='v')} FROM page_versions v WHERE v.url = ? ORDER BY v.version", [url])


def events_of(index: Any, url: str) -> list[dict[str, Any]]:
    return index.query(
        f"SELECT e.event, e.at, e.record_id, e.detail, {VIA.format(alias='e')} FROM page_events e WHERE e.url = ? ORDER BY e.at, e.id",
        [url],
    )


def changes(
    index: Any, *, since: str | None = None, sources: tuple[str, ...] = (), newest_first: bool = False, limit: int = -1,
) -> list[dict[str, Any]]:
    """Events (new, edited, removed, restored) at or after ``since``, by
    source then time (or, ``newest_first``, the newest ``limit`` of all),
    each with the page's current title."""
    where, params = [], []
    if since:
        where.append("e.at >= ?")
        params.append(since)
    if sources:
        where.append(f"e.source IN ({', '.join('?' for _ in sources)})")
        params.extend(sources)
    order = "e.at DESC, e.id DESC" if newest_first else "e.source, e.at, e.id"
    return index.query(
        "SELECT e.source, e.event, e.at, e.url, p.title, e.detail, e.record_id"
        " FROM page_events e LEFT JOIN pages p ON p.url = e.url"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order} LIMIT ?",
        [*params, limit],
    )
