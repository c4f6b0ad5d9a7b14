"""archive.extract.reprints: one column on three sites is found, other columns of its author are not."""

import hashlib
from pathlib import Path

import pytest

from archive.extract.reprints import (
    DEFAULT_THRESHOLD,
    EDITED_THRESHOLD,
    FINGERPRINT_BYTES,
    ReprintIndex,
    fingerprint,
    shingles,
    similarity,
)
from tests.make_sample_warcs import extract_sample, load_registry

ESCOBAR = load_registry()["escobar"]
OTHER_COLUMNS = sorted((ESCOBAR.pages[0].file.parent / "other-columns").glob("*.txt"))
COPIES = ("strategic-culture-su", "thecradle-co", "asiatimes-com")


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    """Extracted texts of the three copies, a heavily edited version and two other columns."""
    found = {page.file.stem: extract_sample(ESCOBAR, page)[0].text for page in ESCOBAR.articles()}
    assert set(found) == set(COPIES)
    found["heavily-edited"] = heavily_edited(found["strategic-culture-su"])
    for path in OTHER_COLUMNS:
        found[path.stem] = path.read_text(encoding="utf-8")
    return found


def heavily_edited(text: str) -> str:
    """A shortened, rewritten version: 4 of 13 paragraphs cut, 3 rewritten, a new intro."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    assert len(paragraphs) == 13
    kept = [p for i, p in enumerate(paragraphs) if i not in (1, 6, 9, 10)]
    kept[1] = (
        kept[1]
        .replace("Let us start with the numbers.", "First, the figures.")
        .replace("roughly 37 percent", "about 37%")
        .replace("well ahead of the G7", "more than the G7 combined")
    )
    kept[3] = (
        "A Russian diplomat, speaking off the record, said the common currency was not on the table for this year. "
        "What Moscow wants is a payment system that keeps working when western messaging networks cut it off, and a "
        "clearing house that cannot be frozen."
    )
    kept[6] = (
        "The BRICS model has no treaty and no real secretariat, and every decision needs consensus. That makes it "
        "slow, but it also means nobody is forced to choose sides."
    )
    return "\n".join(["Editor's note: an earlier version of this column appeared elsewhere.", *kept])


@pytest.fixture(scope="module")
def prints(texts: dict[str, str]) -> dict[str, bytes]:
    return {name: fingerprint(text) for name, text in texts.items()}


def test_the_samples_hold_the_texts_the_tests_need() -> None:
    assert len(OTHER_COLUMNS) == 2


def test_fingerprints_are_compact_versioned_and_stable_across_runs() -> None:
    text = "Those who expected the BRICS to collapse under the weight of its own expansion are in for a long wait."
    print_ = fingerprint(text)
    assert isinstance(print_, bytes) and len(print_) == FINGERPRINT_BYTES == 513
    assert print_[0] == 1
    # Fixed seed and scheme: the same bytes on every run and machine (stored fingerprints stay comparable).
    assert hashlib.sha256(print_).hexdigest() == "3ac294d34f0cd0d38b108654362186c7d734807e6c13ee5b384d2443b55c6b77"


def test_case_punctuation_and_spacing_do_not_matter() -> None:
    assert fingerprint("Hello, World!  Foo-bar\n baz.") == fingerprint("hello world foo bar baz")
    assert shingles("Раз, два, три. Четыре!") == {"раз два три", "два три четыре"}
    assert shingles("Only two") == {"only two"}


def test_empty_text_and_bad_fingerprints_are_refused() -> None:
    with pytest.raises(ValueError, match="no words"):
        fingerprint(" ... !")
    good = fingerprint("one two three four")
    with pytest.raises(ValueError, match="not a fingerprint"):
        similarity(good, good[:-1])
    with pytest.raises(ValueError, match="version 2"):
        similarity(good, bytes([2]) + good[1:])


def test_similarity_of_the_copies_and_of_the_rest(prints: dict[str, bytes]) -> None:
    assert similarity(prints["thecradle-co"], prints["thecradle-co"]) == 1.0
    for i, a in enumerate(COPIES):
        for b in COPIES[i + 1 :]:
            assert similarity(prints[a], prints[b]) >= DEFAULT_THRESHOLD, (a, b)
    edited = similarity(prints["strategic-culture-su"], prints["heavily-edited"])
    assert EDITED_THRESHOLD <= edited < DEFAULT_THRESHOLD
    for other in (p.stem for p in OTHER_COLUMNS):
        for name in (*COPIES, "heavily-edited"):
            assert similarity(prints[name], prints[other]) < 0.1, (name, other)
    assert similarity(*(prints[p.stem] for p in OTHER_COLUMNS)) < 0.1


def test_index_groups_the_copies_at_the_default_threshold(prints: dict[str, bytes]) -> None:
    index = ReprintIndex()
    index.update(sorted(prints.items()))
    assert len(index) == 6 and "asiatimes-com" in index
    assert index.groups() == [["asiatimes-com", "strategic-culture-su", "thecradle-co"]]
    matches = index.matches(prints["strategic-culture-su"])
    assert [name for name, _ in matches][0] == "strategic-culture-su"
    assert {name for name, _ in matches} == set(COPIES)
    assert [score for _, score in matches] == sorted((score for _, score in matches), reverse=True)


def test_the_edited_threshold_also_groups_the_heavily_edited_version(prints: dict[str, bytes]) -> None:
    index = ReprintIndex(threshold=EDITED_THRESHOLD)
    index.update(prints.items())
    assert index.groups() == [["asiatimes-com", "heavily-edited", "strategic-culture-su", "thecradle-co"]]
    assert [(a, b) for a, b, _ in index.pairs()].count(("asiatimes-com", "thecradle-co")) == 1


def test_integer_page_ids_sort_numerically(prints: dict[str, bytes]) -> None:
    index = ReprintIndex()
    for page_id, name in ((10, "thecradle-co"), (9, "asiatimes-com"), (100, "strategic-culture-su"), (2, "ruble-yuan-trade")):
        index.add(page_id, prints[name])
    assert index.groups() == [[9, 10, 100]]


def test_index_refuses_duplicates_and_bad_thresholds(prints: dict[str, bytes]) -> None:
    index = ReprintIndex()
    index.add("a", prints["thecradle-co"])
    with pytest.raises(ValueError, match="already indexed"):
        index.add("a", prints["asiatimes-com"])
    with pytest.raises(ValueError, match="not a fingerprint"):
        index.add("b", b"\x01abc")
    for threshold in (0.0, 1.5):
        with pytest.raises(ValueError, match="threshold"):
            ReprintIndex(threshold)


def test_fingerprints_are_plain_bytes_for_a_blob_column(prints: dict[str, bytes], tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "p.db") as db:
        db.execute("create table prints (page text primary key, fingerprint blob)")
        db.executemany("insert into prints values (?, ?)", sorted(prints.items()))
        stored = dict(db.execute("select page, fingerprint from prints"))
    db.close()
    index = ReprintIndex()
    index.update(stored.items())
    assert index.groups() == [["asiatimes-com", "strategic-culture-su", "thecradle-co"]]
