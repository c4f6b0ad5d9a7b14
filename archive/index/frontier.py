"""What a source's crawl has discovered and not yet finished, kept on disk so
that the next run takes it up however this one ends (SIGKILL included).

Without it a run that stops early loses what it had found: the next run asks
for the feeds, sitemaps and listing pages conditionally, gets ``304 Not
Modified`` for those the stopped run had already captured, and never reads
their links again; a listing that now holds nothing new ends the pagination
before the pages the stopped run had reached.

The journal is ``DATA/frontier/<source>.tsv``, appended as the crawl goes:
``+ ROLE URL`` when a URL is scheduled, ``- URL`` once its response has been
read (its links scheduled in turn) or it failed for good. Each line is one
``write()`` to a file opened ``O_APPEND``, so a killed process leaves at most
a torn last line, which the next reader ignores. A run that ends keeps what
is still pending (a limit such as ``max_pages`` stopped it) or, when it ran
to its end, removes the journal.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

SUFFIX = ".tsv"


class Frontier:
    """The pending URLs of one source, in the order they were found."""

    def __init__(self, path: Path):
        self.path = Path(path)
        #: url -> role, of what earlier runs found and did not finish.
        self.pending: dict[str, str] = _read(self.path)
        #: what was pending when this run started
        self.resumed: frozenset[str] = frozenset(self.pending)
        self.failed: OSError | None = None
        self._fd: int | None = None

    def add(self, url: str, role: str) -> None:
        if url in self.pending:
            return
        self.pending[url] = role
        self._write(f"+\t{role}\t{url}\n")

    def finish(self, url: str) -> None:
        if self.pending.pop(url, None) is not None:
            self._write(f"-\t{url}\n")

    def close(self, completed: bool) -> None:
        """End of the run: forget the journal when the run ran to its end,
        else keep only what is still pending."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if completed or not self.pending:
            self.path.unlink(missing_ok=True)
            return
        partial = self.path.with_name(self.path.name + ".tmp")
        try:
            partial.write_text("".join(f"+\t{role}\t{url}\n" for url, role in self.pending.items()), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError:  # the journal as appended is kept
            partial.unlink(missing_ok=True)

    def _write(self, line: str) -> None:
        if self.failed is not None:
            return
        try:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            os.write(self._fd, line.encode("utf-8"))
        except OSError as exc:  # a full disk: the crawl stops for it; what is written stays readable
            self.failed = exc
            logger.warning("%s: cannot be written (%s); the next run resumes from what it holds", self.path, exc.strerror)


def _read(path: Path) -> dict[str, str]:
    pending: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return pending
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            break  # torn by a kill mid-write
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "+" and len(fields) == 3:
            pending.setdefault(fields[2], fields[1])
        elif fields[0] == "-" and len(fields) == 2:
            pending.pop(fields[1], None)
        else:
            logger.warning("%s: unreadable line ignored: %r", path, line[:200])
    return pending
