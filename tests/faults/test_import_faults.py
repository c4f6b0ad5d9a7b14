"""Faults of `mediarchive import`: one bad page, one bad record, a dying
extraction worker or an import killed half-way must not lose the whole run.

Command-line level only: every command runs as a subprocess; the index is
read with sqlite3 and the WARC files with warcio, as an archivist would."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.processes import alive, cmdline, descendants, extraction_workers
from tests.indexdb import rows
from tests.commands import assert_no_traceback, cli, run

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
FUNDUS = REALDATA / "extraction" / "fundus" / "test_data"
WARCS = REALDATA / "warc"
CLUEWEB = WARCS / "resiliparse" / "clueweb-quirk.warc.gz"
SERMITSIAQ = "https://www.sermitsiaq.ag/samfund/mute-b-egede-om-meningsmaling-status-quo-er-ikke-en-mulighed/2192432"
HTML_TYPE = "text/html; charset=utf-8"


# -- helpers ---------------------------------------------------------------


def record_id(namespace: str, number: int) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{namespace}/{number}')}>"


def write_warc(path: Path, pages: list[tuple[str, bytes, str]], namespace: str) -> Path:
    """A WARC/1.1 of ``(url, html, warc_date)`` response records, fixed IDs."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for number, (url, body, date) in enumerate(pages):
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", HTML_TYPE), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
                warc_headers_dict={"WARC-Record-ID": record_id(namespace, number), "WARC-Date": date},
            )
            writer.write_record(record)
    return path


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def imported_files(data: Path) -> list[Path]:
    folder = data / "warcs" / "imported"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def wait_for(predicate, timeout: float, process: subprocess.Popen | None = None, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            return None
        time.sleep(step)
    return None


def stop(process: subprocess.Popen, group: bool = False) -> None:
    if process.poll() is None:
        try:
            if group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        except ProcessLookupError:
            pass
    process.wait(timeout=30)


# -- item 0: one real page must not stop the whole import -------------------


def fundus_pages() -> list[tuple[str, bytes, str]]:
    """The 257 distinct real pages (a duplicate URL and missing files skipped)."""
    pages, seen = [], set()
    for meta in sorted(FUNDUS.glob("*/meta.info")):
        for name, info in sorted(json.loads(meta.read_text(encoding="utf-8")).items()):
            path = meta.parent / name
            if not path.is_file() or info["url"] in seen:
                continue
            seen.add(info["url"])
            day, _, clock = info["crawl_date"].partition(" ")
            pages.append((info["url"], gzip.decompress(path.read_bytes()), f"{day}T{clock}Z"))
    return pages


def test_one_real_page_with_a_null_timestamp_does_not_stop_the_import(tmp_path):
    pages = fundus_pages()
    assert len(pages) == 257 and SERMITSIAQ in {url for url, _, _ in pages}
    warc = write_warc(tmp_path / "fundus.warc.gz", pages, "fundus")
    data = tmp_path / "data"
    result = run("import", warc, "--data", data, timeout=600)
    output = result.stdout + result.stderr
    assert_no_traceback(output)  # today: TypeError in find_published on the sermitsiaq.ag page
    assert result.returncode == 0, output[-3000:]
    urls = {url for (url,) in rows(data, "SELECT url FROM pages")}
    assert len(urls & {url for url, _, _ in pages}) >= 0.9 * len(pages), len(urls)
    assert SERMITSIAQ in urls  # its dates must not crash extraction
    # every one of these pages is a real article that the extractor handles when
    # run alone (checked by hand: trafilatura gives each a result, the only
    # crash is the sermitsiaq.ag date); none may be stored as failed
    failed = rows(data, "SELECT url, extraction_error FROM captures WHERE extraction_error IS NOT NULL")
    assert failed == []
    assert rows(data, "SELECT count(*) FROM captures WHERE record_type = 'response'") == [(len(pages),)]


# -- item 1: real third-party files ----------------------------------------


def web_records(path: Path) -> list[tuple[str, str, str, str]]:
    """(type, record id, url, WARC-Date) of the whole response/revisit/resource
    records with http(s) URLs, read with warcio (a record whose Content-Length
    runs past the end of the file is not whole: resiliparse's clipped.warc.gz)."""
    found = []
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh, arc2warc=True):
            if record.rec_type not in ("response", "revisit", "resource"):
                continue
            record.raw_stream.read()
            if record.rec_headers.get_header("WARC-Type") and record.raw_stream.limit > 0:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            if url.split(":", 1)[0].lower() in ("http", "https"):
                found.append((
                    record.rec_type, record.rec_headers.get_header("WARC-Record-ID"), url,
                    record.rec_headers.get_header("WARC-Date"),
                ))
    return found


