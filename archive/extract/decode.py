"""Decode the bytes of an HTML response into text.

One public function, :func:`decode_html`, which turns a response body into
``str`` the way a careful browser would, but refusing declarations that are
provably wrong. The declarations are read with :mod:`w3lib.encoding`, as
Scrapy reads them; candidates are tried in this order, each with a *strict*
decode of the whole body (a candidate that fails is skipped, not trusted):

1. a byte order mark (UTF-8, UTF-16 LE/BE);
2. the ``charset`` parameter of the HTTP ``Content-Type`` header;
3. ``<meta charset>`` / ``<meta http-equiv="Content-Type" content="...">``
   (or an XML declaration) in the first :data:`PRESCAN_BYTES` bytes;
4. UTF-8;
5. *nearly* UTF-8: valid UTF-8 but for a few stray bytes (a character
   pasted from a Latin-1 source), decoded as UTF-8 with replacement;
6. detection with charset_normalizer on a sample of the body;
7. last resort: UTF-8 with ``errors="replace"``.

Declared single-byte charsets (windows-125x, ISO-8859-x, KOI8...) can decode
any byte sequence, so a strict decode never rejects them. For those, one
extra check applies: if the body contains non-ASCII bytes and *is* (nearly)
valid UTF-8, UTF-8 wins. Valid multi-byte UTF-8 sequences practically never
occur in legacy-encoded prose, while UTF-8 pages served with a stale
``charset=iso-8859-1`` header (Apache's old default) are common.

"Nearly" means at least as many valid multi-byte sequences as invalid
bytes. A page declared UTF-8 that is really windows-1251 has hundreds of
invalid bytes and at most a chance valid pair; a UTF-8 page with one stray
byte has one invalid byte and its other non-ASCII letters valid. Left to
the detector, such a page, with few non-ASCII letters, is taken for a
legacy charset and garbled whole ("Mäscot" read as ISO-8859-14 "MÃĊscot").

Charset names are normalised to the WHATWG Encoding Standard labels
(``"cp1251"`` -> ``"windows-1251"``; ``latin-1``, ``iso-8859-1`` and
``us-ascii`` -> ``"windows-1252"``, as browsers do), and decoding uses the
Python codec closest to the WHATWG decoder (e.g. ``cp932`` for Shift_JIS,
``gb18030`` for GBK).
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

__all__ = ["PRESCAN_BYTES", "DETECTION_SAMPLE_BYTES", "decode_html", "normalize_charset"]

#: How much of the body is searched for ``<meta charset>`` declarations.
PRESCAN_BYTES: Final = 4096
#: How many bytes charset_normalizer sees at most (detection is slow on big inputs).
DETECTION_SAMPLE_BYTES: Final = 64 * 1024

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)

# WHATWG label -> Python codec used to decode it.
_DECODERS: Final[dict[str, str]] = {
    "utf-8": "utf-8",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "windows-1252": "cp1252",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "euc-jp": "euc_jp",
    "iso-2022-jp": "iso2022_jp",
    "koi8-r": "koi8_r",
    "koi8-u": "koi8_u",
    "ibm866": "cp866",
    "macintosh": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "windows-874": "cp874",
    **{f"windows-{n}": f"cp{n}" for n in range(1250, 1259) if n != 1252},
    **{f"iso-8859-{n}": f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)},
}

# Aliases (lower case, after Python's codec lookup where relevant) -> WHATWG label.
_ALIASES: Final[dict[str, str]] = {
    # Python codec names as returned by codecs.lookup(...).name
    "utf-8": "utf-8",
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
    "ascii": "windows-1252",
    "latin-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "iso8859-9": "windows-1254",
    "iso8859-11": "windows-874",
    "tis-620": "windows-874",
    "cp932": "shift_jis",
    "shift_jis": "shift_jis",
    "shift_jis_2004": "shift_jis",
    "shift_jisx0213": "shift_jis",
    "euc_kr": "euc-kr",
    "cp949": "euc-kr",
    "johab": "euc-kr",
    "gb2312": "gbk",
    "gbk": "gbk",
    "hz": "gbk",
    "big5": "big5",
    "big5hkscs": "big5",
    "cp950": "big5",
    "euc_jp": "euc-jp",
    "euc_jis_2004": "euc-jp",
    "euc_jisx0213": "euc-jp",
    "iso2022_jp": "iso-2022-jp",
    "koi8-r": "koi8-r",
    "koi8-u": "koi8-u",
    "cp866": "ibm866",
    "mac-roman": "macintosh",
    "mac-cyrillic": "x-mac-cyrillic",
    "cp874": "windows-874",
    # WHATWG / IANA labels Python does not know or maps differently
    "x-sjis": "shift_jis",
    "ms_kanji": "shift_jis",
    "windows-31j": "shift_jis",
    "ks_c_5601-1987": "euc-kr",
    "x-gbk": "gbk",
    "x-cp1251": "windows-1251",
    "x-cp1250": "windows-1250",
    "win-1251": "windows-1251",
    "x-mac-roman": "macintosh",
    "x-x-big5": "big5",
    "utf-8-sig": "utf-8",
    "utf-16": "utf-16le",
    "iso-8859-8-i": "iso-8859-8",
}

_SINGLE_BYTE: Final = frozenset(
    label for label in _DECODERS if label.startswith(("windows-", "iso-8859-", "koi8-"))
) | {"ibm866", "macintosh", "x-mac-cyrillic"}

_UTF16: Final = frozenset({"utf-16le", "utf-16be"})
_NON_ASCII_RE: Final = re.compile(rb"[\x80-\xff]")
_C1_CONTROLS_ERRORS: Final = "archive-charset-c1-controls"


def _c1_controls(error: UnicodeError) -> tuple[str, int]:
    """Decode the 5 bytes windows-1252 leaves undefined as C1 controls, like WHATWG."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    undecodable = error.object[error.start : error.end]
    return "".join(chr(byte) for byte in undecodable), error.end


