"""The fundus labelled article pages, and how an extraction is scored on them.

Data: ``../shared/realdata/extraction/fundus/test_data/<cc>/`` (its README
says the layout): 258 pages of 181 publishers in 25 languages, each with
the title, authors, publication date and body fundus's own parsers extract.

Scoring, field by field (the throughput-free half of issue 14's bench):

* **title**: equal after NFKC, case folding, and collapsing every run of
  non-word characters to one space;
* **authors**: every expected author's name, normalised the same way,
  appears in ours (our display string and our list of authors); pages
  without expected authors are not scored;
* **date**: the same calendar day as the expected date, in the page's own
  offset (the expected value's, ``2019-01-01 00:11:59+01:00`` is the 1st);
* **body**: bags of words (``\\w+`` after NFKC and case folding) of ours
  and of fundus's text, every string of its body (summary, section
  headlines, paragraphs) joined: precision and recall per page, each
  averaged over the pages, F1 from the two averages.

Pages are grouped by the script and language of their expected text: en,
de, other Latin, Cyrillic, CJK, and other scripts (Arabic, Devanagari...).
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
FUNDUS_DIR: Final = PROJECT_ROOT / ".." / "shared" / "realdata" / "extraction" / "fundus" / "test_data"
FIELDS: Final = ("title", "authors", "date", "body")
GROUPS: Final = ("en", "de", "other Latin", "Cyrillic", "CJK", "other scripts")

_NON_WORD_RE: Final = re.compile(r"[\W_]+")
_WORD_RE: Final = re.compile(r"\w+")


@dataclass(frozen=True)
class FundusPage:
    """One labelled page: where it is, and what fundus says it holds."""

    id: str  # "<cc>/<file name without .html.gz>"
    url: str
    path: Path
    title: str | None
    authors: tuple[str, ...]
    date: str | None  # YYYY-MM-DD, in the page's own offset
    body: str
    group: str

    def html(self) -> bytes:
        return gzip.decompress(self.path.read_bytes())


@dataclass(frozen=True)
class Prediction:
    """What one extractor says of a page."""

    title: str | None
    authors: tuple[str, ...]  # every credited author, or the display string alone
    published: str | None  # ISO 8601
    text: str


def normalise(text: str | None) -> str:
    """NFKC, case folded, each run of non-word characters one space."""
    return _NON_WORD_RE.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def words(text: str | None) -> Counter[str]:
    return Counter(_WORD_RE.findall(unicodedata.normalize("NFKC", text or "").casefold()))


def body_text(body: dict) -> str:
    """fundus's plain text: the summary, then each section's headlines and paragraphs."""
    parts = list(body.get("summary") or ())
    for section in body.get("sections") or ():
        parts += list(section.get("headline") or ()) + list(section.get("paragraphs") or ())
    return "\n\n".join(parts)


def group_of(text: str) -> str:
    """The language group of a text, by the script of most of its letters, and
    for Latin script, its language (py3langid)."""
    scripts: Counter[str] = Counter()
    for ch in text[:5000]:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL")):
                scripts["CJK"] += 1
            elif name.startswith("CYRILLIC"):
                scripts["Cyrillic"] += 1
            elif name.startswith("LATIN"):
                scripts["Latin"] += 1
            else:
                scripts["other scripts"] += 1
    script = scripts.most_common(1)[0][0] if scripts else "other scripts"
    if script != "Latin":
        return script
    import py3langid

    language, _ = py3langid.classify(text[:5000])
    return language if language in ("en", "de") else "other Latin"


def load(directory: Path = FUNDUS_DIR) -> list[FundusPage]:
    """Every page of the set, sorted by id; versions paired with files in order (the README's rule)."""
    if not directory.is_dir():
        raise FileNotFoundError(f"fundus data not found: {directory.resolve()}")
    pages: list[FundusPage] = []
    for country in sorted(p for p in directory.iterdir() if p.is_dir()):
        meta = json.loads((country / "meta.info").read_text(encoding="utf-8"))
        for expected_file in sorted(country.glob("*.json")):
            publisher = expected_file.stem
            versions = json.loads(expected_file.read_text(encoding="utf-8"))
            files = sorted(country.glob(f"{publisher}_*.html.gz"))
            files = [f for f in files if re.fullmatch(rf"{re.escape(publisher)}_\d{{4}}_\d{{2}}_\d{{2}}\.html\.gz", f.name)]
            for key, path in zip(sorted(versions), files):
                expected = versions[key]
                text = body_text(expected.get("body") or {})
                date = expected.get("publishing_date")
                pages.append(FundusPage(
                    id=f"{country.name}/{path.name.removesuffix('.html.gz')}",
                    url=(meta.get(path.name) or {}).get("url") or f"https://{publisher.lower()}.example/",
                    path=path,
                    title=expected.get("title"),
                    authors=tuple(expected.get("authors") or ()),
                    date=date[:10] if date else None,
                    body=text,
                    group=group_of(text or expected.get("title") or ""),
                ))
    return sorted(pages, key=lambda page: page.id)


@dataclass(frozen=True)
class PageScore:
    """One page's score per field: 1/0 for title, authors and date (None: not
    scored), and body precision and recall."""

    title: float | None
    authors: float | None
    date: float | None
    body_precision: float
    body_recall: float


def score(page: FundusPage, prediction: Prediction) -> PageScore:
    title = None if page.title is None else float(normalise(page.title) == normalise(prediction.title))
    authors = None
    if page.authors:
        ours = " | ".join(normalise(name) for name in (*prediction.authors,))
        authors = float(all(normalise(name) in ours for name in page.authors))
    date = None if page.date is None else float((prediction.published or "")[:10] == page.date)
    truth, ours_words = words(page.body), words(prediction.text)
    common = sum((truth & ours_words).values())
    precision = common / sum(ours_words.values()) if ours_words else 0.0
    recall = common / sum(truth.values()) if truth else 1.0
    return PageScore(title, authors, date, precision, recall)


def aggregate(scores: Sequence[PageScore]) -> dict[str, float | None]:
    """Each field's share of pages right (body: F1 of the averaged precision and recall)."""
    result: dict[str, float | None] = {}
    for name in ("title", "authors", "date"):
        values = [getattr(s, name) for s in scores if getattr(s, name) is not None]
        result[name] = statistics.mean(values) if values else None
    if scores:
        precision = statistics.mean(s.body_precision for s in scores)
        recall = statistics.mean(s.body_recall for s in scores)
        result["body"] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    else:
        result["body"] = None
    return result


def by_group(pages: Sequence[FundusPage], scores: Sequence[PageScore]) -> dict[str, dict[str, float | None]]:
    """:func:`aggregate` over all pages (``"all"``) and over each language group."""
    result = {"all": aggregate(scores)}
    for group in GROUPS:
        chosen = [s for page, s in zip(pages, scores) if page.group == group]
        if chosen:
            result[group] = aggregate(chosen)
    return result


def group_sizes(pages: Iterable[FundusPage]) -> dict[str, int]:
    counts = Counter(page.group for page in pages)
    return {"all": sum(counts.values()), **{g: counts[g] for g in GROUPS if counts[g]}}