def test_a_record_with_an_impossible_date_is_left_out_of_the_replay_index_only(tmp_path):
    data = tmp_path / "data"
    good = WARCS / "warcio" / "example.warc.gz"  # first, so that the replay index has other records
    first = run("import", good, "--data", data)
    assert first.returncode == 0, first.stdout + first.stderr
    cdxj = data / "replay" / "index.cdxj"
    before = cdxj.read_text(encoding="utf-8").splitlines()
    assert before

    result = run("import", CLUEWEB, "--data", data)
    output = result.stdout + result.stderr
    assert_no_traceback(output)  # today: ValueError "day is out of range for month" from cdxj-indexer
    assert result.returncode == 0, output[-3000:]
    expected = web_records(CLUEWEB)
    assert len(expected) == 29 and all(kind == "response" for kind, *_ in expected)
    ids = {rid for (rid,) in rows(data, "SELECT record_id FROM captures")}
    assert {rid for _, rid, _, _ in expected} <= ids
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    for _, rid, url, _ in expected:  # every bad record is named (by its ID or URL)
        assert any(rid in line or url in line for line in warnings), (rid, url, warnings[:5])
    assert cdxj.is_file()
    after = cdxj.read_text(encoding="utf-8").splitlines()
    assert set(before) <= set(after)  # the other records are still replayable
    assert after == sorted(after)


def summary() -> dict[str, dict]:
    table = {}
    for line in (WARCS / "WARC_SUMMARY.jsonl").read_text(encoding="utf-8").splitlines():
        name, _, rest = line.partition(" ")
        table[name] = json.loads(rest)
    return table


def names(line: str, path: Path) -> bool:
    """Whether ``line`` names ``path`` itself (not a longer path it is a prefix of)."""
    return re.search(re.escape(str(path)) + r"(?![\w.\-])", line) is not None


def test_importing_every_real_file_at_once(tmp_path):
    files = sorted(p for p in WARCS.rglob("*") if p.is_file())
    table = summary()
    loadable = [p for p in files if table.get(p.relative_to(WARCS).as_posix(), {}).get("error", "x") is None]
    # files that are no WARC, ARC or WACZ at all: indexes, the summary, lz4
    # streams, and the WACZ whose package is invalid
    not_archives = [
        p for p in files
        if p.suffix in (".cdx", ".cdxj", ".jsonl", ".lz4") or p.name.endswith(".cdx.gz") or p.name == "invalid_example_1.wacz"
    ]
    assert len(loadable) >= 40 and len(not_archives) >= 20
    data = tmp_path / "data"
    result = run("import", *files, "--data", data, timeout=600)
    output = result.stdout + result.stderr
    assert_no_traceback(output)  # today: the clueweb-quirk file's date ends the command
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    for path in files:
        assert sum(names(line, path) for line in errors) <= 1, (path, errors)
    for path in not_archives:  # today the indexes and the summary are "imported" as empty WARCs
        assert sum(names(line, path) for line in errors) == 1, (path, errors)
    assert result.returncode == 1, output[-3000:]
    captured = set(rows(data, "SELECT url, captured_at FROM captures"))
    # a record is one capture whatever file holds it: pywb's example.warc and
    # example-extra.warc hold copies of the same records (the same WARC-Record-IDs)
    record_ids = {rid for (rid,) in rows(data, "SELECT record_id FROM captures")}
    missing = []
    for path in loadable:
        for kind, rid, url, date in web_records(path):
            stamp = date[:19] + "Z"
            if (url, stamp) not in captured and rid not in record_ids:
                missing.append((path.relative_to(WARCS).as_posix(), kind, rid, url, stamp))
    assert missing == []


# -- item 2: dying workers, killed imports, a page that takes forever -------


WORDS = (
    "harbour council river budget election winter railway school hospital market bridge festival court "
    "museum library factory treaty border harvest storm village mayor minister union strike tariff"
).split()


def generated_pages(count: int, seed: int) -> list[tuple[str, bytes, str]]:
    rng = random.Random(seed)
    pages = []
    for number in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
        paragraphs = "".join(
            "<p>" + " ".join(rng.choice(WORDS) for _ in range(50)) + f" (report {number}-{p}).</p>" for p in range(24)
        )
        body = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{title}</h1>{paragraphs}</article><footer>Gazette</footer></body></html>"
        ).encode()
        date = f"2025-{1 + number % 12:02d}-{1 + number % 28:02d}T12:00:00Z"
        pages.append((f"https://gazette.test/articles/{number:04d}.html", body, date))
    return pages


