"""The job an extraction worker runs on one archived page: the article as a
dict ready for the index, or the reason there is none.

It runs in the indexer's worker processes (never in the crawler's reactor):
everything it takes and returns is picklable, and it does the costly parts
there, the content hash and the words' search forms included.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from datetime import datetime

from archive.index.textdiff import content_hash
from archive.search import fulltext
from archive.sources import ExtractionOptions


def extract_job(
    body: bytes,
    url: str,
    content_type: str | None,
    content_language: str | None,
    options: ExtractionOptions | None = None,
    captured_at: str | None = None,
) -> dict | str:
    """Worker side: the extraction as a dict, or the reason there is none.

    The source's knowledge applies here: inline comments taken out of the
    page (kept apart), the extraction refined by the source's selectors when
    trafilatura's result fails the source's check, its byline filter (a page
    by someone else is not the source's article), and a fingerprint of the
    text for sources whose works are reprinted on several sites.

    The body is decoded and parsed once: the comments are taken out of that
    tree, trafilatura extracts from it (from a copy: it cleans what it is
    given) and the source's selectors read it."""
    # imported here, not above: the process that hands out the jobs (and
    # holds JobFailed) never loads trafilatura; a worker has it preloaded
    from archive.extract.article import NotExtractable, extract_page, parse_page
    from archive.extract.comments import take_comments
    from archive.extract.siterules import refine, rule_matches

    options = options or ExtractionOptions()
    try:
        page = parse_page(body, content_type)
        comments: list = []
        if options.comments == "typepad":
            comments = take_comments(page.tree)
            if comments:
                page.pruned()
        extraction = extract_page(page, url, content_language)
        path = "trafilatura"
        if options.rules is not None or options.language:
            reference = datetime.fromisoformat(captured_at.replace("Z", "+00:00")) if captured_at else None
            extraction, path = refine(
                extraction, page.tree, url, options.rules, options.language, content_type,
                content_language=content_language, reference=reference,
            )
    except NotExtractable as exc:
        return str(exc) or "not extractable"
    result = extraction.to_dict()
    if options.byline and not re.search(options.byline, result.get("author") or "", re.IGNORECASE):
        return f"not by {options.byline} (author: {result.get('author') or 'none found'})"
    result["extraction_path"] = path
    # which of the source's rules still select something (archive.index.drift)
    result["rule_matches"] = rule_matches(options.rules, page.tree) if options.rules is not None else {}
    if options.byline:
        result["rule_matches"]["byline"] = True
    result["comment_count"] = len(comments) if options.comments else None
    result["comments_text"] = "\n\n".join(f"{c.author} ({c.posted}): {c.text}" for c in comments) or None
    result["fingerprint"] = None
    # computed here, in the worker: its regular expressions cost as much as the index insert
    result["content_hash"] = content_hash(result.get("title"), result.get("author"), result.get("text"))
    # and the words' search forms: the lemmatiser is the costliest part of indexing for search
    result["search_texts"], result["search_words"] = fulltext.search_forms(result)
    if options.reprints and result.get("text"):
        from archive.extract.reprints import fingerprint

        try:
            result["fingerprint"] = fingerprint(result["text"])
        except ValueError:
            pass  # a text without words has no fingerprint
    return result


#: What a worker extracts once when warmed up: loads trafilatura, its date
#: search and py3langid's model, as the first real page would.
WARM_UP_PAGE = (
    b"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Warm-up</title>"
    b"<meta property='article:published_time' content='2025-01-02T03:04:05+00:00'></head><body><article>"
    b"<h1>Warm-up</h1><p>" + b"The extraction worker loads its libraries and models on this page. " * 12
    + b"</p></article></body></html>"
)


def warm_up_job() -> bool:
    return isinstance(extract_job(WARM_UP_PAGE, "http://localhost/warm-up", "text/html; charset=utf-8", None), dict)


@dataclass(frozen=True)
class JobFailed:
    """A page whose extraction failed: an exception, its time limit, or its
    worker's death. The page stays a capture, marked with the reason."""

    reason: str


class _PageTimeout(BaseException):
    """Raised by the interval timer; a BaseException, so that no library's
    ``except Exception`` swallows it."""


def _expired(signum: int, frame: object) -> None:
    raise _PageTimeout


def run_job(timeout: float, *args: object, use_timer: bool = True) -> dict | str | JobFailed:
    """:func:`extract_job` within ``timeout`` seconds (an interval timer:
    worker processes only), any exception turned into a :class:`JobFailed`."""
    if use_timer:
        signal.signal(signal.SIGALRM, _expired)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return extract_job(*args)
    except _PageTimeout:
        return JobFailed(f"timeout after {timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - any failure of one page is that page's
        message = " ".join(str(exc).split())[:300]
        return JobFailed(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
    finally:
        if use_timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
