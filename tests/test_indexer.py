"""The indexer on WARC files written by our own writer: which captures become
pages, crawl metadata applied, newest capture wins whatever the file order."""

from __future__ import annotations

import gzip
import itertools
from datetime import datetime, timedelta, timezone

import pytest

from archive.index.store import Index
from archive.index.indexer import Indexer
from archive.search.search import SearchQuery, search
from archive.warc.write import RollingWarcWriter

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
ARTICLE = (
    "<html lang='{lang}'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "<p>{sentence}</p>" * 6
    + "</article></body></html>"
)


def article(title: str, sentence: str, lang: str = "en") -> bytes:
    return ARTICLE.format(title=title, sentence=sentence, lang=lang).encode()


class Ids:
    def __init__(self, prefix: str):
        self.counter = itertools.count(1)
        self.prefix = prefix

    def __call__(self) -> str:
        return f"<urn:uuid:{self.prefix}-0000-4000-8000-{next(self.counter):012d}>"


def write(directory, prefix, exchanges, *, start=T0, ids="00000000"):
    clock = iter(start + timedelta(seconds=i) for i in itertools.count())
    with RollingWarcWriter(directory, prefix, record_id_factory=Ids(ids), clock=lambda: next(clock), hostname="h", pid=1) as writer:
        for url, status, headers, body, role in exchanges:
            writer.write_exchange(
                url=url, method="GET", request_headers=[("User-Agent", "t")], request_body=b"",
                status=status, reason="OK", protocol="HTTP/1.1", response_headers=headers, body=body,
                metadata=[("source", prefix), ("role", role)] if role else None,
            )
    return writer.files_written


HTML = [("Content-Type", "text/html; charset=utf-8")]


@pytest.fixture
def index():
    with Index() as idx:
        yield idx


def test_roles_statuses_and_types_decide_what_becomes_a_page(tmp_path, index):
    write(tmp_path, "site", [
        ("https://a.example/", 200, HTML, article("Home", "Front page of the site with many links."), "listing"),
        ("https://a.example/news/1.html", 200, HTML, article("Floods in Dhaka", "Heavy rain flooded the streets of Dhaka on Monday morning."), "article"),
        ("https://a.example/news/2.html", 200, HTML + [("Content-Encoding", "gzip")],
         gzip.compress(article("Гречиха", "Фермеры Алтайского края собрали рекордный урожай гречихи в этом году.", "ru")), "article"),
        ("https://a.example/news/3.html", 404, HTML, b"<html>gone</html>", "article"),
        ("https://a.example/report.pdf", 200, [("Content-Type", "application/pdf")], b"%PDF-1.4 ...", "article"),
        ("https://a.example/empty.html", 200, HTML, b"", "article"),
        ("https://a.example/old", 301, [("Location", "/news/1.html")], b"", "article"),
    ])
    with Indexer(index, workers=0) as indexer:
        stats = indexer.index_directory(tmp_path)
    assert stats.files == 1 and stats.captures == 7 and stats.pages == 2 and not stats.failures
    pages = {p["url"]: p for p in index.query("SELECT * FROM pages")}
    assert set(pages) == {"https://a.example/news/1.html", "https://a.example/news/2.html"}
    assert pages["https://a.example/news/2.html"]["language"] == "ru"
    assert pages["https://a.example/news/2.html"]["title"] == "Гречиха"
    assert pages["https://a.example/news/1.html"]["source"] == "site"
    roles = dict(index.db.execute("SELECT url, role FROM captures").fetchall())
    assert roles["https://a.example/"] == "listing" and roles["https://a.example/news/1.html"] == "article"
    (redirect,) = index.query("SELECT * FROM captures WHERE status = 301")
    assert redirect["redirect_to"] == "https://a.example/news/1.html"


def test_captures_without_crawl_metadata_are_extracted_and_named_by_domain(tmp_path, index):
    write(tmp_path, "other", [("https://b.example/x", 200, HTML, article("Other tool", "A page captured by another tool entirely."), None)])
    with Indexer(index, workers=0, source_for_url=lambda url: "bee" if "b.example" in url else None) as indexer:
        indexer.index_directory(tmp_path)
    (page,) = index.query("SELECT * FROM pages")
    assert page["source"] == "bee" and page["title"] == "Other tool"


def test_a_page_keeps_its_newest_capture_whatever_the_file_order(tmp_path):
    url = "https://a.example/news/1.html"
    old_dir, new_dir = tmp_path / "one", tmp_path / "two"
    # the newer capture sits in the file whose name sorts first
    write(new_dir, "a-site", [(url, 200, HTML, article("Edited title", "The edited text of the story."), "article")], start=T0 + timedelta(days=1), ids="11111111")
    write(old_dir, "b-site", [(url, 200, HTML, article("First title", "The first text of the story."), "article")], ids="22222222")
    results = []
    for order in ([new_dir, old_dir], [old_dir, new_dir]):
        with Index() as index, Indexer(index, workers=0) as indexer:
            for directory in order:
                indexer.index_directory(directory)
            (page,) = index.query("SELECT title, first_captured, last_captured FROM pages")
            results.append(page)
    assert results[0] == results[1]
    assert results[0]["title"] == "Edited title"
    assert results[0]["first_captured"] == "2024-03-01T12:00:00Z"
    assert results[0]["last_captured"] == "2024-03-02T12:00:00Z"


