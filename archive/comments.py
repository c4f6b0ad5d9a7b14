"""Reader comments printed inline after a post (Typepad: Moon of Alabama).

Typepad pages carry the whole comment thread after the post, and on Moon of
Alabama it is often ten times longer than the post. Each comment ends with a
footer line::

    Posted by: NAME | Jan 5 2022 21:13 utc | 12

(the name and the date are often links; the number is the comment's rank).
This module finds comments by that footer, not by class names alone, so a
template change does not hide them:

* :func:`extract_comments` returns them as :class:`Comment` (author, time in
  UTC as ISO 8601, text, rank, Typepad ID);
* :func:`strip_comments` returns the page without them, for the article
  extractor (``extract(strip_comments(body, content_type), url, ...)``);
* :func:`remove_comments` does the same on an lxml tree in place, for a hook
  inside :func:`archive.extract.extract` right after parsing.

A comment is the footer's closest ancestor carrying the class ``comment``
(Typepad's ``div.comment``); in markup without such wrappers, it is the
footer plus the siblings before it, back to the previous footer. The thread's
container (``#comments``, ``.comments``, ``.comments-content``) goes with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, overload

from lxml import etree
from lxml.html import HtmlElement, tostring

from archive.charset import decode_html
from archive.dates import parse_datetime
from archive.overrides import element_blocks, parse_html

__all__ = ["Comment", "extract_comments", "find_comment_footers", "remove_comments", "strip_comments"]

#: The footer line of a Typepad comment.
FOOTER_RE: Final = re.compile(
    r"^Posted by:\s*(?P<author>.*?)\s*\|\s*"
    r"(?P<posted>[A-Za-z]{3,9}\.? \d{1,2},? \d{4},?(?: at)? \d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?\s*(?:utc|gmt)?)\s*"
    r"(?:\|\s*(?P<rank>\d+)\s*)?$",
    re.IGNORECASE,
)
#: ids and class names of the element holding a whole comment thread.
_THREAD_NAMES: Final = frozenset({"comments", "comments-content", "comment-list", "commentlist", "comments-list"})
#: Text nodes where a footer may start (cheaper than testing every element's whole text).
_FOOTER_START_XPATH: Final = etree.XPath("//text()[contains(., 'Posted by:')]")
_COMMENT_ID_RE: Final = re.compile(r"(?:comment-|^c)([0-9a-f]{16,})$")


@dataclass(frozen=True, slots=True)
class Comment:
    """One reader comment.

    ``posted`` is ISO 8601 in UTC (``"2022-01-05T21:13:00+00:00"``), as
    Typepad prints it; None if unreadable. ``rank`` is the number printed in
    the footer, ``comment_id`` Typepad's ID (``6a00d8...``) when the markup
    has one. ``text`` has one paragraph per line.
    """

    author: str
    posted: str | None
    text: str
    rank: int | None = None
    comment_id: str | None = None


def _classes(element: HtmlElement) -> set[str]:
    return set((element.get("class") or "").split())


def find_comment_footers(tree: HtmlElement) -> list[tuple[HtmlElement, re.Match[str]]]:
    """Every comment footer element of a parsed page, in document order, with its match."""
    footers = []
    seen: set[int] = set()
    for text_node in _FOOTER_START_XPATH(tree):
        element = text_node.getparent()
        # The footer is the innermost element whose whole text is a footer line:
        # from the text's parent upwards ("Posted by:" may be the tail of a <span>).
        while element is not None:
            match = FOOTER_RE.match(" ".join(element.text_content().split()))
            if match:
                break
            element = element.getparent()
            if element is not None and len(element.text_content()) > 500:
                element = None
        if element is not None and id(element) not in seen:
            seen.add(id(element))
            footers.append((element, match))
    return footers


def _comment_element(footer: HtmlElement) -> HtmlElement | None:
    """The footer's closest ancestor with class ``comment``, if any."""
    for ancestor in footer.iterancestors():
        if "comment" in _classes(ancestor):
            return ancestor
        if ancestor.tag in ("body", "html"):
            return None
    return None


def _loose_comment(footer: HtmlElement) -> list[HtmlElement]:
    """Without ``div.comment`` wrappers: the footer's preceding siblings back to the previous footer."""
    parts = []
    for sibling in footer.itersiblings(preceding=True):
        if not isinstance(sibling.tag, str) or FOOTER_RE.match(" ".join(sibling.text_content().split())):
            break
        if sibling.tag in ("a",) and not sibling.text_content().strip():
            break  # Typepad's <a id="c6a00..."></a> anchor opens the comment
        parts.append(sibling)
    return list(reversed(parts))


