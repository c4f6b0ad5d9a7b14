"""Whether a response is HTML, from its MIME type and first bytes.

Light on purpose: the process that writes the index decides which captures
go to the extraction workers with it, and must not load trafilatura.
"""

from __future__ import annotations

from typing import Final

HTML_MEDIA_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
#: Media types that say nothing reliable about the body: sniff it instead.
UNINFORMATIVE_MEDIA_TYPES: Final = frozenset(
    {"", "text/plain", "application/octet-stream", "binary/octet-stream", "application/unknown", "unknown/unknown"}
)
#: How many leading bytes :func:`is_html` and the binary sniffing look at.
SNIFF_BYTES: Final = 1024

# Signatures of common non-HTML bodies met while crawling news sites.
BINARY_SIGNATURES: Final = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"RIFF", "RIFF media (WebP, WAV, AVI)"),
    (b"PK\x03\x04", "ZIP archive (or DOCX, XLSX, EPUB)"),
    (b"\x1f\x8b", "gzip data (undecoded Content-Encoding?)"),
    (b"\x28\xb5\x2f\xfd", "zstd data (undecoded Content-Encoding?)"),
    (b"\xd0\xcf\x11\xe0", "OLE document (DOC, XLS)"),
    (b"ID3", "MP3 audio"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
)
_HTML_START_MARKERS: Final = (b"<!doctype html", b"<html", b"<head", b"<body")
_PREAMBLE_MARKERS: Final = (b"<?xml", b"<!--")
UTF16_BOMS: Final = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def media_type(content_type: str | None) -> str:
    """Return the lower-case ``type/subtype`` of a Content-Type value ("" if none)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _sniff_window(body_start: bytes) -> bytes:
    """Return the lower-cased start of a body, decoded from UTF-16 if it has that BOM, BOM and blanks stripped."""
    window = body_start[: SNIFF_BYTES * 2]
    for bom, codec in UTF16_BOMS.items():
        if window.startswith(bom):
            window = window[len(bom) :].decode(codec, "ignore").encode("ascii", "ignore")
            break
    return window.removeprefix(b"\xef\xbb\xbf").lstrip()[:SNIFF_BYTES].lower()


def is_html(mime: str | None, body_start: bytes) -> bool:
    """Tell whether a response is an HTML document, from its MIME type and first bytes.

    ``text/html`` and ``application/xhtml+xml`` (parameters ignored) are
    HTML. When the MIME type is missing, ``text/plain`` or
    ``application/octet-stream``, the body is sniffed: after a byte order mark
    and white space it must start with ``<!doctype html``, ``<html``,
    ``<head`` or ``<body`` (case-insensitive), possibly after an XML
    declaration or comments, within the first :data:`SNIFF_BYTES` bytes.
    Any other MIME type (``application/pdf``, ``image/png``, ...) is not HTML.
    """
    kind = media_type(mime)
    if kind in HTML_MEDIA_TYPES:
        return True
    if kind not in UNINFORMATIVE_MEDIA_TYPES:
        return False
    window = _sniff_window(body_start)
    if window.startswith(_HTML_START_MARKERS):
        return True
    if window.startswith(_PREAMBLE_MARKERS):
        return any(marker in window for marker in _HTML_START_MARKERS)
    return False