@pytest.fixture(scope="module")
def thousand_pages(tmp_path_factory) -> tuple[Path, list[str]]:
    pages = generated_pages(1000, seed=20261201)
    warc = write_warc(tmp_path_factory.mktemp("gen") / "pages.warc.gz", pages, "generated")
    return warc, [url for url, _, _ in pages]


def test_a_killed_extraction_worker_costs_at_most_its_pages(thousand_pages, tmp_path):
    warc, urls = thousand_pages
    data = tmp_path / "data"
    process = subprocess.Popen(cli("import", warc, "--data", data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        workers = wait_for(lambda: extraction_workers(process.pid), 120, process)
        assert workers, "no extraction worker seen"
        time.sleep(1.0)  # let it take pages
        os.kill(workers[0], signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        stop(process)
    output = stdout + stderr
    assert_no_traceback(output)  # today: BrokenProcessPool, exit 1, nothing indexed
    assert process.returncode == 0, output[-3000:]
    pages = {url for (url,) in rows(data, "SELECT url FROM pages")}
    assert len(pages & set(urls)) >= 990, len(pages)
    lost = rows(
        data, "SELECT c.url, c.extraction_error FROM captures c LEFT JOIN pages p ON p.url = c.url WHERE p.id IS NULL"
    )
    for url, error in lost:
        assert error and "worker" in error, (url, error)
    assert len(lost) == len(set(urls) - pages)

    again = run("import", warc, "--data", data)
    assert again.returncode == 0, again.stdout + again.stderr
    copies = imported_files(data)
    assert len(copies) == 1, copies  # today a second copy pages-1.warc.gz appears
    assert sha1(copies[0]) == sha1(warc)
    assert rows(data, "SELECT count(*) FROM pages") == [(len(pages),)]


def test_an_import_killed_half_way_is_completed_by_the_next_import(thousand_pages, tmp_path):
    warc, urls = thousand_pages
    data = tmp_path / "data"
    process = subprocess.Popen(
        cli("import", warc, "--data", data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        assert wait_for(lambda: extraction_workers(process.pid), 120, process), "no extraction worker seen"
        assert wait_for(lambda: imported_files(data), 60, process), "the file was never copied"
        time.sleep(2.0)  # half-way through the extraction
        assert process.poll() is None, "the import ended before it could be killed"
    finally:
        stop(process, group=True)
    result = run("import", warc, "--data", data, timeout=300)
    output = result.stdout + result.stderr
    assert_no_traceback(output)
    assert result.returncode == 0, output[-3000:]
    copies = imported_files(data)
    assert len(copies) == 1, copies  # today: pages-1.warc.gz beside the first copy
    assert sha1(copies[0]) == sha1(warc)
    assert {url for (url,) in rows(data, "SELECT url FROM pages")} == set(urls)
    assert rows(data, "SELECT count(*) FROM captures") == [(len(urls),)]


def table_page(target: int = 10 * 1024 * 1024, seed: int = 7) -> bytes:
    """A ~10 MB page of tables, which trafilatura takes about a minute over."""
    rng = random.Random(seed)
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Port ledger</title></head>"
             "<body><article><h1>Port ledger</h1><table>"]
    size = len(parts[0])
    while size < target:  # one table of ~200,000 rows
        row = "<tr>" + "".join(f"<td>{rng.choice(WORDS)} {rng.randint(0, 99999)}</td>" for _ in range(6)) + "</tr>\n"
        parts.append(row)
        size += len(row)
    parts.append("</table></article></body></html>")
    return "".join(parts).encode()


def test_a_page_that_takes_too_long_times_out_alone(tmp_path):
    normal = generated_pages(5, seed=99)
    big_url = "https://gazette.test/ledger/huge.html"
    pages = normal[:3] + [(big_url, table_page(), "2025-06-01T00:00:00Z")] + normal[3:]
    warc = write_warc(tmp_path / "big.warc.gz", pages, "big")
    data = tmp_path / "data"
    started = time.monotonic()
    result = run("import", warc, "--data", data, "--page-timeout", "3", timeout=180)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert_no_traceback(output)
    assert result.returncode == 0, output[-3000:]  # today: exit 2, no such option --page-timeout
    assert elapsed < 45, elapsed  # a correctness bound: the big page alone costs ~a minute untimed
    assert {url for (url,) in rows(data, "SELECT url FROM pages")} >= {url for url, _, _ in normal}
    [(error,)] = rows(data, "SELECT extraction_error FROM captures WHERE url = ?", [big_url])
    assert error and "timeout" in error, error
