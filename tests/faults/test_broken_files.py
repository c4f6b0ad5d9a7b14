"""Broken files: a corrupt index (item 8), a truncated WARC (item 9), a file
that is not an archive (item 10)."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.localsite import LocalSite
from tests.commands import write_config as local_config

REPO = Path(__file__).resolve().parents[2]
REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
FAILED = 1
CAPTURE_TYPES = ("response", "revisit")


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def no_traceback(run: subprocess.CompletedProcess) -> None:
    text = run.stdout + run.stderr
    assert "Traceback" not in text, run.stderr[-3000:]
    assert "--- Logging error ---" not in text, run.stderr[-3000:]


def error_lines(run: subprocess.CompletedProcess) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error: ")]


def write_config(site: LocalSite, path: Path) -> Path:
    return local_config(site, path, 0, "    max_pages: 80\n")


@pytest.fixture(scope="module")
def site():
    with LocalSite(extras=False) as running:
        yield running


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    """A data directory after a clean crawl of the site; copy it before changing it."""
    root = tmp_path_factory.mktemp("crawled")
    config = write_config(site, root / "sources.yaml")
    run = cli("crawl", "--config", str(config), "--data", str(root / "data"), timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return root


def copy_of(crawled: Path, tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(crawled, tmp_path / "copy")
    return tmp_path / "copy" / "sources.yaml", tmp_path / "copy" / "data"


def index_rows(data: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(data / "index.sqlite")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def listed_urls(data: Path) -> set[str]:
    run = cli("search", "", "--json", "--limit", "1000", "--data", str(data))
    assert run.returncode == 0, run.stdout + run.stderr
    return {hit["url"] for hit in json.loads(run.stdout)}


# ---------------------------------------------------------------- item 8: a corrupt index


def garbage(index: Path) -> str:
    index.write_bytes(b"not a database" * 1000)
    return "file is not a database"


def zeroed_pages(index: Path) -> str:
    db = sqlite3.connect(index)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    finally:
        db.close()
    for suffix in ("-wal", "-shm"):
        Path(str(index) + suffix).unlink(missing_ok=True)
    image = bytearray(index.read_bytes())
    assert len(image) > 20 * page_size
    image[page_size:len(image) - page_size] = bytes(len(image) - 2 * page_size)  # all but the first and last page
    index.write_bytes(bytes(image))
    return "database disk image is malformed"


DAMAGES = {"garbage": garbage, "zeroed-pages": zeroed_pages}


def damaged_copy(crawled: Path, tmp_path: Path, damage: str) -> tuple[Path, Path]:
    config, data = copy_of(crawled, tmp_path)
    index = data / "index.sqlite"
    expected = DAMAGES[damage](index)
    # the damage is real: SQLite itself refuses a full read of the pages table
    db = sqlite3.connect(index)
    try:
        with pytest.raises(sqlite3.DatabaseError, match=expected):
            db.execute("SELECT * FROM pages").fetchall()
    finally:
        db.close()
    return config, data


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("command", ["search", "show", "crawl"])
def test_a_corrupt_index_is_named_with_the_way_out(crawled, tmp_path, damage, command):
    url = index_rows(crawled / "data", "SELECT url FROM pages WHERE url LIKE '%/articles/%' ORDER BY url LIMIT 1")[0][0]
    config, data = damaged_copy(crawled, tmp_path, damage)
    args = {
        "search": ["search", "x"],
        "show": ["show", url],
        "crawl": ["crawl", "--config", str(config)],
    }[command]
    run = cli(*args, "--data", str(data))
    no_traceback(run)
    errors = error_lines(run)
    assert len(errors) == 1, run.stderr[-3000:]
    assert str(data / "index.sqlite") in errors[0] and "mediarchive reindex" in errors[0], errors
    assert run.returncode == FAILED, run.stdout + run.stderr


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_reindex_rebuilds_a_corrupt_index(crawled, tmp_path, damage):
    before = listed_urls(crawled / "data")
    assert len(before) > 20
    _, data = damaged_copy(crawled, tmp_path, damage)
    run = cli("reindex", "--data", str(data), timeout=300)
    no_traceback(run)
    assert run.returncode == 0, run.stdout + run.stderr
    assert listed_urls(data) == before


# ---------------------------------------------------------------- item 9: a truncated WARC


def records_of(path: Path) -> list[dict]:
    """Every record of a whole WARC file: type, ID, and where it lies."""
    records = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        for record in iterator:
            iterator.read_to_end(record)
            records.append({
                "type": record.rec_type,
                "id": record.rec_headers.get_header("WARC-Record-ID"),
                "offset": iterator.get_record_offset(),
                "length": iterator.get_record_length(),
            })
    return records


def whole_records_of_cut_file(path: Path) -> list[str]:
    """The IDs of the records warcio reads in full from a cut file (stopping at its error, if it raises one)."""
    ids = []
    try:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh, no_record_parse=True):
                declared = int(record.rec_headers.get_header("Content-Length"))
                body = record.raw_stream.read()
                if len(body) < declared:
                    break
                ids.append(record.rec_headers.get_header("WARC-Record-ID"))
    except Exception:  # noqa: BLE001 - warcio's error at the cut ends the whole records
        pass
    return ids


def capture_ids(data: Path) -> set[str]:
    return {row[0] for row in index_rows(data, "SELECT record_id FROM captures")}


def cut_inside_a_response(records: list[dict], near: int) -> tuple[dict, int]:
    responses = [r for r in records if r["type"] == "response" and r["offset"] + r["length"] > near]
    victim = responses[0]
    return victim, victim["offset"] + victim["length"] // 2


def test_reindex_of_a_truncated_warc_gz_keeps_its_whole_records_and_says_where_it_breaks(crawled, tmp_path):
    _, data = copy_of(crawled, tmp_path)
    files = sorted((data / "warcs").rglob("*.warc.gz"))
    biggest = max(files, key=lambda p: p.stat().st_size)
    records = {path: records_of(path) for path in files}
    victim, cut = cut_inside_a_response(records[biggest], biggest.stat().st_size // 2)
    os.truncate(biggest, cut)

    whole = [r for r in records[biggest] if r["offset"] + r["length"] <= cut]
    assert whole and len(whole) < len(records[biggest]) - 10
    # warcio on the cut file agrees on which records are whole
    assert whole_records_of_cut_file(biggest)[: len(whole)] == [r["id"] for r in whole]
    expected = {r["id"] for r in whole if r["type"] in CAPTURE_TYPES}
    for path in files:
        if path != biggest:
            expected |= {r["id"] for r in records[path] if r["type"] in CAPTURE_TYPES}

    run = cli("reindex", "--data", str(data), timeout=300)
    no_traceback(run)
    assert any(biggest.name in line and "offset" in line for line in run.stderr.splitlines()), run.stdout + run.stderr
    assert run.returncode == FAILED, run.stdout + run.stderr
    captures = capture_ids(data)
    assert victim["id"] not in captures
    assert captures == expected


def article_page(number: int) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {k} of article {number}: the harbour committee met on Tuesday to discuss the new quay, "
        f"the dredging contract and the fishermen's complaints about the winter moorings.</p>"
        for k in range(40)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Harbour report {number}</title></head>"
        f"<body><article><h1>Harbour report {number}</h1>{paragraphs}</article></body></html>"
    ).encode()


def write_plain_warc(path: Path, count: int) -> list[dict]:
    """An uncompressed WARC of ``count`` responses; where each record lies."""
    records = []
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        for number in range(1, count + 1):
            url = f"http://harbour.example/reports/{number}.html"
            body = article_page(number)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            record_id = f"<urn:uuid:00000000-0000-4000-8000-{number:012d}>"
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
                warc_headers_dict={"WARC-Record-ID": record_id, "WARC-Date": f"2024-05-0{number}T10:00:00Z"},
            )
            start = fh.tell()
            writer.write_record(record)
            records.append({"id": record_id, "url": url, "offset": start, "length": fh.tell() - start})
    return records


def test_import_of_a_plain_warc_cut_mid_record_keeps_the_whole_ones(tmp_path):
    warc = tmp_path / "harbour.warc"
    records = write_plain_warc(warc, 5)
    fourth = records[3]
    os.truncate(warc, fourth["offset"] + fourth["length"] // 2)
    assert whole_records_of_cut_file(warc) == [r["id"] for r in records[:3]]
    data = tmp_path / "data"

    run = cli("import", str(warc), "--data", str(data), timeout=300)
    no_traceback(run)
    assert any("harbour.warc" in line and "offset" in line for line in run.stderr.splitlines()), run.stdout + run.stderr
    assert run.returncode == FAILED, run.stdout + run.stderr
    assert capture_ids(data) == {r["id"] for r in records[:3]}
    shown = cli("show", "--html", fourth["url"], "--data", str(data))
    assert shown.returncode != 0, shown.stdout[-500:]
    whole = cli("show", "--html", records[2]["url"], "--data", str(data))
    assert whole.returncode == 0 and "Harbour report 3" in whole.stdout, whole.stderr


# ---------------------------------------------------------------- item 10: a file that is not an archive


def saved_page() -> bytes:
    """A real article page as a browser saves it (two blank lines before the doctype, as many CMSs emit)."""
    pages = sorted((REALDATA / "extraction" / "zyte-article-benchmark" / "html").glob("*.html.gz"))
    assert pages, "shared/realdata is missing"
    return b"\n\n" + gzip.decompress(pages[0].read_bytes())


NOT_ARCHIVES = {
    "page.html": saved_page,
    "empty.warc": lambda: b"",
    "notes.txt": lambda: b"\nShopping list\n\nmilk\neggs\nbread\n",
}


@pytest.mark.parametrize("name", sorted(NOT_ARCHIVES))
def test_import_refuses_a_file_that_is_not_an_archive(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(NOT_ARCHIVES[name]())
    data = tmp_path / "data"
    run = cli("import", str(path), "--data", str(data))
    no_traceback(run)
    errors = error_lines(run)
    assert len(errors) == 1, run.stdout + run.stderr
    assert errors[0].startswith(f"error: {path}: not a WARC, ARC or WACZ file"), errors
    assert run.returncode == FAILED, run.stdout + run.stderr
    stored = [p for p in (data / "warcs").rglob("*") if p.is_file()] if (data / "warcs").exists() else []
    assert stored == []
