"""Near-duplicate texts across sites: the same column reprinted with other boilerplate.

Pepe Escobar's columns appear on strategic-culture, thecradle.co and
asiatimes.com with different intros ("This article was originally published
by..."), outros, subheadings and small edits. Exact digests cannot match
them; MinHash over word shingles can (datasketch does the hashing).

* :func:`fingerprint` turns an extracted text into a compact, storable
  signature (:data:`FINGERPRINT_BYTES` bytes: a version byte, then the
  :data:`NUM_PERM` MinHash values as little-endian ``uint32``), the same on
  every run and machine (fixed seed and permutation scheme);
* :func:`similarity` estimates the Jaccard similarity of two texts' shingle
  sets from their fingerprints (0.0 to 1.0; standard error about 0.04);
* :class:`ReprintIndex` holds ``(page_id, fingerprint)`` pairs and returns
  the pages similar to a fingerprint, or every group of copies.

Texts are compared as sets of :data:`SHINGLE_WORDS`-word shingles of their
case-folded, NFKC-normalised words (punctuation ignored). On the stored
samples (tests/samples/escobar), the three copies of one column score
0.84-0.92 against each other; a version with four of thirteen paragraphs cut
and three rewritten scores about 0.3 (Jaccard punishes the cuts); different
columns by the same author, on the same themes, score 0.00-0.03. Hence two
thresholds: :data:`DEFAULT_THRESHOLD` (0.8), "the same text give or take
boilerplate and small edits", and :data:`EDITED_THRESHOLD` (0.25), which
also groups heavily edited or cut versions and still leaves a wide margin
over unrelated texts of one author.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Iterator
from typing import Final

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

__all__ = [
    "DEFAULT_THRESHOLD",
    "EDITED_THRESHOLD",
    "FINGERPRINT_BYTES",
    "NUM_PERM",
    "ReprintIndex",
    "fingerprint",
    "shingles",
    "similarity",
]

#: Words per shingle.
SHINGLE_WORDS: Final = 3
#: MinHash permutations (values per fingerprint).
NUM_PERM: Final = 128
#: Fixed seed and scheme: fingerprints must be comparable across runs and machines.
SEED: Final = 1
SCHEME: Final = "affine32"
#: First byte of every fingerprint; bump it when shingling, seed or scheme change.
VERSION: Final = 1
FINGERPRINT_BYTES: Final = 1 + 4 * NUM_PERM
#: Estimated Jaccard similarity from which two texts count as copies.
DEFAULT_THRESHOLD: Final = 0.8
#: A lower threshold that also groups heavily edited or shortened versions.
EDITED_THRESHOLD: Final = 0.25
#: How far below the threshold the LSH bands are tuned, so that candidates
#: near the threshold are not missed (every candidate is then verified).
_LSH_MARGIN: Final = 0.15
_WORD_RE: Final = re.compile(r"\w+")
_DTYPE: Final = np.dtype("<u4")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str) -> set[str]:
    """The text's set of :data:`SHINGLE_WORDS`-word shingles (all its words as one shingle if it is shorter)."""
    words = _words(text)
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def fingerprint(text: str) -> bytes:
    """A :data:`FINGERPRINT_BYTES`-byte MinHash signature of ``text``; ValueError if it has no words."""
    grams = shingles(text)
    if not grams:
        raise ValueError("text has no words to fingerprint")
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch(sorted(gram.encode("utf-8") for gram in grams))
    return bytes([VERSION]) + minhash.hashvalues.astype(_DTYPE).tobytes()


def _values(print_: bytes) -> np.ndarray:
    if not isinstance(print_, bytes | bytearray | memoryview) or len(print_) != FINGERPRINT_BYTES:
        raise ValueError(f"not a fingerprint: expected {FINGERPRINT_BYTES} bytes")
    if print_[0] != VERSION:
        raise ValueError(f"fingerprint version {print_[0]} is not {VERSION}: recompute it from the text")
    return np.frombuffer(bytes(print_[1:]), dtype=_DTYPE)


def _minhash(print_: bytes) -> LeanMinHash:
    return LeanMinHash(seed=SEED, hashvalues=_values(print_).astype(np.uint32), scheme=SCHEME)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two fingerprints."""
    return float(np.count_nonzero(_values(a) == _values(b))) / NUM_PERM


def _sort_key(page_id: Hashable) -> tuple[str, str]:
    return type(page_id).__name__, f"{page_id!s:>40}" if isinstance(page_id, int) else str(page_id)


class ReprintIndex:
    """Fingerprints of pages, searchable for near-duplicates.

    ``threshold`` is the estimated Jaccard similarity from which two pages
    are copies. Candidates come from a MinHash LSH tuned a little below it
    and are verified with :func:`similarity`. Page IDs are any hashable
    values (the index's ``pages.id``, a URL...), all of one type.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=max(0.05, threshold - _LSH_MARGIN), num_perm=NUM_PERM)
        self._prints: dict[Hashable, bytes] = {}

    def __len__(self) -> int:
        return len(self._prints)

    def __contains__(self, page_id: object) -> bool:
        return page_id in self._prints

    def add(self, page_id: Hashable, print_: bytes) -> None:
        """Index one page's fingerprint; ValueError if the ID is already there or the fingerprint is bad."""
        if page_id in self._prints:
            raise ValueError(f"page {page_id!r} is already indexed")
        self._lsh.insert(page_id, _minhash(print_))
        self._prints[page_id] = bytes(print_)

    def update(self, pairs: Iterable[tuple[Hashable, bytes]]) -> None:
        """:meth:`add` each ``(page_id, fingerprint)`` pair."""
        for page_id, print_ in pairs:
            self.add(page_id, print_)

    def matches(self, print_: bytes, threshold: float | None = None) -> list[tuple[Hashable, float]]:
        """Indexed pages at least ``threshold`` (default: the index's) similar to ``print_``, best first."""
        threshold = self.threshold if threshold is None else threshold
        found = []
        for page_id in self._lsh.query(_minhash(print_)):
            score = similarity(print_, self._prints[page_id])
            if score >= threshold:
                found.append((page_id, score))
        return sorted(found, key=lambda pair: (-pair[1], _sort_key(pair[0])))

    def pairs(self) -> Iterator[tuple[Hashable, Hashable, float]]:
        """Every pair of indexed pages at or above the threshold, once each (``a`` before ``b`` in ID order)."""
        for page_id in sorted(self._prints, key=_sort_key):
            for other, score in self.matches(self._prints[page_id]):
                if _sort_key(page_id) < _sort_key(other):
                    yield page_id, other, score

    def groups(self) -> list[list[Hashable]]:
        """Groups of two or more copies (single linkage over :meth:`pairs`), each sorted, in ID order."""
        parent: dict[Hashable, Hashable] = {}

        def root(page_id: Hashable) -> Hashable:
            while parent.get(page_id, page_id) != page_id:
                page_id = parent[page_id]
            return page_id

        for a, b, _ in self.pairs():
            ra, rb = root(a), root(b)
            if ra != rb:
                low, high = sorted((ra, rb), key=_sort_key)
                parent[high] = low
        members: dict[Hashable, list[Hashable]] = {}
        for page_id in parent:
            members.setdefault(root(page_id), []).append(page_id)
        for page_id, group in members.items():
            group.append(page_id)
        groups = [sorted(set(group), key=_sort_key) for group in members.values()]
        return sorted(groups, key=lambda group: _sort_key(group[0]))
