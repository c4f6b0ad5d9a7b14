"""Names across scripts: the spellings a name may have in the other
alphabet (Escobar: Эскобар; Эскобар: escobar, eskobar), to look up in the
index's vocabulary.

Transliteration is ambiguous both ways (c is к, с or ц; к is k or c), so
every reading is generated, up to a limit, and only those some page
actually contains are kept by the caller. The tables follow the common
practice of the press (BGN/PCGN-like, with the usual English spellings of
foreign names), not one standard.
"""

from __future__ import annotations

import re

LIMIT = 512  # spellings generated per word at most
CYRILLIC_RE = re.compile(r"^[а-яё]+$")
LATIN_RE = re.compile(r"^[a-z]+$")

LATIN_TO_CYRILLIC = {
    "shch": ("щ",), "sch": ("щ", "ш"), "sh": ("ш",), "ch": ("ч", "х", "к"), "zh": ("ж",), "kh": ("х",),
    "ts": ("ц", "тс"), "tz": ("ц",), "ya": ("я", "йа"), "yu": ("ю",), "yo": ("ё", "йо"), "ye": ("е", "йе"),
    "ia": ("ия", "я"), "iu": ("ию", "ю"), "ck": ("к",), "ph": ("ф",), "th": ("т",), "ou": ("у",), "oo": ("у",),
    "ee": ("и",), "ey": ("ей", "эй"), "ay": ("ай", "эй"), "oy": ("ой",), "oi": ("ой",), "ai": ("ай",),
    "ei": ("ей", "эй"), "iy": ("ий",), "sky": ("ский",), "skiy": ("ский",),
    "a": ("а", "э"), "b": ("б",), "c": ("к", "с", "ц"), "d": ("д",), "e": ("е", "э", ""), "f": ("ф",),
    "g": ("г", "дж"), "h": ("х", "г", ""), "i": ("и", "ай", "й"), "j": ("дж", "ж", "й", "х"), "k": ("к",),
    "l": ("л", "ль"), "m": ("м",), "n": ("н",), "o": ("о",), "p": ("п",), "q": ("к",), "r": ("р",),
    "s": ("с", "з"), "t": ("т",), "u": ("у", "ю", "а"), "v": ("в",), "w": ("в", "у"), "x": ("кс",),
    "y": ("й", "и", "ы", "ий"), "z": ("з", "ц"),
}
CYRILLIC_TO_LATIN = {
    "а": ("a",), "б": ("b",), "в": ("v", "w"), "г": ("g", "h"), "д": ("d",), "е": ("e", "ye"), "ё": ("yo", "e"),
    "ж": ("zh", "j"), "з": ("z", "s"), "и": ("i", "y", "ee"), "й": ("y", "i", "j"), "к": ("k", "c", "ck"),
    "л": ("l",), "м": ("m",), "н": ("n",), "о": ("o",), "п": ("p",), "р": ("r",), "с": ("s", "c"),
    "т": ("t",), "у": ("u", "ou", "oo"), "ф": ("f", "ph"), "х": ("kh", "h", "ch"), "ц": ("ts", "c", "tz"),
    "ч": ("ch",), "ш": ("sh",), "щ": ("shch", "sch"), "ъ": ("",), "ы": ("y", "i"), "ь": ("",),
    "э": ("e", "a"), "ю": ("yu", "u", "iu"), "я": ("ya", "ia"),
}


def spellings(word: str) -> list[str]:
    """The other script's spellings of ``word`` (lowercase), most likely
    first; [] for a word of mixed or other scripts."""
    word = word.lower()
    if CYRILLIC_RE.match(word):
        table = CYRILLIC_TO_LATIN
    elif LATIN_RE.match(word):
        table = LATIN_TO_CYRILLIC
    else:
        return []
    longest = max(len(k) for k in table)
    results: list[str] = []

    def walk(position: int, built: str) -> None:
        if len(results) >= LIMIT:
            return
        if position == len(word):
            if built and built not in results:
                results.append(built)
            return
        for size in range(min(longest, len(word) - position), 0, -1):
            for letters in table.get(word[position:position + size], ()):
                walk(position + size, built + letters)

    walk(0, "")
    return results
