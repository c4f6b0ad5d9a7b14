"""Rules that say when they stop matching.

A site that changes its templates breaks per-site rules silently: the
selectors select nothing, the extraction falls back to trafilatura, and
nobody notices until a researcher finds the dates wrong. So each run keeps,
per source, how many of the articles it extracted each site rule (title,
body, date, author) matched, how many passed the byline filter, and how
many articles the feeds and the listing pages listed. Those figures go into
the run's report (``DATA/runs/*.json``) beside the source's other counts,
and are compared with the source's last run that had them: a rate that
falls below half of what it was is a warning, in the report and in the
run's summary, for example::

    svpressa: rule 'title' matched 0 of 48 articles (48 of 50 last run): the site's layout may have changed

It is a warning, not a failure: the exit code is unchanged (cron mails the
line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: A rate is compared only over at least this many pages in both runs (two articles say little).
MIN_PAGES = 5
#: A rate below this share of the last run's is a warning.
DROP = 0.5
#: What the discovery counts of a source's report are called in a warning.
LISTED = {"feed_articles": "the feeds", "listing_articles": "the listing pages"}

#: Per source, per rule: [pages it matched, pages it was tried on].
Health = dict[str, dict[str, list[int]]]


def count(health: Health, source: str, matches: Mapping[str, bool]) -> None:
    """Add one page's ``{rule: matched}`` to ``health``."""
    rules = health.setdefault(source, {})
    for rule, matched in matches.items():
        counts = rules.setdefault(rule, [0, 0])
        counts[0] += bool(matched)
        counts[1] += 1


def merge(into: Health, other: Health) -> None:
    for source, rules in other.items():
        for rule, (matched, tried) in rules.items():
            counts = into.setdefault(source, {}).setdefault(rule, [0, 0])
            counts[0] += matched
            counts[1] += tried


def previous_entry(reports: Iterable[Mapping[str, Any]], source: str) -> Mapping[str, Any] | None:
    """The source's entry in the newest earlier run report that holds its rule figures."""
    for report in reports:  # newest first
        for entry in report.get("sources", []):
            if entry.get("name") == source and "rules" in entry:
                return entry
    return None


def warnings(source: str, current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """What fell below half of its last run's rate: each rule's share of
    the articles it matched, and the articles the feeds and listings listed."""
    if not previous:
        return []
    found = []
    before = previous.get("rules") or {}
    for rule, (matched, tried) in sorted((current.get("rules") or {}).items()):
        was_matched, was_tried = before.get(rule, (0, 0))
        if tried < MIN_PAGES or was_tried < MIN_PAGES or not was_matched:
            continue
        if matched / tried < DROP * was_matched / was_tried:
            found.append(
                f"{source}: rule '{rule}' matched {matched} of {tried} articles ({was_matched} of {was_tried} last run):"
                " the site's layout may have changed"
            )
    for key, what in LISTED.items():
        now, then = current.get(key) or 0, previous.get(key) or 0
        if then >= MIN_PAGES and now < DROP * then:
            found.append(f"{source}: {what} listed {now} articles ({then} last run): the site's layout may have changed")
    return found
