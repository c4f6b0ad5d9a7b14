"""archive.extract.comments: Typepad inline comments found by their footer, extracted and stripped."""

import json
import re
from pathlib import Path

import pytest

from archive.extract.comments import FOOTER_RE, extract_comments, remove_comments, strip_comments
from archive.extract.article import extract
from archive.extract.siterules import parse_html

SAMPLES = Path(__file__).resolve().parent / "samples" / "moonofalabama"
MOA_PAGE = SAMPLES / "kazakhstan-riots-requests-and-a-rapid-response.html"
MOA_EXPECTED = json.loads((SAMPLES / "kazakhstan-riots-requests-and-a-rapid-response.json").read_text(encoding="utf-8"))
URL = "https://www.moonofalabama.org/2022/01/a-post.html"

POST = [
    "The unrest that began four days ago over a doubling of the price of liquefied gas has taken a turn that few had expected.",
    "What started as peaceful protests in the oil town in the west of the country spread within two days to the largest city, "
    "where well organized groups stormed the mayor's office, set fire to the residence and occupied the airport.",
    "The request for help to the alliance is a first, and the answer came within hours, which tells us something about the "
    "stakes for the neighbours at a time of difficult talks elsewhere.",
    "It is too early to say who organized the violence and why; clan fights within the elite are one plausible explanation.",
]
COMMENT_TEXTS = [
    ["Thanks b, a sober summary of a very confusing week.", "The speed of the decision surprised me more than anything."],
    ["Does anyone know where the weapons taken from the police stations have gone?"],
    ["The gas price was only the trigger, the anger about inequality has been building for years."],
]
AUTHORS = ["Jen", "Lurker from Lyon", "old hand"]
TIMES = ["Jan 5 2022 15:58 utc", "Jan 5 2022 16:20 utc", "Jan 6 2022 0:03 utc"]
POSTED = ["2022-01-05T15:58:00+00:00", "2022-01-05T16:20:00+00:00", "2022-01-06T00:03:00+00:00"]


def footer(i: int) -> str:
    return (
        f'Posted by: <a href="https://example.net/" rel="nofollow">{AUTHORS[i]}</a> | '
        f'<a href="{URL}?cid=6a00d8341c640e53ef0{i}{"0" * 20}#comment-6a00d8341c640e53ef0{i}{"0" * 20}">{TIMES[i]}</a> | {i + 1}'
    )


def cid(i: int) -> str:
    return f"6a00d8341c640e53ef0{i}{'0' * 20}"


def paragraphs(texts: list[str]) -> str:
    return "\n".join(f"<p>{t}</p>" for t in texts)


