"""What the archive already holds of a source, as ``recover`` asks it:
a payload of a URL (our own capture, or a copy recovered earlier, known by
the digest its archive gave), or a copy from one archive at one time."""

from __future__ import annotations

from typing import Any

from archive.mementos.memento import Memento


class HeldCopies:
    """Answers ``is_held(url, memento)`` from one reading of the index."""

    def __init__(self, index: Any, source: str):
        self.digests: set[tuple[str, str]] = set()
        self.copies: set[tuple[str, str, str]] = set()
        for url, digest, archive_digest, via, at in index.db.execute(
            "SELECT url, payload_digest, archive_digest, via, captured_at FROM captures"
            " WHERE source = ? AND status = 200 AND (record_type != 'revisit' OR via IS NOT NULL)",
            [source],
        ):
            for value in (digest, archive_digest):
                if value:
                    self.digests.add((url, value))
            if via:
                self.copies.add((url, via, at))

    def __call__(self, url: str, memento: Memento) -> bool:
        if memento.digest and (url, memento.digest) in self.digests:
            return True
        return (url, memento.archive.name, memento.captured_at) in self.copies


def known_urls(index: Any, source: str) -> list[str]:
    """The source's article URLs the archive knows, to ask TimeMap archives about."""
    return [row[0] for row in index.db.execute("SELECT url FROM pages WHERE source = ? ORDER BY url", [source])]
