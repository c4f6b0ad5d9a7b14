"""Which of an archive's captures ``recover`` fetches.

An article capture (its URL, in the source's canonical form, matches the
source's patterns), with status 200 where the archive's index gives one,
inside the years asked for, one per distinct digest of each URL, and not
already held: the archive has a capture of that URL with that payload
digest, our own or one recovered earlier (for a TimeMap's memento, which
has no digest: a copy from that archive at that time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from archive.mementos.memento import Memento


@dataclass
class Selection:
    """What was asked of the archives and why each left-out capture was."""

    #: canonical URL -> the digests held or chosen already
    digests: dict[str, set[str]] = field(default_factory=dict)
    #: per reason: how many captures were left out for it
    left_out: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.left_out[reason] = self.left_out.get(reason, 0) + 1


def choose(
    mementos: Iterable[Memento],
    selection: Selection,
    *,
    canonical: Callable[[str], str],
    is_article: Callable[[str], bool],
    is_held: Callable[[str, Memento], bool],
    since: str | None = None,
    until: str | None = None,
) -> Iterator[tuple[str, Memento]]:
    """The (canonical URL, memento) pairs to fetch, in the archive's order.

    ``since`` and ``until`` are 14-digit bounds, inclusive; ``is_held(url,
    memento)`` says whether the archive holds it already: that payload of
    that URL, or (a TimeMap's, with no digest) a copy from that archive at that time."""
    for memento in mementos:
        url = canonical(memento.original)
        if not is_article(url):
            selection.skip("not an article URL")
            continue
        if memento.status is not None and memento.status != 200:
            selection.skip(f"status {memento.status}")
            continue
        if (since and memento.timestamp < since) or (until and memento.timestamp > until):
            selection.skip("outside the dates asked for")
            continue
        digests = selection.digests.setdefault(url, set())
        key = memento.digest or f"at:{memento.timestamp}"  # a TimeMap gives no digest
        if key in digests:
            selection.skip("a digest already chosen")
            continue
        digests.add(key)
        if is_held(url, memento):
            selection.skip("held already")
            continue
        yield url, memento


def bound(date: str | None, end: bool) -> str | None:
    """A ``YYYY[-MM[-DD]]`` date as a 14-digit bound: its first moment, or with ``end`` its last."""
    if not date:
        return None
    digits = date.replace("-", "")
    filler = "1231235959" if end else "0101000000"
    if end and len(digits) == 6:
        import calendar

        last = calendar.monthrange(int(digits[:4]), int(digits[4:6]))[1]
        return f"{digits}{last:02d}235959"
    return (digits + filler[len(digits) - 4:])[:14]