def test_a_file_indexed_twice_is_skipped_and_a_pool_gives_the_same_pages(tmp_path):
    exchanges = [
        (f"https://a.example/news/{n}.html", 200, HTML, article(f"Story {n}", f"Story number {n} tells about the harbour and its ships."), "article")
        for n in range(6)
    ]
    write(tmp_path, "site", exchanges)
    outcomes = []
    for workers in (0, 2):
        with Index() as index, Indexer(index, workers=workers) as indexer:
            first = indexer.index_directory(tmp_path)
            second = indexer.index_directory(tmp_path)
            assert first.files == 1 and second.files == 0 and second.skipped == 1
            outcomes.append(index.query("SELECT url, title, language, text FROM pages ORDER BY url"))
    assert outcomes[0] == outcomes[1] and len(outcomes[0]) == 6


def test_search_filters(tmp_path, index):
    write(tmp_path, "site", [
        ("https://a.example/news/1.html", 200, HTML, article("Protesters gather", "Thousands of protesters gathered in the square on Sunday."), "article"),
        ("https://a.example/news/2.html", 200, HTML, article("Казахстан", "В Казахстане прошли выборы в парламент страны.", "ru"), "article"),
        ("https://a.example/news/3.html", 200, HTML, article("Covid-19 update", "The covid-19 figures were published by the ministry."), "article"),
    ])
    with Indexer(index, workers=0) as indexer:
        indexer.index_directory(tmp_path)

    def urls(**kwargs):
        return [r["url"] for r in search(index, SearchQuery(**kwargs)).rows]

    assert urls(text="protesters square") == ["https://a.example/news/1.html"]
    assert urls(text='"gathered in the square"') == ["https://a.example/news/1.html"]
    assert urls(text="protest*") == ["https://a.example/news/1.html"]
    assert urls(text="covid-19") == ["https://a.example/news/3.html"]  # not FTS syntax: plain words
    assert urls(text="Казахстане") == ["https://a.example/news/2.html"]
    assert urls(text="", languages=("ru",)) == ["https://a.example/news/2.html"]
    assert len(urls(text="", since="2024-03-01", until="2024-03")) == 3
    assert urls(text="", since="2024-03-02") == []
    assert urls(text="", until="2024-02") == []
    assert urls(text="", sources=("nope",)) == []
    assert urls(text="", url_prefix="https://a.example/news/3") == ["https://a.example/news/3.html"]


def test_a_byline_source_keeps_only_its_authors_pieces(tmp_path, index):
    from archive.sources import ExtractionOptions

    def by(author, title):
        page = article(title, "A long column about the multipolar world and the future of trade corridors across Eurasia.")
        return page.replace(b"<article>", f"<article><p class='byline'>By {author}</p>".encode()).replace(
            b"<head>", f"<head><meta name='author' content='{author}'>".encode())

    write(tmp_path, "col", [
        ("https://a.example/c/1", 200, HTML, by("Pepe Escobar", "The long game"), "article"),
        ("https://a.example/c/2", 200, HTML, by("Someone Else", "Another view"), "article"),
    ])
    with Indexer(index, workers=0, source_options={"col": ExtractionOptions(byline="Pepe Escobar")}) as indexer:
        stats = indexer.index_directory(tmp_path)
    assert [p["url"] for p in index.query("SELECT url FROM pages")] == ["https://a.example/c/1"]
    assert stats.captures == 2  # both archived; only his is an article of the source


def test_the_extraction_workers_reduce_the_words_not_the_indexing_process(tmp_path, index, monkeypatch):
    from archive.search import normalise as textnorm

    write(tmp_path, "site", [
        ("https://a.example/news/1.html", 200, HTML, article("Казахстан", "В Казахстане прошли выборы в парламент страны.", "ru"), "article"),
        ("https://a.example/news/2.html", 200, HTML, article("Protesters gather", "Thousands of protesters gathered in the square."), "article"),
    ])
    textnorm.normaliser()._cache.clear()

    def not_here(self, word):
        raise AssertionError(f"the indexing process reduced {word!r}: the workers should have")

    monkeypatch.setattr(textnorm.Normaliser, "_reduce", not_here)  # this process only: workers come from a fresh forkserver
    with Indexer(index, workers=1) as indexer:
        assert indexer.index_directory(tmp_path).pages == 2
    # (words the index holds: a search needs no reduction either)
    assert [r["url"] for r in search(index, SearchQuery(text="Казахстан выборы")).rows] == ["https://a.example/news/1.html"]
    assert [r["url"] for r in search(index, SearchQuery(text="gathered protesters")).rows] == ["https://a.example/news/2.html"]


