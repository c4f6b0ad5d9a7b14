"""archive.extract.decode: which charset wins, and that wrong declarations lose."""

import codecs

import pytest

from archive.extract.decode import decode_html, normalize_charset

RUSSIAN = (
    "Президент подписал закон о бюджете на следующий год. Депутаты обсуждали документ "
    "три недели, а оппозиция назвала его несправедливым по отношению к регионам."
)
FRENCH = "Le conseil municipal a voté mardi l'élargissement du programme, a-t-on appris."


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>"


def test_cp1251_declared_as_utf8_in_meta_is_decoded_as_cp1251():
    body = page(RUSSIAN, '<meta charset="utf-8">').encode("cp1251")
    text, encoding = decode_html(body)
    assert encoding == "windows-1251"
    assert RUSSIAN in text


def test_cp1251_declared_as_utf8_in_header_is_decoded_as_cp1251():
    body = page(RUSSIAN).encode("cp1251")
    text, encoding = decode_html(body, "text/html; charset=UTF-8")
    assert (encoding, RUSSIAN in text) == ("windows-1251", True)


def test_undeclared_cp1251_is_detected():
    text, encoding = decode_html(page(RUSSIAN).encode("cp1251"))
    assert encoding == "windows-1251"
    assert RUSSIAN in text


def test_undeclared_cp1251_big_body_is_decoded_whole():
    # Detection looks at a sample only; the whole body must still be decoded.
    paragraph = f"<p>{RUSSIAN}</p>\n".encode("cp1251")
    body = b"<html><body>" + paragraph * (3_000_000 // len(paragraph)) + "<p>Последний абзац.</p>".encode("cp1251")
    text, encoding = decode_html(body)
    assert encoding == "windows-1251"
    assert len(text) == len(body)  # single-byte charset: one character per byte
    assert text.endswith("<p>Последний абзац.</p>")


@pytest.mark.parametrize(
    ("bom", "codec", "expected"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16be"),
    ],
)
def test_bom_wins_over_declarations_and_is_stripped(bom, codec, expected):
    body = bom + page(RUSSIAN, '<meta charset="windows-1251">').encode(codec)
    text, encoding = decode_html(body, "text/html; charset=windows-1251")
    assert encoding == expected
    assert text.startswith("<!doctype html>")
    assert RUSSIAN in text


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1251">',
        "<meta charset=cp1251>",
        "<META CHARSET='Windows-1251'/>",
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
        '<meta content="text/html;charset=cp1251" http-equiv="content-type">',
    ],
)
def test_meta_charset(meta):
    text, encoding = decode_html(page(RUSSIAN, meta).encode("cp1251"))
    assert encoding == "windows-1251"
    assert RUSSIAN in text


def test_koi8r_meta_charset_beats_detection():
    # KOI8-R and windows-1251 both decode any byte; only the declaration can tell.
    text, encoding = decode_html(page(RUSSIAN, '<meta charset="koi8-r">').encode("koi8-r"))
    assert (encoding, RUSSIAN in text) == ("koi8-r", True)


def test_header_charset_is_used():
    text, encoding = decode_html(page(RUSSIAN).encode("koi8-r"), 'text/html; charset="KOI8-R"')
    assert (encoding, RUSSIAN in text) == ("koi8-r", True)


def test_header_charset_wins_over_meta():
    body = page(FRENCH, '<meta charset="iso-8859-15">').encode("cp1252")
    text, encoding = decode_html(body, "text/html; charset=windows-1252")
    assert encoding == "windows-1252"
    assert FRENCH in text


def test_meta_past_prescan_window_is_ignored():
    head = "<!--" + "x" * 5000 + "-->" + '<meta charset="koi8-r">'
    text, encoding = decode_html(page(RUSSIAN, head).encode("cp1251"))
    assert (encoding, RUSSIAN in text) == ("windows-1251", True)


