"""The archive's changes as an Atom feed (RFC 4287), as diffengine's users
follow edits: one entry per event (new, edited, removed, restored), newest
first. An edit's entry shows the word diff of its two versions and links to
it (the web UI's diff page) and to the replay of both versions; the others
link to the replay of the capture the event is about. ``mediarchive changes
--atom`` prints it; ``mediarchive ui`` serves it at ``/-/changes.atom``.

An entry's ID stays the same from one feed to the next (the event and the
WARC record it was seen in), so a reader shows each once. Written with
ElementTree, not feedgen: feedgen 1.0.0 (its last release) drops every
entry link's ``rel`` and ``title``, which is what tells a reader the article
from its replays and its diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from html import escape
from typing import Any
import uuid
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from archive.index.history import changes, versions_of
from archive.index.textdiff import word_diff

#: The newest entries a feed holds (a reader keeps what it has seen).
DEFAULT_LIMIT = 200
#: Where the web UI serves an edit's diff: ``?url=&from=&to=``.
DIFF_PATH = "-/diff"
FEED_PATH = "-/changes.atom"
ATOM = "http://www.w3.org/2005/Atom"


def events(index: Any, *, since: str | None = None, sources: tuple[str, ...] = (), limit: int = DEFAULT_LIMIT) -> list[dict]:
    """The newest ``limit`` events at or after ``since``, newest first, each
    with the page's current title and, for an edit, the versions it joins."""
    rows = changes(index, since=since, sources=sources, newest_first=True, limit=limit)
    for row in rows:
        row["versions"] = None
        if row["event"] == "edited":
            versions = versions_of(index, row["url"])
            at = next((n for n, v in enumerate(versions) if v["record_id"] == row["record_id"]), None)
            if at:  # the version this edit made, and the one before it
                row["versions"] = (versions[at - 1], versions[at])
        elif row["event"] in ("new", "restored"):
            captured = index.query("SELECT captured_at FROM captures WHERE record_id = ?", [row["record_id"]])
            row["captured_at"] = captured[0]["captured_at"] if captured else None
    return rows


def atom(
    rows: list[Mapping[str, Any]], *, feed_url: str, replay_base: str, ui_base: str | None = None,
    title: str = "mediarchive: new, edited, removed and restored articles",
) -> bytes:
    """The Atom feed of :func:`events`; ``replay_base`` is where
    ``mediarchive replay`` serves, ``ui_base`` where ``mediarchive ui`` does
    (an edit's diff link; none without it)."""
    from archive.serve.replay import replay_url

    feed = ET.Element("feed", xmlns=ATOM)
    _text(feed, "id", feed_url)
    _text(feed, "title", title)
    _text(feed, "updated", _time(rows[0]["at"] if rows else None))
    ET.SubElement(feed, "link", href=feed_url, rel="self")
    _text(feed, "generator", "mediarchive")
    for row in rows:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", entry_id(row))
        _text(entry, "title", f"{row['event']}: {row['title'] or row['url']}" + (f" ({row['source']})" if row["source"] else ""))
        _text(entry, "updated", _time(row["at"]))
        ET.SubElement(entry, "link", href=row["url"], rel="alternate", title="the article")
        parts = [f"<p>{escape(row['event'])} at {escape(row['at'])}" + (f": {escape(row['detail'])}" if row["detail"] else "") + "</p>"]
        if row["versions"]:
            old, new = row["versions"]
            for version in (old, new):
                replay = replay_url(row["url"], version["captured_at"], replay_base)
                ET.SubElement(entry, "link", href=replay, rel="related", title=f"version {version['version']}, replayed as captured")
                parts.append(f'<p><a href="{escape(replay)}">version {version["version"]}</a>, captured {escape(version["captured_at"])}</p>')
            if ui_base:
                diff = f"{ui_base}{DIFF_PATH}?" + urlencode({"url": row["url"], "from": old["version"], "to": new["version"]})
                ET.SubElement(entry, "link", href=diff, rel="related", title=f"the diff of versions {old['version']} and {new['version']}")
                parts.append(f'<p><a href="{escape(diff)}">the diff on its own page</a></p>')
            parts.append(diff_html(old, new))
        elif row.get("captured_at"):
            replay = replay_url(row["url"], row["captured_at"], replay_base)
            ET.SubElement(entry, "link", href=replay, rel="related", title="replayed as captured")
            parts.append(f'<p><a href="{escape(replay)}">replay</a></p>')
        _text(entry, "content", "".join(parts), type="html")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def diff_html(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """Two versions' word diff as HTML: removed words in ``<del>``, added ones in ``<ins>``."""
    parts = []
    for field in ("title", "author"):
        if old[field] != new[field]:
            parts.append(f"<p>{field}: <del>{escape(old[field] or '')}</del> <ins>{escape(new[field] or '')}</ins></p>")
    words = []
    for op, text in word_diff(old["text"], new["text"]).ops:
        text = escape(text)
        words.append(f"<del>{text}</del>" if op == "-" else f"<ins>{text}</ins>" if op == "+" else text)
    parts.append(f"<p>{' '.join(words)}</p>")
    return "".join(parts)


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> None:
    ET.SubElement(parent, tag, attributes).text = text


def _time(value: str | None) -> str:
    """An RFC 3339 time, as Atom wants it (the index's are UTC, ``...Z``)."""
    if value is None:
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).isoformat()


def entry_id(event: Mapping[str, Any]) -> str:
    """An event's Atom id: a URN (an IRI, as RFC 4287 asks; a WARC-Record-ID's
    angle brackets are not one), the same for the same event in every feed."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"mediarchive:{event['event']}:{event['record_id'] or event['url']}:{event['at']}").urn