def page(comments_html: str, n: int = 3) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Moon of Alabama: A Post</title></head>
<body><div id="banner"><h1><a href="/">Moon of Alabama</a></h1></div>
<div id="content"><div class="blog">
<h2 class="date">January 05, 2022</h2>
<div class="blogbody"><h3 class="title">A Post</h3>
{paragraphs(POST)}
<div class="posted">Posted by b on January 5, 2022 at 15:46 UTC | <a href="{URL}">Permalink</a></div>
</div>
{comments_html}
</div></div>
<div id="links"><div class="sidetitle">Archives</div><a href="/2022/01/index.html">January 2022</a></div>
</body></html>"""


def mt_classic(n: int = 3) -> str:
    return page(
        '<div class="comments-head"><a name="comments"></a>Comments</div>\n'
        + "\n".join(
            f'<a id="c{cid(i)}"></a>\n<div class="comments-body">\n{paragraphs(COMMENT_TEXTS[i])}\n'
            f'<span class="comments-post">{footer(i)}</span>\n</div>'
            for i in range(n)
        )
    )


def typepad_standard(n: int = 3) -> str:
    return page(
        '<div class="comments" id="comments"><h3 class="comments-header">Comments</h3><div class="comments-content">\n'
        + "\n".join(
            f'<a id="c{cid(i)}"></a>\n<div class="comment" id="comment-{cid(i)}">\n'
            f'<div class="comment-content">{paragraphs(COMMENT_TEXTS[i])}</div>\n'
            f'<p class="comment-footer">{footer(i)}</p>\n</div>'
            for i in range(n)
        )
        + "\n</div></div>"
    )


def flat(n: int = 3, anchors: bool = True) -> str:
    return page(
        "\n".join(
            (f'<a id="c{cid(i)}"></a>\n' if anchors else "") + f'{paragraphs(COMMENT_TEXTS[i])}\n<p class="posted">{footer(i)}</p>'
            for i in range(n)
        )
    )


def neutral_classes(n: int = 3) -> str:
    return mt_classic(n).replace('class="comments-body"', 'class="reader-note"').replace(
        'class="comments-post"', 'class="byline"'
    ).replace('class="comments-head"', 'class="section-head"')


MARKUPS = {
    "mt-classic": mt_classic,
    "typepad-standard": typepad_standard,
    "flat": flat,
    "flat-without-anchors": lambda n=3: flat(n, anchors=False),
    "neutral-classes": neutral_classes,
}


# -- the stored Moon of Alabama post ----------------------------------------


def test_the_sample_post_has_its_hundred_comments_in_order() -> None:
    comments = extract_comments(MOA_PAGE.read_bytes(), "text/html; charset=utf-8")
    assert len(comments) == MOA_EXPECTED["comment_count"] == 100
    assert [c.rank for c in comments] == list(range(1, 101))
    for comment, key in ((comments[0], "first_comment"), (comments[-1], "last_comment")):
        assert {"author": comment.author, "posted": comment.posted, "rank": comment.rank} == MOA_EXPECTED[key]
    assert all(c.posted and c.posted.endswith("+00:00") for c in comments)
    assert [c.posted for c in comments] == sorted(c.posted for c in comments)
    assert all(re.fullmatch(r"6a00d8341c640e53ef[0-9a-f]{20}", c.comment_id or "") for c in comments)
    assert all(c.text and "Posted by" not in c.text for c in comments)
    assert sum(len(c.text) for c in comments) > 10 * len(" ".join(POST))


def test_stripping_the_sample_post_keeps_the_post_and_drops_every_comment() -> None:
    body = MOA_PAGE.read_bytes()
    stripped = strip_comments(body, "text/html; charset=utf-8")
    assert isinstance(stripped, bytes) and len(stripped) < len(body) / 3
    assert b"Posted by:" not in stripped and b"comments-body" not in stripped
    assert b"Posted by b on January 5, 2022" in stripped
    assert extract_comments(stripped) == []
    text = extract(stripped, URL, "text/html; charset=utf-8").text
    assert text.endswith(MOA_EXPECTED["last_sentence"])


# -- markup variants ---------------------------------------------------------


@pytest.mark.parametrize("markup", MARKUPS)
def test_comments_are_found_by_their_footer_whatever_the_markup(markup: str) -> None:
    comments = extract_comments(MARKUPS[markup]())
    assert [c.author for c in comments] == AUTHORS
    assert [c.posted for c in comments] == POSTED
    assert [c.rank for c in comments] == [1, 2, 3]
    assert [c.text for c in comments] == ["\n".join(texts) for texts in COMMENT_TEXTS]
    if markup not in ("flat-without-anchors", "neutral-classes"):
        assert [c.comment_id for c in comments] == [cid(i) for i in range(3)]


@pytest.mark.parametrize("markup", MARKUPS)
def test_stripped_pages_keep_the_whole_post(markup: str) -> None:
    html = MARKUPS[markup]()
    stripped = strip_comments(html)
    assert isinstance(stripped, str)
    tree = parse_html(stripped)
    assert [" ".join(p.text_content().split()) for p in tree.xpath("//div[@class='blogbody']/p")] == POST
    assert "Posted by b on January 5, 2022" in stripped
    for texts in COMMENT_TEXTS:
        assert texts[0] not in stripped
    assert "Posted by:" not in stripped
    assert "January 2022" in stripped  # the sidebar is not the extractor's business here


@pytest.mark.parametrize("markup", MARKUPS)
def test_a_single_comment_is_removed_without_the_post(markup: str) -> None:
    html = MARKUPS[markup](1)
    tree = parse_html(html)
    assert remove_comments(tree) == 1
    text = tree.text_content()
    assert all(sentence in text for sentence in POST)
    assert COMMENT_TEXTS[0][0] not in text


@pytest.mark.parametrize("markup", ["flat", "flat-without-anchors", "neutral-classes"])
def test_trafilatura_takes_comments_in_unmarked_containers_and_stripping_fixes_it(markup: str) -> None:
    # Comments many times longer than the post, in markup whose classes do not say "comment".
    html = MARKUPS[markup]().replace(
        "</p>\n<p class=", " " + " ".join(COMMENT_TEXTS[0] * 8) + "</p>\n<p class="
    )
    raw = extract(html.encode(), URL, "text/html; charset=utf-8").text
    assert "inequality" in raw  # trafilatura alone keeps comments
    clean = extract(strip_comments(html.encode(), "text/html; charset=utf-8"), URL, "text/html; charset=utf-8").text
    assert "inequality" not in clean and "Posted by:" not in clean
    assert POST[-1] in clean


def test_trafilatura_drops_comments_in_containers_named_comment() -> None:
    for markup in ("mt-classic", "typepad-standard"):
        text = extract(MARKUPS[markup]().encode(), URL, "text/html; charset=utf-8").text
        assert "inequality" not in text


# -- encodings and no-ops ---------------------------------------------------


def test_bytes_keep_their_encoding() -> None:
    html = mt_classic().replace(POST[0], "Le café du matin coûte 3 € à Almaty.").replace('charset="utf-8"', 'charset="windows-1252"')
    body = html.encode("windows-1252")
    stripped = strip_comments(body, "text/html; charset=windows-1252")
    assert "Le café du matin coûte 3 € à Almaty.".encode("windows-1252") in stripped
    assert extract(stripped, URL, "text/html; charset=windows-1252").encoding == "windows-1252"


def test_characters_the_encoding_lacks_become_references() -> None:
    html = mt_classic().replace(COMMENT_TEXTS[0][0], "Привет").replace(POST[0], POST[0] + " \ufffd")
    body = html.replace('charset="utf-8"', 'charset="iso-8859-1"').encode("latin-1", errors="replace")
    assert b"Posted by:" not in strip_comments(body, "text/html; charset=iso-8859-1")


def test_a_page_without_comments_is_returned_as_is() -> None:
    body = page("").encode()
    assert strip_comments(body) is body
    assert extract_comments(body) == []


@pytest.mark.parametrize(
    ("line", "author", "posted", "rank"),
    [
        ("Posted by: Jen | Jan 5 2022 21:13 utc | 12", "Jen", "Jan 5 2022 21:13 utc", "12"),
        ("Posted by: Peter AU 1 | Jan 05 2022 9:03 utc | 3", "Peter AU 1", "Jan 05 2022 9:03 utc", "3"),
        ("Posted by: x | Jan 5, 2022 at 9:13 PM | 7", "x", "Jan 5, 2022 at 9:13 PM", "7"),
        ("Posted by: Jen | Jan 5 2022 21:13 utc", "Jen", "Jan 5 2022 21:13 utc", None),
    ],
)
def test_footer_line(line: str, author: str, posted: str, rank: str | None) -> None:
    match = FOOTER_RE.match(line)
    assert match is not None
    assert (match.group("author"), match.group("posted"), match.group("rank")) == (author, posted, rank)


def test_prose_that_mentions_posted_by_is_not_a_footer() -> None:
    html = page('<p>He wrote: "Posted by: someone | yesterday" and left.</p>')
    assert extract_comments(html) == []
    assert strip_comments(html) is html