def test_utf8_body_behind_a_stale_latin1_header_is_read_as_utf8():
    text, encoding = decode_html(page(FRENCH).encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert (encoding, FRENCH in text) == ("utf-8", True)


def test_latin1_is_read_as_windows_1252_like_browsers():
    # 0x80 is a C1 control in ISO-8859-1 but the euro sign in windows-1252.
    body = b"<html><body><p>Prix: 5 \x80, caf\xe9</p></body></html>"
    text, encoding = decode_html(body, "text/html; charset=iso-8859-1")
    assert encoding == "windows-1252"
    assert "Prix: 5 €, café" in text


def test_windows_1252_undefined_bytes_do_not_reject_the_declaration():
    # 0x81 is unassigned in Python's cp1252; WHATWG maps it to U+0081.
    text, encoding = decode_html(b"<p>caf\xe9 \x81</p>", "text/html; charset=windows-1252")
    assert (encoding, text) == ("windows-1252", "<p>café \x81</p>")


def test_meta_utf16_means_utf8():
    text, encoding = decode_html(page(RUSSIAN, '<meta charset="utf-16">').encode("utf-8"))
    assert (encoding, RUSSIAN in text) == ("utf-8", True)


def test_unknown_declarations_are_skipped():
    body = page(RUSSIAN, '<meta charset="no-such-charset">').encode("utf-8")
    text, encoding = decode_html(body, "text/html; charset=x-unknown")
    assert (encoding, RUSSIAN in text) == ("utf-8", True)


def test_ascii_body_is_utf8():
    assert decode_html(b"<html><body>plain</body></html>") == ("<html><body>plain</body></html>", "utf-8")


def test_empty_body():
    assert decode_html(b"") == ("", "utf-8")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("utf8", "utf-8"),
        ("UTF-8", "utf-8"),
        (' "utf-8" ', "utf-8"),
        ("cp1251", "windows-1251"),
        ("x-cp1251", "windows-1251"),
        ("Windows-1251", "windows-1251"),
        ("latin-1", "windows-1252"),
        ("ISO-8859-1", "windows-1252"),
        ("us-ascii", "windows-1252"),
        ("iso-8859-9", "windows-1254"),
        ("iso-8859-5", "iso-8859-5"),
        ("latin2", "iso-8859-2"),
        ("koi8-r", "koi8-r"),
        ("Shift_JIS", "shift_jis"),
        ("sjis", "shift_jis"),
        ("gb2312", "gbk"),
        ("ks_c_5601-1987", "euc-kr"),
        ("", None),
        (None, None),
        ("no-such-charset", None),
    ],
)
def test_normalize_charset(label, expected):
    assert normalize_charset(label) == expected


#: short texts with few non-ASCII letters: the detector's guess for them is a legacy charset
STRAY_BYTE_TEXTS = ("Our team's Mäscot is back.", "Ein schön Tag.", "Grüße aus München")


@pytest.mark.parametrize("where", ["header", "meta", "nowhere"])
@pytest.mark.parametrize("stray", [b"\xe4", b"\xa0", b"\x96"])  # Latin-1 ä, a no-break space, a windows-1252 dash
@pytest.mark.parametrize("words", STRAY_BYTE_TEXTS)
def test_utf8_with_a_stray_legacy_byte_is_utf8_with_one_replacement(where, stray, words):
    """A UTF-8 page carrying one byte pasted from a Latin-1 source (3 of 954
    real pages) was decoded as a guessed legacy charset, garbling all of it
    ("Mäscot" as "MûÊscot", "schön" as "schĂ¶n")."""
    head = '<meta charset="utf-8">' if where == "meta" else ""
    header = "text/html; charset=UTF-8" if where == "header" else "text/html"
    body = page(f"{words}</p><p>Ende", head).encode("utf-8").replace(b"Ende", b"Ende" + stray)
    text, encoding = decode_html(body, header)
    assert (encoding, words in text, "Ende\ufffd" in text) == ("utf-8", True, True)


def test_utf8_with_a_stray_byte_behind_a_legacy_header_is_utf8():
    body = page("Ein schön Tag.</p><p>Ende").encode("utf-8").replace(b"Ende", b"Ende\xe4")
    text, encoding = decode_html(body, "text/html; charset=iso-8859-1")
    assert (encoding, "Ein schön Tag." in text) == ("utf-8", True)


def test_a_legacy_page_with_a_utf8_lookalike_stays_legacy():
    """cp1251 text can hold a byte pair that is valid UTF-8 ("Рё" is D0 B8):
    one among many invalid bytes does not make a UTF-8 page."""
    text, encoding = decode_html(page(RUSSIAN + " Рё").encode("cp1251"), "text/html; charset=utf-8")
    assert (encoding, RUSSIAN in text) == ("windows-1251", True)