def _comment_id(elements: list[HtmlElement]) -> str | None:
    for element in elements:
        for candidate in (element, element.getprevious()):
            if candidate is None or not isinstance(candidate.tag, str):
                continue
            for name in (candidate.get("id"), candidate.get("name")):
                match = _COMMENT_ID_RE.search(name or "")
                if match:
                    return match.group(1)
    return None


def _comments_in(tree: HtmlElement) -> list[tuple[list[HtmlElement], HtmlElement, re.Match[str]]]:
    """(elements making up the comment, footer, footer match) for each comment of a page."""
    found = []
    for footer, match in find_comment_footers(tree):
        wrapper = _comment_element(footer)
        elements = [wrapper] if wrapper is not None else [*_loose_comment(footer), footer]
        found.append((elements, footer, match))
    return found


def extract_comments(html: bytes | str, content_type: str | None = None) -> list[Comment]:
    """The reader comments of a Typepad page, in page order (see the module docstring)."""
    tree = parse_html(html, content_type)
    comments = []
    for elements, footer, match in _comments_in(tree):
        blocks: list[str] = []
        for element in elements:
            if element is footer:
                continue
            blocks.extend(_blocks_without(element, footer))
        rank = match.group("rank")
        comments.append(
            Comment(
                author=match.group("author"),
                posted=parse_datetime(match.group("posted"), language="en", timezone="UTC"),
                text="\n".join(blocks),
                rank=int(rank) if rank else None,
                comment_id=_comment_id(elements),
            )
        )
    return comments


def _blocks_without(element: HtmlElement, footer: HtmlElement) -> list[str]:
    """element_blocks of ``element`` leaving out ``footer`` (which may lie inside it)."""
    if footer not in element.iterdescendants():
        return element_blocks(element)
    parent = footer.getparent()
    index = parent.index(footer)
    tail = footer.tail
    parent.remove(footer)
    try:
        return element_blocks(element)
    finally:
        footer.tail = tail
        parent.insert(index, footer)


def _thread_container(element: HtmlElement) -> HtmlElement | None:
    """The outermost ancestor of a comment that is a thread container (by id or class)."""
    container = None
    for ancestor in element.iterancestors():
        if ancestor.tag in ("body", "html"):
            break
        names = _classes(ancestor) | {ancestor.get("id") or ""}
        if names & _THREAD_NAMES:
            container = ancestor
    return container


def remove_comments(tree: HtmlElement) -> int:
    """Remove every comment (and its thread container) from a parsed page in place; return how many."""
    comments = _comments_in(tree)
    doomed: list[HtmlElement] = []
    for elements, _, _ in comments:
        container = _thread_container(elements[0])
        doomed.append(container if container is not None else elements[0])
        doomed.extend(elements)
    removed: set[int] = set()
    for element in doomed:
        if id(element) in removed or any(id(a) in removed for a in element.iterancestors()):
            continue
        if element.getparent() is not None:
            removed.add(id(element))
            element.drop_tree()
    return len(comments)


@overload
def strip_comments(html: bytes, content_type: str | None = None) -> bytes: ...
@overload
def strip_comments(html: str, content_type: str | None = None) -> str: ...


def strip_comments(html: bytes | str, content_type: str | None = None) -> bytes | str:
    """The page without its reader comments; ``html`` itself (unchanged) if it has none.

    ``bytes`` in, ``bytes`` out, in the encoding the page was decoded with
    (``content_type`` as for :func:`archive.charset.decode_html`), so the
    Content-Type header and ``<meta charset>`` stay true; characters the
    encoding cannot hold become character references. ``str`` in, ``str`` out.
    """
    if isinstance(html, bytes):
        text, encoding = decode_html(html, content_type)
    else:
        text, encoding = html, None
    tree = parse_html(text)
    if not remove_comments(tree):
        return html
    doctype = tree.getroottree().docinfo.doctype
    serialised = tostring(tree, encoding="unicode", method="html", doctype=doctype or None)
    if encoding is None:
        return serialised
    try:
        return serialised.encode(encoding, errors="xmlcharrefreplace")
    except LookupError:  # a label Python has no codec for: UTF-8 with a BOM, which decoders obey first
        return b"\xef\xbb\xbf" + serialised.encode("utf-8")