def test_the_process_writing_the_index_never_loads_the_extractor(tmp_path):
    """Extraction is the workers': the indexing process loading trafilatura
    and its models as well would cost every reindex and import a second of
    CPU and tens of MB for nothing."""
    import subprocess
    import sys

    write(tmp_path / "warcs", "site", [
        ("https://a.example/news/1.html", 200, HTML, article("Floods in Dhaka", "Heavy rain flooded the streets."), "article"),
    ])
    code = (
        "import sys\n"
        "from archive.index.indexer import Indexer\n"
        "from archive.index.store import Index\n"
        "with Index() as index, Indexer(index, workers=1) as indexer:\n"
        f"    assert indexer.index_directory({str(tmp_path / 'warcs')!r}).pages == 1\n"
        "heavy = {'trafilatura', 'py3langid', 'simplemma', 'justext', 'htmldate'} & set(sys.modules)\n"
        "sys.exit(f'loaded: {sorted(heavy)}' if heavy else 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]


def test_captures_without_a_role_are_articles_only_by_their_sources_patterns(tmp_path):
    """An imported file (or --from-warc) holds no crawl metadata: its front
    page and listings are not articles when the source's article_pattern
    says so, whatever trafilatura would find on them."""
    from archive.index.ingest import Ingest
    from archive.paths import DataDir
    from archive.sources import parse_config

    config = parse_config(
        "sources:\n"
        "  - name: svpressa\n"
        "    start_urls: ['https://svpressa.ru/']\n"
        "    article_pattern: ['/[a-z0-9]+/(news|article)/\\d+/$']\n"
        "  - name: plain\n"
        "    start_urls: ['https://plain.example/']\n"
    )
    listing = article("Свободная пресса", "Главные новости дня и статьи обозревателей, все разделы сайта.", "ru")
    story = article("Гречиха", "Фермеры Алтайского края собрали рекордный урожай гречихи в этом году.", "ru")
    files = write(tmp_path / "other", "other", [
        ("https://svpressa.ru/", 200, HTML, listing, None),
        ("https://svpressa.ru/all/news/", 200, HTML, listing, None),
        ("https://svpressa.ru/economy/article/123/", 200, HTML, story, None),
        ("https://plain.example/any/page", 200, HTML, story, None),  # no article_pattern: every page
    ])
    data = DataDir(tmp_path / "data")
    with Ingest(data, config=config, workers=0) as ingest:
        (outcome,) = ingest.import_files(files)
        ingest.finish()
    with Index(data.index_path) as index:
        pages = sorted(row["url"] for row in index.query("SELECT url FROM pages"))
    assert pages == ["https://plain.example/any/page", "https://svpressa.ru/economy/article/123/"]
    assert outcome.result.not_extracted == {"not an article by its source's article_pattern": 2}


def test_imported_captures_are_indexed_under_their_sources_canonical_url(tmp_path):
    """Another tool's WARC names an article as it was linked: over http, with
    a tracking query, without the trailing slash. The index files every
    capture under the one canonical URL the crawler itself requests, so an
    imported capture and a crawled one are versions of one page, and the
    source's article_pattern (written for that form) decides its role. The
    capture keeps the URL its WARC record names, for replay."""
    from archive.index.ingest import Ingest
    from archive.paths import DataDir
    from archive.sources import parse_config

    config = parse_config(
        "sources:\n"
        "  - name: svpressa\n"
        "    start_urls: ['https://svpressa.ru/']\n"
        "    article_pattern: ['^https://svpressa\\.ru/[a-z0-9]+/(news|article)/\\d+/$']\n"
        "    keep_query: [page]\n"
        "    trailing_slash: add\n"
    )
    first = article("Гречиха", "Фермеры Алтайского края собрали рекордный урожай гречихи в этом году.", "ru")
    edited = article("Гречиха", "Фермеры Алтайского края собрали небывалый урожай гречихи в этом году.", "ru")
    canonical = "https://svpressa.ru/economy/article/123/"
    imported = write(tmp_path / "other", "other", [
        ("http://svpressa.ru/economy/article/123?rpop=1", 200, HTML, first, None),
    ])
    crawled = write(tmp_path / "ours", "svpressa", [(canonical, 200, HTML, edited, "article")],
                    start=T0 + timedelta(days=1), ids="11111111")
    data = DataDir(tmp_path / "data")
    for files in (imported, crawled):
        with Ingest(data, config=config, workers=0) as ingest:
            ingest.import_files(files)
            ingest.finish()
        with Index(data.index_path) as index:
            replayed_by = index.record_urls([canonical])
        if files is imported:  # replay finds the imported record by the URL it names
            assert replayed_by == {canonical: "http://svpressa.ru/economy/article/123?rpop=1"}
    assert replayed_by == {}  # the newest capture is the crawl's own, at the canonical URL
    with Index(data.index_path) as index:
        pages = index.query("SELECT url, versions FROM pages")
        captures = index.query("SELECT url, target_uri FROM captures WHERE record_type = 'response' ORDER BY captured_at")
    assert pages == [{"url": canonical, "versions": 2}]
    assert captures == [
        {"url": canonical, "target_uri": "http://svpressa.ru/economy/article/123?rpop=1"},
        {"url": canonical, "target_uri": None},
    ]
