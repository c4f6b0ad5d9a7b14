"""Exchange: a WACZ that `wacz validate` accepts, imported back with every
page; a plain CDXJ for other tools; a damaged package refused in one line."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from crawler.demo import demo_site, demo_sources_yaml
from tests.indexdb import query


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    with demo_site() as base:
        (root / "sources.yaml").write_text(demo_sources_yaml(base))
        run = cli("crawl", "--config", str(root / "sources.yaml"), "--data", str(root / "data"))
        assert run.returncode == 0, run.stdout + run.stderr
    return root


def test_wacz_export_validates_and_round_trips(archive):
    wacz = archive / "all.wacz"
    run = cli("export", "--wacz", str(wacz), "--data", str(archive / "data"))
    assert run.returncode == 0, run.stderr
    assert "wacz validate: Validation succeeded" in run.stdout
    check = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz)], capture_output=True, text=True, timeout=120)
    assert "Validation succeeded" in check.stdout + check.stderr
    with zipfile.ZipFile(wacz) as package:
        names = package.namelist()
        pages = package.read("pages/pages.jsonl").decode().splitlines()
    assert "datapackage.json" in names and any(n.startswith("indexes/") for n in names)
    assert '"hasText": true' in pages[0] and len(pages) == 1 + 4
    assert '"text": "Фермеры Алтайского края' in "".join(pages)

    imported = cli("import", str(wacz), "--data", str(archive / "copy"))
    assert imported.returncode == 0, imported.stderr
    original = query(archive / "data", "SELECT url, title, author, published, language, text FROM pages ORDER BY url")
    copy = query(archive / "copy", "SELECT url, title, author, published, language, text FROM pages ORDER BY url")
    assert copy == original and len(copy) == 4
    roles = {r["role"] for r in query(archive / "copy", "SELECT role FROM captures")}
    assert "article" in roles  # the crawl's metadata records travelled with the captures
    for sources in ("SELECT url, source FROM pages ORDER BY url", "SELECT record_id, source FROM captures ORDER BY record_id"):
        assert query(archive / "copy", sources) == query(archive / "data", sources)
    assert {r["source"] for r in query(archive / "copy", "SELECT source FROM pages")} == {"demo-gazette"}


def test_wacz_export_by_source_and_date(archive):
    run = cli("export", "--wacz", str(archive / "none.wacz"), "--since", "2999-01-01", "--data", str(archive / "data"))
    assert run.returncode == 2 and "nothing to export" in run.stderr
    run = cli("export", "--wacz", str(archive / "demo.wacz"), "--source", "demo-gazette", "--data", str(archive / "data"))
    assert run.returncode == 0, run.stderr


def test_cdxj_export_is_sorted_and_plain(archive):
    out = archive / "all.cdxj"
    run = cli("export", "--cdxj", str(out), "--data", str(archive / "data"))
    assert run.returncode == 0, run.stderr
    lines = out.read_text().splitlines()
    assert lines == sorted(lines) and len(lines) >= 7
    assert all('"filename": "demo-gazette-' in line for line in lines)
    assert "warc-record-id" not in out.read_text()


def test_a_damaged_wacz_is_refused_in_one_line(archive):
    good = archive / "for-damage.wacz"
    assert cli("export", "--wacz", str(good), "--data", str(archive / "data")).returncode == 0
    damaged = archive / "damaged.wacz"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("archive/"):
                data = data[:-10] + b"0123456789"
            target.writestr(item, data)
    run = cli("import", str(damaged), "--data", str(archive / "refused"))
    assert run.returncode == 1
    assert "does not match its digest" in run.stderr and run.stderr.count("\n") == 1
    assert not query(archive / "refused", "SELECT * FROM captures")


def test_a_wacz_round_trip_keeps_the_sources_no_metadata_record_names(archive, tmp_path):
    """Another tool's WARC, imported with --source, has no metadata records
    to carry its source: pages.jsonl names each page's source, and an
    import of the package reads it back."""
    from tests.commands import REALDATA, copy_of

    data = copy_of(archive / "data", tmp_path)
    foreign = REALDATA / "warc" / "warcio" / "example-iana.org-chunked.warc"
    run = cli("import", str(foreign), "--source", "iana-mirror", "--data", str(data))
    assert run.returncode == 0, run.stdout + run.stderr
    sources = "SELECT url, source FROM pages ORDER BY url"
    assert {"demo-gazette", "iana-mirror"} == {r["source"] for r in query(data, sources)}
    wacz = tmp_path / "both.wacz"
    assert cli("export", "--wacz", str(wacz), "--data", str(data)).returncode == 0
    with zipfile.ZipFile(wacz) as package:
        lines = package.read("pages/pages.jsonl").decode().splitlines()
    assert any('"source": "iana-mirror"' in line for line in lines)
    run = cli("import", str(wacz), "--data", str(tmp_path / "copy"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert query(tmp_path / "copy", sources) == query(data, sources)
    search = cli("search", "domain", "--source", "iana-mirror", "--json", "--data", str(tmp_path / "copy"))
    assert search.returncode == 0 and '"iana-mirror"' in search.stdout  # and the search row knows it
