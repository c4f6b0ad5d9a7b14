"""`mediarchive verify`, the fixity audit: an intact archive passes; one byte
flipped inside a stored record is reported as exactly that record; an index
row that names the wrong bytes and a damaged WACZ are reported too."""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pytest

from crawler.demo import demo_site, demo_sources_yaml
from tests.commands import copy_of, run as cli
from tests.indexdb import query


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify")
    with demo_site() as base:
        (root / "sources.yaml").write_text(demo_sources_yaml(base))
        run = cli("crawl", "--config", str(root / "sources.yaml"), "--data", str(root / "data"))
        assert run.returncode == 0, run.stdout + run.stderr
    return root / "data"


def report_of(data) -> dict:
    (path,) = sorted((data / "runs").glob("*-verify.json"))
    return json.loads(path.read_text())


def test_an_intact_archive_has_no_mismatch(archive, tmp_path):
    data = copy_of(archive, tmp_path)
    run = cli("verify", "--data", str(data))
    assert run.returncode == 0, run.stdout + run.stderr
    report = report_of(data)
    captures = query(data, "SELECT count(*) AS n FROM captures")[0]["n"]
    assert report["mismatches"] == [] and report["index_rows"] == captures
    assert report["records"] > captures  # requests and metadata records are read and checked too
    assert "0 mismatch(es)" in run.stdout and "MB/s" in run.stdout


def flip_a_byte(data, capture: dict) -> None:
    path = data / "warcs" / capture["warc_file"]
    blob = bytearray(path.read_bytes())
    blob[capture["offset"] + capture["length"] // 2] ^= 0xFF
    path.write_bytes(bytes(blob))


def test_one_flipped_byte_is_exactly_its_record(archive, tmp_path):
    data = copy_of(archive, tmp_path)
    (victim,) = query(
        data, "SELECT warc_file, offset, length, record_id, url FROM captures"
        " WHERE status = 200 AND record_type = 'response' ORDER BY length DESC LIMIT 1",
    )
    flip_a_byte(data, victim)
    run = cli("verify", "--data", str(data))
    assert run.returncode == 1, run.stdout + run.stderr
    (mismatch,) = report_of(data)["mismatches"]
    assert (mismatch["file"], mismatch["offset"], mismatch["record_id"], mismatch["url"]) == (
        victim["warc_file"], victim["offset"], victim["record_id"], victim["url"])
    assert f"mismatch: {victim['warc_file']} at offset {victim['offset']}: {victim['record_id']} {victim['url']}" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_flipped_byte_in_an_uncompressed_file_fails_its_digest(archive, tmp_path):
    """A .warc (another tool's, imported as it was): the byte breaks no
    framing, only the record's digests say it changed."""
    import gzip

    data = copy_of(archive, tmp_path)
    (victim,) = query(data, "SELECT warc_file FROM captures WHERE status = 200 LIMIT 1")
    source = data / "warcs" / victim["warc_file"]
    plain = tmp_path / "plain.warc"
    plain.write_bytes(gzip.decompress(source.read_bytes()))
    fresh = tmp_path / "fresh"
    assert cli("import", str(plain), "--data", str(fresh)).returncode == 0
    (target,) = query(
        fresh, "SELECT warc_file, offset, length, record_id, url FROM captures"
        " WHERE status = 200 AND record_type = 'response' ORDER BY length DESC LIMIT 1",
    )
    path = fresh / "warcs" / target["warc_file"]
    blob = bytearray(path.read_bytes())
    end = target["offset"] + target["length"]
    blob[end - 40] = ord("X") if blob[end - 40] != ord("X") else ord("Y")  # inside the body, before the closing CRLFs
    path.write_bytes(bytes(blob))
    run = cli("verify", "--data", str(fresh))
    assert run.returncode == 1, run.stdout + run.stderr
    (mismatch,) = report_of(fresh)["mismatches"]
    assert (mismatch["offset"], mismatch["record_id"]) == (target["offset"], target["record_id"])
    assert "digest" in mismatch["problem"]


def test_an_index_row_naming_other_bytes_is_reported(archive, tmp_path):
    data = copy_of(archive, tmp_path)
    first, second = query(data, "SELECT id, offset, record_id FROM captures ORDER BY id LIMIT 2")
    db = sqlite3.connect(data / "index.sqlite")
    with db:
        db.execute("UPDATE captures SET offset = ? WHERE id = ?", [second["offset"], first["id"]])
    db.close()
    run = cli("verify", "--data", str(data))
    assert run.returncode == 1
    problems = [m["problem"] for m in report_of(data)["mismatches"]]
    assert problems == [f"the index row names {first['record_id']}, the file holds {second['record_id']} there"]


def test_a_sample_checks_that_many_rows_and_says_how_to_draw_them_again(archive, tmp_path):
    data = copy_of(archive, tmp_path)
    run = cli("verify", "--sample", "3", "--seed", "7", "--data", str(data))
    assert run.returncode == 0, run.stderr
    report = report_of(data)
    assert (report["index_rows"], report["files"], report["seed"]) == (3, 0, 7)
    assert "(a sample, seed 7)" in run.stdout


def test_a_wacz_whose_warc_changed_is_reported(archive, tmp_path):
    data = copy_of(archive, tmp_path)
    package = tmp_path / "all.wacz"
    assert cli("export", "--wacz", str(package), "--data", str(data)).returncode == 0
    assert cli("verify", "--wacz", str(package), "--data", str(data)).returncode == 0
    damaged = tmp_path / "damaged.wacz"
    with zipfile.ZipFile(package) as original, zipfile.ZipFile(damaged, "w") as copy:
        for item in original.infolist():
            body = original.read(item)
            if item.filename.startswith("archive/"):
                body = body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]
            copy.writestr(item, body)
    run = cli("verify", "--wacz", str(damaged), "--data", str(data))
    assert run.returncode == 1
    (mismatch,) = json.loads(sorted((data / "runs").glob("*-verify.json"))[-1].read_text())["mismatches"]
    assert mismatch["file"] == str(damaged) and "does not match its digest" in mismatch["problem"]


def test_bad_options_are_one_line(archive):
    run = cli("verify", "--since", "yesterday", "--data", str(archive))
    assert run.returncode == 2 and "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
