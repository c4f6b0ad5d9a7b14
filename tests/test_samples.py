"""The stored outlet samples (fundus style): every article extracts as expected, every
listing, feed and sitemap links where it should, and the sample WARCs build and read back.

The samples, their manifests and the WARC builder are described in
tests/make_sample_warcs.py.
"""

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from lxml import etree

from archive.extract.comments import extract_comments
from archive.sources import load_config
from archive.extract.article import extract
from archive.extract.siterules import parse_html
from archive.warc.read import iter_records
from tests.make_sample_warcs import SAMPLES_DIR, SampleOutlet, SamplePage, build_sample_warcs, extract_sample, load_registry

REGISTRY = load_registry()
ARTICLES = [(outlet, page) for outlet in REGISTRY.values() for page in outlet.articles()]
LINKING = [(outlet, page) for outlet in REGISTRY.values() for page in outlet.pages if page.links or page.pagination]
COMPARED = ("title", "author", "published", "language")
SOURCES_FILE = Path(__file__).resolve().parents[1] / "config" / "sources.yaml"


def _ids(pairs: list[tuple[SampleOutlet, SamplePage]]) -> list[str]:
    return [page.id for _, page in pairs]


def differences(extraction: object, expected: dict) -> dict[str, tuple[object, object]]:
    """Fields of ``extraction`` that differ from the expected JSON (text by its first and last sentence)."""
    found = {name: (getattr(extraction, name), expected[name]) for name in COMPARED}
    text = extraction.text.strip()  # type: ignore[attr-defined]
    found["first_sentence"] = (text[: len(expected["first_sentence"])], expected["first_sentence"])
    found["last_sentence"] = (text[-len(expected["last_sentence"]) :], expected["last_sentence"])
    return {name: pair for name, pair in found.items() if pair[0] != pair[1]}


# -- the registry ---------------------------------------------------------


def test_registry_covers_every_configured_source() -> None:
    configured = {source.name for source in load_config(SOURCES_FILE).sources}
    assert {outlet.source for outlet in REGISTRY.values()} == configured
    assert len(ARTICLES) == 8


def test_samples_stay_small() -> None:
    total = sum(path.stat().st_size for path in SAMPLES_DIR.rglob("*") if path.is_file())
    assert total < 1_000_000


def test_every_outlets_rules_are_valid() -> None:
    for outlet in REGISTRY.values():
        outlet.rules()  # raises ValueError naming the key otherwise


# -- articles ----------------------------------------------------------------


@pytest.mark.parametrize(("outlet", "page"), ARTICLES, ids=_ids(ARTICLES))
def test_article_extraction(outlet: SampleOutlet, page: SamplePage) -> None:
    expected = page.expected()
    result, path = extract_sample(outlet, page)
    assert differences(result, expected) == {}
    assert path == expected["path"]
    assert result.text.count("Posted by:") == 0
    assert "Posted by:" not in result.text and "\n\n\n" not in result.text


@pytest.mark.parametrize(("outlet", "page"), ARTICLES, ids=_ids(ARTICLES))
def test_what_trafilatura_alone_gets_wrong(outlet: SampleOutlet, page: SamplePage) -> None:
    """Each expected JSON lists the fields trafilatura alone gets wrong on that page (a
    date without its time, a title or boilerplate in the text, a missing author): what
    the outlet's rules are there to fix. When trafilatura changes, this fails, and the
    list (and perhaps a rule) must be revisited."""
    raw = extract(page.body(), page.url, page.content_type)
    expected = page.expected()
    assert sorted(differences(raw, expected)) == expected["trafilatura_alone_wrong"]
    if expected["trafilatura_alone_wrong"]:
        assert expected["path"] != "trafilatura"


def test_svpressa_dates_need_the_rules() -> None:
    """trafilatura (htmldate) finds the day of a Russian date but drops its time and zone."""
    outlet = REGISTRY["svpressa"]
    for page in outlet.articles():
        raw = extract(page.body(), page.url, page.content_type)
        assert raw.published == page.expected()["published"][:10]


def test_moon_of_alabama_comments() -> None:
    outlet = REGISTRY["moonofalabama"]
    (page,) = outlet.articles()
    expected = page.expected()
    comments = extract_comments(page.body(), page.content_type)
    assert len(comments) == expected["comment_count"]
    assert {"author": comments[0].author, "posted": comments[0].posted, "rank": comments[0].rank} == expected[
        "first_comment"
    ]
    result, _ = extract_sample(outlet, page)
    assert sum(len(c.text) for c in comments) > 10 * len(result.text)
    assert not any(c.text.split("\n")[0] in result.text for c in comments)


