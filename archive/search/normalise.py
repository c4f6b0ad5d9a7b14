"""Words reduced to one search form, so that inflections match.

Russian and English words are lemmatised (simplemma, the lemmatiser by
trafilatura's author) and then stemmed (Snowball, via PyStemmer): "Казахстан",
"Казахстана" and "Казахстане" all become ``казахста``; "protest",
"protesters" and "protesting" become ``protest``. Snowball alone is not
enough ("Казахстан" and "Казахстане" stem differently), nor is a lemmatiser
alone ("протестующих" is its own lemma).

A word's script picks its language (Cyrillic: Russian, Latin: English), so
quotations and names in the other language are reduced correctly inside any
page. Words in other scripts are only lowercased. Every word is first put in
Unicode's NFKC form, so that full-width letters (``ｅｌｅｃｔｉｏｎ``),
ligatures and other compatibility spellings meet their plain spelling.
Indexed text and queries go
through the same :class:`Normaliser`, which is what makes them meet: one
word in, one search form out, so positions (and so phrases) are kept.

``VERSION`` names the whole reduction (our rules and the library versions).
The search index stores it; an index built under another version is rebuilt,
because its stored forms would no longer match the queries' forms.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from itertools import compress, count
from operator import not_
from importlib.metadata import version as package_version

import Stemmer

#: A word: letters and digits; everything else separates words. The same
#: rule as FTS5's unicode61 tokenizer, so a search form is one FTS5 token.
WORD_RE = re.compile(r"[^\W_]+")
CYRILLIC_RE = re.compile(r"[а-яё]")
LATIN_RE = re.compile(r"^[a-z]+$")
RULES = 3  # bump when the reduction below changes (3: NFKC first)
VERSION = f"{RULES}/simplemma-{package_version('simplemma')}/pystemmer-{package_version('PyStemmer')}"
CACHE_LIMIT = 1_000_000
#: Every ASCII character that is not a letter or digit, as a space: how
#: :func:`words` splits most text in one C pass (bytes.translate)
_ASCII_SEPARATORS = bytes.maketrans(
    bytes(b for b in range(128) if not chr(b).isalnum()), b" " * sum(not chr(b).isalnum() for b in range(128))
)


def words(text: str) -> list[str]:
    """The words of ``text``: ``WORD_RE.findall(text)``, the same list, at
    three times its speed on English text. ASCII separators become spaces in
    one pass over the UTF-8 bytes, ``str.split`` cuts at them and at every
    other space; only a piece still holding a non-ASCII separator (« or —,
    say) goes through the regex. (``[^\\W_]`` is exactly ``str.isalnum``, and
    no space is a letter or digit, so the cuts are the regex's.)"""
    spaced = text.encode("utf-8", "surrogatepass").translate(_ASCII_SEPARATORS).decode("utf-8", "surrogatepass")
    pieces = spaced.split()
    if spaced.isascii():
        return pieces
    whole = list(map(str.isalnum, pieces))
    if all(whole):
        return pieces
    found: list[str] = []
    start = 0
    for at in compress(count(), map(not_, whole)):
        found += pieces[start:at]
        found += WORD_RE.findall(pieces[at])
        start = at + 1
    found += pieces[start:]
    return found


def lower_words(text: str | None) -> list[str]:
    """The words of ``text``, each lowercased (as a query's are). ASCII text
    is lowercased first, which gives the same words at once."""
    if not text:
        return []
    if text.isascii():
        return words(text.lower())
    return list(map(str.lower, words(text)))


class Normaliser:
    """Reduces words to search forms; remembers the words it has seen.

    simplemma's dictionary of a language is loaded on the first word of that
    language and kept for the life of the process (see :func:`_lemmatize`).
    Safe to share between threads."""

    def __init__(self) -> None:
        self._stemmers = {"ru": Stemmer.Stemmer("russian"), "en": Stemmer.Stemmer("english")}
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def word(self, word: str) -> str:
        """The search form of one word (any case)."""
        lower = word.lower()
        form = self._cache.get(lower)
        if form is None:
            form = self._reduce(lower)
            with self._lock:
                if len(self._cache) >= CACHE_LIMIT:
                    self._cache.clear()
                self._cache[lower] = form
        return form

    def pairs(self, words) -> list[tuple[str, str]]:
        """(word, search form) of each of ``words`` (lowercase)."""
        words = list(words)
        return list(zip(words, self.forms(words)))

    def forms(self, words: list[str]) -> list[str]:
        """The search forms of lowercase ``words``: the known ones looked up
        in one pass at C speed (after a few hundred pages nearly all are),
        only new ones reduced one by one."""
        forms = list(map(self._cache.get, words))
        if None in forms:
            word = self.word
            forms = [form if form is not None else word(lower) for form, lower in zip(forms, words)]
        return forms

    def remember(self, pairs) -> None:
        """Take (lowercase word, form) pairs computed before (by this
        reduction: see ``archive.search.fulltext.WORDS``)."""
        with self._lock:
            self._cache.update(pairs)

    def _reduce(self, word: str) -> str:
        word = compatible(word)
        if CYRILLIC_RE.search(word):
            language = "ru"
        elif LATIN_RE.match(word):
            language = "en"
        else:
            return word
        lemma = _lemmatize()(word, lang=language).lower()
        if language == "ru":
            lemma = lemma.replace("ё", "е")
        stem = self._stemmers[language].stemWord(lemma)
        return stem if WORD_RE.fullmatch(stem) else word

    def text(self, text: str | None) -> str:
        """``text`` as space-separated search forms, one per word."""
        return " ".join(self.forms(lower_words(text)))

    def spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, search form) of each word of ``text``."""
        word = self.word
        for match in WORD_RE.finditer(text):
            yield match.start(), match.end(), word(match.group())

    def prefix(self, word: str) -> str:
        """The search-form prefix that a prefix query ``word*`` stands for:
        what the word and its search form have in common, so that "Казахстан*"
        still finds Казахстане (form ``казахстан``) and Казахстан (``казахста``)."""
        lower = compatible(word.lower()).replace("ё", "е")
        form = self.word(lower)
        common = 0
        for a, b in zip(lower, form):
            if a != b:
                break
            common += 1
        return lower[:common] if common >= min(len(lower), 3) else lower


_lemmatizer = None


def _lemmatize():
    """simplemma's lemmatiser, its dictionaries held as MARISA tries: the
    same lemmas as its default dictionaries (checked on 170,000 words) in
    about 10 MB a process instead of 150 for Russian and English. The tries
    are built from simplemma's dictionaries once per machine (a few seconds)
    and cached in the user's cache directory; without that cache they are
    built in memory, and without marisa-trie the default dictionaries serve."""
    global _lemmatizer
    if _lemmatizer is None:
        import simplemma

        try:
            from simplemma.strategies import DefaultStrategy
            from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieDictionaryFactory

            factory = TrieDictionaryFactory()
        except ImportError:  # marisa-trie missing: the dictionaries as dicts
            _lemmatizer = simplemma.lemmatize
        else:
            _lemmatizer = simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=factory)).lemmatize
    return _lemmatizer


def compatible(word: str) -> str:
    """``word`` in NFKC form, lowercased; a word whose NFKC form is no longer
    one word (½: 1⁄2) is only lowercased, so that a word still gives one form."""
    if word.isascii():
        return word.lower()
    folded = unicodedata.normalize("NFKC", word).lower()
    return folded if WORD_RE.fullmatch(folded) else word.lower()


_shared: Normaliser | None = None


def normaliser() -> Normaliser:
    """The process's normaliser (its cache is worth sharing)."""
    global _shared
    if _shared is None:
        _shared = Normaliser()
    return _shared
