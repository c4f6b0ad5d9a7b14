"""The real spiders of config/sources.yaml against captures of the outlets:
`crawl --from-warc` over each outlet's sample WARC (pages at their real
URLs) finds the articles on the listing pages and feeds, asks for the
pagination, and indexes each article as its expected JSON says."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.sources import load_config
from tests.indexdb import query as rows
from tests.make_sample_warcs import build_sample_warcs, load_registry

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "sources.yaml"
REGISTRY = load_registry()


@pytest.fixture(scope="module")
def sample_warcs(tmp_path_factory):
    return build_sample_warcs(tmp_path_factory.mktemp("sample-warcs"))


@pytest.fixture(scope="module")
def crawls(sample_warcs, tmp_path_factory):
    """One `crawl --from-warc` per outlet, into its own data directory."""
    results = {}
    for outlet, warc in sample_warcs.items():
        data = tmp_path_factory.mktemp(f"data-{outlet}")
        run = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(CONFIG), "--source", outlet,
             "--from-warc", str(warc), "--data", str(data), "--log-level", "INFO"],
            capture_output=True, text=True, timeout=300, check=False,
        )
        report = json.loads(next((data / "runs").glob("*.json")).read_text()) if (data / "runs").is_dir() else None
        results[outlet] = (run, data, report)
    return results


@pytest.mark.parametrize("outlet", sorted(REGISTRY))
def test_spider_finds_every_article_and_asks_for_pagination(crawls, outlet):
    run, data, report = crawls[outlet]
    assert run.returncode == 0, run.stdout + run.stderr
    (source,) = report["sources"]
    articles = [page.url for page in REGISTRY[outlet].pages if page.kind == "article"]
    missing = set(source["missing_urls"])
    assert not missing & set(articles)  # every article was asked for and served from the archive
    served = {r["url"] for r in rows(data, "SELECT url FROM captures WHERE status = 200")}
    assert set(articles) <= served
    assert source["articles_found"] >= len(articles)
    assert source["served_from_warc"] >= len(articles)
    if outlet == "svpressa":
        assert "https://svpressa.ru/all/news-archive/?page=2" in missing | served  # pagination followed
    if outlet == "thesaker":
        assert "https://thesaker.is/category/guest-analyses/page/3/" in missing | served


MONTHLY_ARCHIVE = re.compile(r"^https://www\.moonofalabama\.org/\d{4}/\d{2}/index\.html$")


def test_a_routine_run_reads_routine_pages_listings_not_the_whole_archive_sidebar(crawls):
    """The front page links every monthly archive since 2004 (196 of them):
    a routine run follows at most routine_pages (5) listings from it."""
    _, data, report = crawls["moonofalabama"]
    (source,) = report["sources"]
    front = next(page for page in REGISTRY["moonofalabama"].pages if page.url == "https://www.moonofalabama.org/")
    sidebar = {url for url in re.findall(r'href="([^"]+)"', front.body().decode()) if MONTHLY_ARCHIVE.match(url)}
    assert len(sidebar) == 196
    asked = set(source["missing_urls"]) | {r["url"] for r in rows(data, "SELECT url FROM captures")}
    listings = {url for url in asked if MONTHLY_ARCHIVE.match(url) or "/page/" in url}
    assert 1 <= len(listings) <= 5, sorted(listings)
    # and the front page is a listing, not an article, though the sample WARC carries no roles
    assert not rows(data, "SELECT url FROM pages WHERE url = ?", ["https://www.moonofalabama.org/"])


def asked_ids_of(source) -> list[str]:
    """The article IDs of the URLs a --from-warc run asked for and the WARC did not hold."""
    return [m.group(1) for url in source["missing_urls"] if (m := re.search(r"/(?:news|article)/(\d+)", url))]


def test_tracking_queries_http_links_and_missing_slashes_ask_for_each_article_once(crawls):
    """svpressa.ru's front page links its articles with ?rpop=1 and the
    like, over http:// (its own <base>) and without the trailing slash:
    every distinct article ID is asked for once, at its one https URL."""
    _, data, report = crawls["svpressa"]
    (source,) = report["sources"]
    front = next(page for page in REGISTRY["svpressa"].pages if page.url == "https://svpressa.ru/")
    linked_ids = set(re.findall(r'href="[^"]*/(?:news|article)/(\d+)', front.body().decode()))
    assert len(linked_ids) == 8
    assert {"321299", "321298"} <= set(asked_ids_of(source))  # linked nowhere else, and only as ?rpop=1 and http://
    in_sample = {re.search(r"/(\d+)/$", page.url).group(1): page.url for page in REGISTRY["svpressa"].articles()}
    asked = [url for url in source["missing_urls"] if re.search(r"/(news|article)/\d+", url)]
    asked_ids = asked_ids_of(source)
    assert len(asked_ids) == len(set(asked_ids)), sorted(asked)  # none asked for twice
    assert all(re.fullmatch(r"https://svpressa\.ru/[a-z0-9]+/(news|article)/\d+/", url) for url in asked), asked
    assert linked_ids <= set(asked_ids) | set(in_sample)  # every one found
    assert not set(asked_ids) & set(in_sample)  # those the sample holds were served, at their one URL


def test_a_backfill_walks_every_month_the_archive_sidebar_lists_and_no_other(sample_warcs, tmp_path):
    data = tmp_path / "data"
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(CONFIG), "--source", "moonofalabama",
         "--from-warc", str(sample_warcs["moonofalabama"]), "--backfill", "--data", str(data), "--log-level", "INFO"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (source,) = json.loads(next((data / "runs").glob("*.json")).read_text())["sources"]
    front = next(page for page in REGISTRY["moonofalabama"].pages if page.url == "https://www.moonofalabama.org/")
    sidebar = {url for url in re.findall(r'href="([^"]+)"', front.body().decode()) if MONTHLY_ARCHIVE.match(url)}
    asked = set(source["missing_urls"]) | {r["url"] for r in rows(data, "SELECT url FROM captures")}
    months = {url for url in asked if MONTHLY_ARCHIVE.match(url)}
    assert sidebar <= months  # every month the site lists
    not_listed = {url for url in months - sidebar if url < "https://www.moonofalabama.org/2022/01/"}
    assert not_listed == set()  # 2009-08 to 2010-11, and before 2004-06: the site has no page for them
    assert "https://www.moonofalabama.org/2010/01/index.html" not in months


def asked_urls(data, source) -> set[str]:
    """Every URL a --from-warc run asked for: served from the sample or missing from it."""
    return set(source["missing_urls"]) | {r["url"] for r in rows(data, "SELECT url FROM captures")}


def test_the_saker_follows_nested_categories_and_latest_articles_but_no_comment_page(crawls):
    """The Saker's menu links nested categories and /latest-articles/; its
    posts are linked over http and https, and with /comment-page-N/ links."""
    _, data, report = crawls["thesaker"]
    (source,) = report["sources"]
    asked = asked_urls(data, source)
    assert {
        "https://thesaker.is/category/breaking-articles/saker-analyses-interviews/",
        "https://thesaker.is/category/breaking-articles/",
        "https://thesaker.is/latest-articles/",
    } <= asked
    assert not [url for url in asked if "comment-page" in url or url.startswith("http://")]
    front = next(page for page in REGISTRY["thesaker"].pages if page.url == "https://thesaker.is/")
    slugs = set(re.findall(r'href="https?://thesaker\.is/([a-z0-9-]+)/(?:comment-page-\d+/)?(?:#[^"]*)?"', front.body().decode()))
    posts = {f"https://thesaker.is/{slug}/" for slug in slugs - {"about", "latest-articles", "feed"}}
    assert len(posts) == 4 and posts <= asked  # each once: at its one https URL


def test_escobar_columns_at_every_url_form_the_sites_use(crawls):
    """thecradle.co's /articles-id/<n>, asiatimes' older
    /YYYY/MM/<section>/<slug>/ and atimes.com/article/<slug>/ are articles."""
    _, data, report = crawls["escobar"]
    (source,) = report["sources"]
    asked = asked_urls(data, source)
    older = {
        "https://thecradle.co/articles-id/24511",
        "https://thecradle.co/articles-id/23990",
        "https://www.asiatimes.com/2019/02/opinion/the-long-road-to-a-multipolar-world/",
        "https://www.atimes.com/article/the-new-silk-roads-go-digital/",
    }
    assert older <= asked
    config = load_config(CONFIG)
    assert all(config.is_article_url("escobar", url) for url in older)


@pytest.mark.parametrize(
    ("outlet", "page"),
    [(name, page) for name, outlet in sorted(REGISTRY.items()) for page in outlet.pages if page.kind == "article"],
    ids=lambda value: value if isinstance(value, str) else value.url.split("/", 3)[-1][:40],
)
def test_each_article_indexed_as_expected(crawls, outlet, page):
    _, data, _ = crawls[outlet]
    expected = json.loads(page.expected_file.read_text())
    (indexed,) = rows(data, "SELECT * FROM pages WHERE url = ?", [page.url])
    for field in ("title", "author", "published", "language"):
        assert indexed[field] == expected[field], field
    text = indexed["text"]
    assert text.startswith(expected["first_sentence"]) or expected["first_sentence"] in text[:400]
    assert text.rstrip().endswith(expected["last_sentence"])
    assert indexed["extraction_path"]


def test_moon_of_alabama_text_holds_the_post_only(crawls):
    _, data, _ = crawls["moonofalabama"]
    (page,) = rows(data, "SELECT * FROM pages WHERE url LIKE '%kazakhstan%'")
    assert page["comment_count"] == 100
    assert "Posted by:" not in page["text"]
    assert len(page["comments_text"]) > 5 * len(page["text"])
    first_comment = page["comments_text"].split("\n\n")[0].split("): ", 1)[1][:60]
    assert first_comment not in page["text"]
    words = " ".join(first_comment.split()[:4])
    search = [sys.executable, "-m", "crawler.cli", "search", f'"{words}"', "--json", "--data", str(data)]
    without = json.loads(subprocess.run(search, capture_output=True, text=True, timeout=60, check=True).stdout)
    with_comments = json.loads(subprocess.run(search + ["--comments"], capture_output=True, text=True, timeout=60, check=True).stdout)
    assert without == [] and [r["url"] for r in with_comments] == [page["url"]]


def test_extract_of_a_saved_page_is_the_indexers_extraction(crawls):
    """`extract FILE --url URL` runs the worker's job with the source found
    by the URL's domain: the comments kept apart, the site rules, the date."""
    _, data, _ = crawls["moonofalabama"]
    page = next(p for p in REGISTRY["moonofalabama"].articles() if "kazakhstan" in p.url)
    (indexed,) = rows(data, "SELECT * FROM pages WHERE url = ?", [page.url])
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", str(page.file), "--url", page.url, "--json", "--config", str(CONFIG)],
        capture_output=True, text=True, timeout=120, check=True,
    )
    extracted = json.loads(run.stdout)
    assert extracted["source"] == "moonofalabama"
    for field in ("text", "published", "comment_count", "title", "author", "extraction_path"):
        assert extracted[field] == indexed[field], field
    assert extracted["comment_count"] == 100


def test_escobar_column_on_several_sites_is_one_work(crawls):
    _, data, _ = crawls["escobar"]
    columns = rows(data, "SELECT url, work_id FROM pages WHERE url NOT LIKE '%author%' AND url NOT LIKE '%contributors%'")
    assert len(columns) == 3
    assert len({c["work_id"] for c in columns}) == 1 and columns[0]["work_id"] is not None
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "show", columns[0]["url"], "--json", "--data", str(data)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert run.returncode == 0, run.stderr
    copies = json.loads(run.stdout)["copies"]
    assert sorted(c["url"] for c in copies) == sorted(c["url"] for c in columns[1:] + columns[:1] if c["url"] != columns[0]["url"])