# -- listings, feeds, sitemaps ---------------------------------------------


def linked_urls(page: SamplePage) -> set[str]:
    """Every URL a page links to, absolute."""
    body = page.body()
    if page.kind == "feed":
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.get("bozo_exception")
        return {link.href for entry in feed.entries for link in entry.links}
    if page.kind == "sitemap":
        tree = etree.fromstring(body)
        return {loc.text.strip() for loc in tree.iterfind("{http://www.sitemaps.org/schemas/sitemap/0.9}url/{*}loc")}
    tree = parse_html(body, page.content_type)
    return {urljoin(page.url, href) for href in tree.xpath("//a/@href")}


@pytest.mark.parametrize(("outlet", "page"), LINKING, ids=_ids(LINKING))
def test_listings_feeds_and_sitemaps_link_the_articles_and_next_pages(outlet: SampleOutlet, page: SamplePage) -> None:
    urls = linked_urls(page)
    assert set(page.links) <= urls
    assert set(page.pagination) <= urls


def test_every_article_is_reachable_from_a_listing_feed_or_sitemap() -> None:
    for outlet in REGISTRY.values():
        linked = {url for page in outlet.pages for url in page.links}
        for page in outlet.articles():
            assert page.url in linked, page.id


def test_listed_urls_match_the_sources_url_rules() -> None:
    """What the samples link to is what config/sources.yaml calls articles and pages to follow."""
    sources = {source.name: source for source in load_config(SOURCES_FILE).sources}
    for outlet in REGISTRY.values():
        source = sources[outlet.source]
        for page in outlet.pages:
            for url in page.links:
                if any(host in url for host in ("svpressa.ru/all/", "/category/")):
                    continue
                if urlsplit(url).path in ("", "/"):  # a home page in a sitemap
                    continue
                assert source.is_article_url(source.url_form.canonical(url)), url  # http, queries: as discovery sees them
            for url in page.pagination:
                assert any(p.search(source.url_form.canonical(url)) for p in source.follow_pattern), url


# -- WARCs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_warcs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_sample_warcs(tmp_path_factory.mktemp("warcs"))


def test_one_warc_per_outlet(sample_warcs: dict[str, Path]) -> None:
    assert set(sample_warcs) == set(REGISTRY)
    for name, path in sample_warcs.items():
        assert re.fullmatch(rf"samples-{name}-\d{{17}}-00000-0~samples\.warc\.gz", path.name)


def test_warcs_hold_every_page_at_its_url(sample_warcs: dict[str, Path]) -> None:
    for name, path in sample_warcs.items():
        records = list(iter_records(path))
        assert [r.record_type for r in records[:1]] == ["warcinfo"]
        responses = {r.url: r for r in records if r.record_type == "response"}
        outlet = REGISTRY[name]
        assert set(responses) == {page.url for page in outlet.pages}
        assert len([r for r in records if r.record_type == "request"]) == len(outlet.pages)
        for page in outlet.pages:
            record = responses[page.url]
            assert record.status == 200
            assert record.body == page.body()
            assert record.mime == page.content_type.split(";")[0]
            assert record.header("Content-Encoding") == page.content_encoding
            assert record.captured_at is not None and record.captured_at.startswith(
                outlet.captured_at.strftime("%Y-%m-%dT%H:%M")
            )


def test_warcs_pass_warcio_check(sample_warcs: dict[str, Path]) -> None:
    from warcio.cli import main as warcio_main

    with pytest.raises(SystemExit) as exit_:
        warcio_main(["check", *map(str, sample_warcs.values())])
    assert exit_.value.code == 0


def test_gzip_encoded_pages_are_stored_encoded(sample_warcs: dict[str, Path]) -> None:
    (record,) = [
        r for r in iter_records(sample_warcs["moonofalabama"]) if r.record_type == "response" and r.header("Content-Encoding")
    ]
    assert record.raw_body is not None and record.raw_body[:2] == b"\x1f\x8b"
    assert record.body is not None and b"Posted by:" in record.body


def test_warcs_are_deterministic(sample_warcs: dict[str, Path], tmp_path: Path) -> None:
    again = build_sample_warcs(tmp_path)
    for name, path in sample_warcs.items():
        assert again[name].name == path.name
        assert again[name].read_bytes() == path.read_bytes()


def test_building_twice_into_one_folder_is_refused(sample_warcs: dict[str, Path]) -> None:
    folder = next(iter(sample_warcs.values())).parent
    with pytest.raises(FileExistsError):
        build_sample_warcs(folder)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.make_sample_warcs import main

    assert main([str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted(REGISTRY)
    assert main([str(tmp_path)]) == 1