codecs.register_error(_C1_CONTROLS_ERRORS, _c1_controls)


def normalize_charset(label: str | None) -> str | None:
    """Return the WHATWG name for a charset label, or None if it is unknown.

    >>> normalize_charset("CP1251"), normalize_charset("ISO-8859-1"), normalize_charset("nope")
    ('windows-1251', 'windows-1252', None)
    """
    if not label:
        return None
    cleaned = label.strip().strip("\"'").strip().lower()
    if not cleaned:
        return None
    if cleaned in _DECODERS:
        return cleaned
    if cleaned in _ALIASES:
        return _ALIASES[cleaned]
    try:
        python_name = codecs.lookup(cleaned).name
    except LookupError:
        return None
    if python_name in _ALIASES:
        return _ALIASES[python_name]
    if python_name.startswith("cp125") and len(python_name) == 6:
        return f"windows-{python_name[2:]}"
    if python_name.startswith("iso8859-"):
        return f"iso-8859-{python_name[len('iso8859-'):]}"
    # Known to Python but not to WHATWG (e.g. cp437, utf-32): usable, keep Python's name.
    return python_name


def _decode_strict(body: bytes, label: str) -> str | None:
    """Decode all of ``body`` as ``label`` or return None if any byte is invalid."""
    codec = _DECODERS.get(label, label)
    errors = _C1_CONTROLS_ERRORS if label == "windows-1252" else "strict"
    try:
        return body.decode(codec, errors)
    except (UnicodeDecodeError, LookupError):
        return None


def _detection_sample(body: bytes) -> bytes:
    """Return up to :data:`DETECTION_SAMPLE_BYTES` of ``body`` rich in non-ASCII bytes.

    The sample starts at the line or tag holding the first non-ASCII byte and
    ends on a ``<`` or newline, bytes that are never the trail byte of a
    multi-byte character in the legacy CJK encodings, so no character is cut.
    """
    first = _NON_ASCII_RE.search(body)
    if first is None:
        return body[:DETECTION_SAMPLE_BYTES]
    start = max(body.rfind(b"<", 0, first.start()), body.rfind(b"\n", 0, first.start()), 0)
    end = start + DETECTION_SAMPLE_BYTES
    if end >= len(body):
        return body[start:]
    boundary = max(body.rfind(b"<", start, end), body.rfind(b"\n", start, end))
    return body[start : boundary if boundary > start else end]


def _detect(body: bytes) -> str | None:
    """Guess the charset of ``body`` with charset_normalizer on a sample."""
    best = from_bytes(_detection_sample(body)).best()
    return normalize_charset(best.encoding) if best is not None else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML response body; return ``(text, encoding_used)``.

    ``content_type`` is the HTTP ``Content-Type`` header value, if any. The
    returned encoding is a WHATWG label such as ``"utf-8"`` or
    ``"windows-1251"``; the text never contains a byte order mark. See the
    module docstring for the order in which evidence is weighed. Never raises
    on bad input: the last resort is UTF-8 with replacement characters.
    """
    for bom, label in _BOMS:
        if body.startswith(bom):
            text = _decode_strict(body[len(bom) :], label)
            if text is not None:
                return text, label
            break

    has_non_ascii = not body.isascii()
    utf8_text = _decode_strict(body, "utf-8")
    if utf8_text is None and has_non_ascii:
        utf8_text = _nearly_utf8(body)
    declared = [normalize_charset(http_content_type_encoding(content_type))]
    label = normalize_charset(html_body_declared_encoding(body[:PRESCAN_BYTES]))
    # A parser that could read an ASCII <meta> is not reading UTF-16 (WHATWG: use UTF-8).
    declared.append("utf-8" if label in _UTF16 else label)
    tried: set[str] = set()
    for label in declared:
        if label is None or label in tried:
            continue
        tried.add(label)
        if label in _SINGLE_BYTE and has_non_ascii and utf8_text is not None:
            return utf8_text, "utf-8"  # see the module docstring
        text = utf8_text if label == "utf-8" else _decode_strict(body, label)
        if text is not None:
            return text, label

    if utf8_text is not None:
        return utf8_text, "utf-8"

    detected = _detect(body) if has_non_ascii else None
    if detected is not None and detected not in tried:
        text = _decode_strict(body, detected)
        if text is not None:
            return text, detected

    return body.decode("utf-8", "replace"), "utf-8"


def _nearly_utf8(body: bytes) -> str | None:
    """``body`` decoded as UTF-8 with replacement when it is valid UTF-8 but
    for a few stray bytes: no more invalid bytes than valid multi-byte
    sequences (see the module docstring); else None."""
    text = body.decode("utf-8", "replace")
    invalid = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    multibyte = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return text if 0 < invalid <= multibyte else None
