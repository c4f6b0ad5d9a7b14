"""`mediarchive ui`: Datasette over the demo crawl's index. Search in both
languages through the table's search box, facets, the chart, canned
queries, links to replay and text, bad queries, read-only; and a real
browser (Debian's chromium) searching a Russian word."""

from __future__ import annotations

import json
from html import unescape
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from crawler.demo import ARTICLES
from tests.servers import cli_server
from tests.test_browser import CHROMIUM, FLAGS


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    demo = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo", "--keep", str(root)], capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    with cli_server("ui", root / "data") as base:
        yield root, base


def get(url: str, data: bytes | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def articles(base: str, **params: str) -> tuple[int, dict]:
    status, body = get(f"{base}index/articles.json?" + urllib.parse.urlencode({"_shape": "objects", **params}))
    return status, json.loads(body) if status == 200 else {"error": body}


def titles(result: dict) -> list[str]:
    return [row["title"] for row in result["rows"]]


@pytest.mark.parametrize("word, key", [("гречиха", "grechikha"), ("гречихой", "grechikha"), ("harbours", "harbour-plan")])
def test_search_box_matches_inflections(ui, word, key):
    _, base = ui
    status, result = articles(base, _search=word)
    assert status == 200 and titles(result) == [ARTICLES[key][1]]


def test_facets_by_source_language_author_and_month(ui):
    _, base = ui
    status, result = articles(base)
    assert status == 200
    facets = result["facet_results"]
    assert set(facets) == {"source", "language", "author", "month"}
    assert {f["value"] for f in facets["language"]["results"]} == {"en", "ru"}
    assert sum(f["count"] for f in facets["source"]["results"]) == len(ARTICLES)
    assert all(re.fullmatch(r"\d{4}-\d\d", f["value"]) for f in facets["month"]["results"])


def test_table_page_has_the_chart_and_links_to_replay_and_text(ui):
    root, base = ui
    status, html = get(f"{base}index/articles?_search=" + urllib.parse.quote("гречиха"))
    assert status == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="mediarchive-chart"' in html
    assert 'Articles per month per source matching "гречиха"' in unescape(html)
    assert "demo-gazette: 1</title>" in html  # one bar: one article of the source that month
    replay = re.search(r'<a class="replay" href="([^"]+)">replay</a>', html).group(1)
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/archive/\d{14}/http://127\.0\.0\.1:\d+/articles/grechikha\.html", replay)
    text = re.search(r'<a class="text" href="([^"]+)">text</a>', html).group(1)
    status, row = get(base.rstrip("/") + text + ".json?_shape=objects")
    assert status == 200 and "рекордный урожай" in json.loads(row)["rows"][0]["text"]


@pytest.mark.parametrize("name", ["latest_per_source", "edited_articles", "removed_articles", "articles_per_month", "search"])
def test_canned_queries_answer(ui, name):
    _, base = ui
    params = {"n": "2"} if name == "latest_per_source" else {"q": "урожая"} if name == "search" else {}
    status, body = get(f"{base}index/{name}.json?" + urllib.parse.urlencode({"_shape": "objects", **params}))
    assert status == 200, body
    rows = json.loads(body)["rows"]
    if name == "latest_per_source":
        assert len(rows) == 2 and {r["source"] for r in rows} == {"demo-gazette"}
    if name == "search":
        assert [r["title"] for r in rows] == [ARTICLES["grechikha"][1]]
        assert "[урожай]" in rows[0]["snippet"]
    if name == "articles_per_month":
        assert sum(r["articles"] for r in rows) == len(ARTICLES)


@pytest.mark.parametrize(
    "query",
    ['"гречиха', "(урожай", "урожай)", "AND", "NOT урожай", "урожай NOT", "*", '""', "'; DROP TABLE pages; --",
     "title:урожай", "NEAR(a b)", "{text}: x", "\x00", "a" * 5000],
)
def test_bad_queries_never_break_the_page(ui, query):
    _, base = ui
    for path in ("index/articles", "index/articles.json", "index/search.json"):
        key = "q" if "search" in path else "_search"
        status, body = get(f"{base}{path}?" + urllib.parse.urlencode({key: query}))
        assert status == 200, (path, query, body[:500])
    status, result = articles(base)
    assert len(result["rows"]) == len(ARTICLES)  # nothing was harmed


def test_bad_query_reads_as_words(ui):
    _, base = ui
    assert titles(articles(base, _search='"рекордный урожай')[1]) == [ARTICLES["grechikha"][1]]
    assert titles(articles(base, _search="урожай AND")[1]) == [ARTICLES["grechikha"][1]]
    assert titles(articles(base, _search="NOT урожай")[1]) == [ARTICLES["grechikha"][1]]  # read as plain words
    assert titles(articles(base, _search="!!!")[1]) == []


def test_the_index_is_read_only(ui):
    root, base = ui
    status, body = get(f"{base}index.json?" + urllib.parse.urlencode({"sql": "DELETE FROM pages"}))
    assert status == 400 and "Statement must be a SELECT" in body
    status, body = get(f"{base}index/-/query", data=b"sql=DELETE+FROM+pages")
    assert status in (400, 403, 404, 405)
    status, result = articles(base)
    assert len(result["rows"]) == len(ARTICLES)


def test_ui_refuses_to_serve_beyond_this_machine(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "ui", "--host", "0.0.0.0", "--data", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 2 and "add --allow-remote" in run.stderr and "Traceback" not in run.stderr


def test_ui_without_an_index_says_so(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "ui", "--port", "0", "--data", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 2 and "no index yet" in run.stderr and "Traceback" not in run.stderr


@pytest.fixture(scope="module")
def big_ui(tmp_path_factory):
    """The UI over 3,000 generated pages (bench.search_index: five sources,
    Russian and English, 2004-2026) and one known Russian article."""
    from archive.index.store import Index
    from bench.search_index import build

    root = tmp_path_factory.mktemp("bigui")
    (root / "data").mkdir()
    build(root / "data" / "index.sqlite", 3000, progress=lambda message: None)
    with Index(root / "data" / "index.sqlite") as index:
        index.add_page(
            {"url": "https://svpressa.ru/politic/article/424242/", "source": "svpressa", "language": "ru",
             "author": "Ирина Соколова", "published": "2026-11-20T10:00:00+03:00", "title": KNOWN_TITLE,
             "text": "Выборы президента Казахстана прошли спокойно. Явка составила 61 процент.",
             "last_captured": "2026-11-20T12:00:00Z"},
            record_id="<urn:uuid:known>",
        )
        index.add_page(
            {"url": "https://www.moonofalabama.org/2026/11/kazakhstan.html", "source": "moonofalabama",
             "language": "en", "author": "b", "published": "2026-11-21T10:00:00-05:00", "title": KNOWN_ENGLISH,
             "text": "The president of Kazakhstan was re-elected.", "last_captured": "2026-11-21T12:00:00Z"},
            record_id="<urn:uuid:known-en>",
        )
    with cli_server("ui", root / "data") as base:
        yield root, base


KNOWN_TITLE = "Президента Казахстана переизбрали на второй срок"
KNOWN_ENGLISH = "Kazakhstan re-elects its president"


def test_a_name_matches_in_both_scripts(big_ui):
    _, base = big_ui
    for name in ("Kazakhstan", "Казахстан"):
        status, result = articles(base, _search=name, _size="max")
        assert status == 200 and {KNOWN_TITLE, KNOWN_ENGLISH} <= set(titles(result)), name
    status, result = articles(base, _search="kazakhstan", _size="max")  # not capitalised: not read as a name
    assert KNOWN_ENGLISH in titles(result) and KNOWN_TITLE not in titles(result)


def test_a_browser_searches_a_russian_word(big_ui):
    assert CHROMIUM, "Debian's chromium is needed (.ci/run installs it: apt-get install chromium)"
    root, base = big_ui
    page = f"{base}index/articles?_search=" + urllib.parse.quote("президентом")  # another form than the title's
    screenshot, netlog = root / "ui-search.png", root / "ui-netlog.json"  # the test's own output folder
    run = subprocess.run(
        [CHROMIUM, *[f for f in FLAGS if not f.startswith("--window-size")], "--window-size=1280,1500",
         f"--user-data-dir={root / 'profile'}", f"--screenshot={screenshot}", f"--log-net-log={netlog}",
         "--dump-dom", page],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert re.search(r"[\d,]+ rows? where search matches", dom)
    first_row = dom[dom.index("<tbody>"):][:3000]
    assert KNOWN_TITLE in first_row  # the newest match comes first
    assert 'id="facet-source"' in dom and 'id="facet-month"' in dom and 'id="facet-author"' in dom
    assert 'id="facet-language"' in dom and ">ru</a>" in dom and ">en</a>" not in dom  # only Russian pages match
    assert 'class="mediarchive-chart"' in dom and dom.count("<rect") > 20  # bars over many months
    assert screenshot.stat().st_size > 20_000
    urls = set(re.findall(r'"url":"(https?://[^"]+)"', netlog.read_text(errors="replace")))
    assert urls and {u for u in urls if not re.match(r"https?://127\.0\.0\.1[:/]", u)} == set()
    print(json.dumps({"screenshot": str(screenshot)}))
