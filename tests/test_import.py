"""`import` over every WARC/ARC file of ../shared/realdata/warc: no crash,
revisits point at their originals, unreadable files get one line each."""

import json
from pathlib import Path

import pytest

from archive.paths import DataDir
from archive.index.imports import import_file
from archive.index.store import Index
from archive.index.indexer import Indexer
from archive.warc.readback import capture_record

WARC_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "warc"
SUMMARY = {
    line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1])
    for line in (WARC_DATA / "WARC_SUMMARY.jsonl").read_text().splitlines()
    if line.strip()
}
ALL_FILES = sorted(
    p for p in WARC_DATA.rglob("*") if p.is_file() and p.name != "WARC_SUMMARY.jsonl" and ".cdx" not in p.name
    and p.suffix not in (".cdx", ".cdxj", ".wacz") and p.parent.name not in ("cdx", "cdxj", "waczs")
)


def declared_past_the_end(path) -> bool:
    """A record whose Content-Length runs past the end of the file, by
    warcio's own reading (resiliparse's clipped.warc.gz has one)."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh, check_digests=False):
            record.raw_stream.read()
            if record.raw_stream.limit > 0:
                return True
    return False


@pytest.fixture
def archive(tmp_path):
    data = DataDir(tmp_path / "data")
    index = Index(data.index_path)
    indexer = Indexer(index, workers=0)
    yield data, index, indexer
    indexer.close()
    index.close()


def test_every_real_file_is_listed():
    assert len(ALL_FILES) >= 40
    assert any(p.name == "iana.warc.gz" for p in ALL_FILES)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.relative_to(WARC_DATA).as_posix())
def test_import_real_file(archive, path):
    data, index, indexer = archive
    outcome = import_file(data, indexer, path, source="realdata")
    key = path.relative_to(WARC_DATA).as_posix()
    expected_error = SUMMARY.get(key, {}).get("error")
    if outcome.error and outcome.result is not None:
        # a file cut short: its whole records are kept, the line says where it breaks
        assert "\n" not in outcome.error and str(path) in outcome.error and "offset" in outcome.error
        assert outcome.result.records >= 1 and outcome.result.damage
    elif outcome.error:
        # an unreadable file: one line naming it, nothing kept, nothing indexed
        assert "\n" not in outcome.error and str(path) in outcome.error
        assert set(index.counts().values()) == {0}
        assert not list((data.warcs).rglob("*.*.*")) or all(p.stat().st_size == 0 for p in data.warcs.rglob("*") if p.is_file())
        assert (
            expected_error or path.suffix in (".lz4",) or "bad" in path.name or "trunc" in path.name
            or "wrong" in path.name or declared_past_the_end(path)
        ), outcome.error
        return
    assert expected_error is None or "lz4" not in key
    result = outcome.result
    assert result.records >= 1
    # every capture row reads back the record it names
    for capture in index.query("SELECT * FROM captures"):
        record = capture_record(data, capture)
        assert record.record_id == capture["record_id"]
        assert record.url == capture["url"]


def test_revisits_point_at_their_originals(archive):
    data, index, indexer = archive
    outcome = import_file(data, indexer, WARC_DATA / "pywb" / "sample_archive" / "warcs" / "iana.warc.gz")
    assert outcome.error is None
    index.resolve_revisits()
    revisits = index.query("SELECT * FROM captures WHERE record_type = 'revisit'")
    assert len(revisits) == 123
    for revisit in revisits:
        original = index.capture(revisit["refers_to"])
        assert original is not None, revisit
        assert original["record_type"] == "response"
        assert original["payload_digest"] == revisit["payload_digest"]


def test_url_agnostic_revisit_across_files(archive):
    data, index, indexer = archive
    folder = WARC_DATA / "pywb" / "sample_archive" / "warcs"
    for name in ("example-url-agnostic-revisit.warc.gz", "example-url-agnostic-orig.warc.gz"):
        assert import_file(data, indexer, folder / name).error is None
    index.resolve_revisits()
    (revisit,) = index.query("SELECT * FROM captures WHERE record_type = 'revisit'")
    original = index.capture(revisit["refers_to"])
    assert original is not None and original["url"] != revisit["url"]


def test_unreadable_files_are_reported_and_not_kept(archive):
    data, index, indexer = archive
    bad = [
        WARC_DATA / "resiliparse" / "warcfile.warc.lz4",
        WARC_DATA / "warcio" / "example-bad-non-chunked.warc.gz",
        WARC_DATA / "warcio" / "example-wrong-chunks.warc.gz",
    ]
    for path in bad:
        outcome = import_file(data, indexer, path)
        assert outcome.error and outcome.error.startswith(str(path)), outcome.error
    assert index.counts()["captures"] == 0
    assert [p for p in data.warcs.rglob("*") if p.is_file()] == []


def test_a_wacz_of_the_first_format_version_is_imported(archive):
    """pywb's sample WACZ (format 1.0.0) keeps each digest in ``stats.hash``
    with ``hashing: sha256``; its invalid twin is still refused."""
    from archive.index.imports import import_wacz

    data, index, indexer = archive
    folder = WARC_DATA / "pywb" / "sample_archive" / "waczs"
    (valid,) = import_wacz(data, indexer, folder / "valid_example_1.wacz")
    assert valid.error is None and valid.result.captures == 1
    (invalid,) = import_wacz(data, indexer, folder / "invalid_example_1.wacz")
    assert invalid.error and "no usable digest" in invalid.error


def test_an_import_counts_what_it_brought_and_says_when_it_brought_nothing(tmp_path):
    """Counts that add up (issue 18, item 3): an import of pages captured
    years ago reports them new in its run; the same file again says it is in
    the archive already and that nothing new was imported."""
    import subprocess
    import sys

    from archive.index.runs import human_size

    path = WARC_DATA / "warcio" / "example-iana.org-chunked.warc"

    def run():
        done = subprocess.run([sys.executable, "-m", "crawler.cli", "import", str(path), "--data", str(tmp_path / "data")],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(sorted((tmp_path / "data" / "runs").glob("*import*.json"))[-1].read_text())
        return done.stdout, report

    first, report = run()
    assert "imported 1 of 1 file(s)" in first and report["indexed"]["pages"] == 1
    assert report["changes"]["new"] == 1  # captured in 2014, new to this archive in this run
    again, report = run()
    assert "already in the archive" in again and "imported 0 of 1 file(s) (1 already in the archive: nothing new)" in again
    assert report["changes"]["new"] == 0
    assert [human_size(n) for n in (0, 1, 999, 48_213, 10_700_000, 2_400_000_000)] == [
        "0 bytes", "1 byte", "999 bytes", "48 KB", "10.7 MB", "2.4 GB"]
