"""The extracted text archived beside its capture: one conversion and one
metadata record per extracted page, pointing at its response; `show --json`
gives the chain; `reindex --from-records` rebuilds the pages from them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.demo import demo_site, demo_sources_yaml
from tests.commands import REALDATA, copy_of, run as cli
from tests.indexdb import query

PAGE_COLUMNS = ("url", "title", "author", "authors", "published", "language", "text", "description", "sitename",
                "word_count", "encoding", "extractor", "extraction_path", "comment_count", "versions", "first_captured")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("derived")
    with demo_site() as base:
        (root / "sources.yaml").write_text(demo_sources_yaml(base))
        run = cli("crawl", "--config", root / "sources.yaml", "--data", root / "data")
        assert run.returncode == 0, run.stdout + run.stderr
    return root


def records(data: Path) -> list[tuple[str, dict, bytes]]:
    found = []
    for path in sorted((data / "warcs").glob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                found.append((path.name, dict(record.rec_headers.headers), record.content_stream().read()))
    return found


def pages(data: Path) -> list[dict]:
    return query(data, f"SELECT {', '.join(PAGE_COLUMNS)} FROM pages ORDER BY url")


def test_every_extracted_page_has_one_conversion_and_one_metadata_record_at_its_response(archive):
    data = archive / "data"
    extracted = query(data, "SELECT p.text, p.extractor, p.extraction_path, c.record_id, c.url FROM pages p"
                            " JOIN captures c ON c.id = p.capture_id")
    assert len(extracted) == 4
    derived = [(h, body) for _, h, body in records(data) if h.get("WARC-Refers-To") and h["WARC-Type"] in ("conversion", "metadata")]
    for page in extracted:
        mine = [(h, body) for h, body in derived if h["WARC-Refers-To"] == page["record_id"]]
        (conversion,) = [(h, body) for h, body in mine if h["WARC-Type"] == "conversion"]
        (metadata,) = [(h, body) for h, body in mine if h["WARC-Type"] == "metadata"]
        assert conversion[0]["WARC-Target-URI"] == page["url"] and conversion[0]["Content-Type"] == "text/plain; charset=utf-8"
        assert conversion[1].decode("utf-8") == page["text"]
        fields = json.loads(metadata[1])
        assert metadata[0]["Content-Type"] == "application/json"
        assert metadata[0]["WARC-Concurrent-To"] == conversion[0]["WARC-Record-ID"]
        assert (fields["extractor"], fields["extraction_path"]) == (page["extractor"], page["extraction_path"])
    assert len(derived) == 2 * len(extracted)  # nothing for pages that were not extracted
    for path in (data / "warcs").iterdir():
        check = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", str(path)],
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    assert not [line for line in (data / "replay" / "index.cdxj").read_text().splitlines() if "derived-" in line]


def test_show_json_gives_the_chain_from_text_to_bytes(archive):
    data = archive / "data"
    (page,) = query(data, "SELECT p.url, c.record_id, c.payload_digest, c.warc_file, c.offset FROM pages p"
                          " JOIN captures c ON c.id = p.capture_id ORDER BY p.url LIMIT 1")
    shown = json.loads(cli("show", page["url"], "--json", "--data", data).stdout)["provenance"]
    assert shown["response"]["record_id"] == page["record_id"]
    assert (shown["response"]["payload_digest"], shown["response"]["warc_file"], shown["response"]["offset"]) == (
        page["payload_digest"], page["warc_file"], page["offset"])
    by_id = {h["WARC-Record-ID"]: (name, h) for name, h, _ in records(data)}
    name, conversion = by_id[shown["text"]["record_id"]]
    assert (name, conversion["WARC-Type"], conversion["WARC-Refers-To"]) == (shown["text"]["warc_file"], "conversion", page["record_id"])
    assert by_id[shown["fields"]["record_id"]][1]["WARC-Type"] == "metadata"


def test_reindex_from_records_gives_the_pages_and_search_results_of_reindex(archive, tmp_path):
    again, from_records = copy_of(archive / "data", tmp_path / "a"), copy_of(archive / "data", tmp_path / "b")
    before = len(records(again))
    assert cli("reindex", "--data", again, "--config", archive / "sources.yaml").returncode == 0
    run = cli("reindex", "--from-records", "--data", from_records, "--config", archive / "sources.yaml")
    assert run.returncode == 0, run.stderr
    assert pages(from_records) == pages(again) == pages(archive / "data")
    for words in ("урожай", "ceasefire", "Алтайского"):
        found = [json.loads(cli("search", words, "--json", "--data", d).stdout) for d in (again, from_records)]
        assert [r["url"] for r in found[0]] == [r["url"] for r in found[1]]
    assert len(records(again)) == before  # the same extraction is not archived twice
    # the words' forms, learnt from the index replaced instead of reduced again, are the reduction's
    for side_table in ("SELECT word, form FROM search_words ORDER BY word", "SELECT form, pages FROM search_forms ORDER BY form"):
        assert query(from_records, side_table) == query(again, side_table) != []


def test_forms_are_learnt_only_from_an_index_of_the_same_reduction(archive, tmp_path):
    import sqlite3

    from archive.search import fulltext
    from archive.search.normalise import Normaliser

    data = copy_of(archive / "data", tmp_path)
    index = data / "index.sqlite"
    learnt = Normaliser()
    assert fulltext.learn_from(index, learnt) == len(query(data, "SELECT word FROM search_words")) > 100
    with sqlite3.connect(index) as db:
        fulltext.set_version(db, "another reduction")
    assert fulltext.learn_from(index, Normaliser()) == 0
    assert fulltext.learn_from(tmp_path / "none.sqlite", Normaliser()) == 0
    (tmp_path / "junk.sqlite").write_bytes(b"not a database" * 100)
    assert fulltext.learn_from(tmp_path / "junk.sqlite", Normaliser()) == 0


def test_from_records_reads_the_archived_extraction_not_the_page(archive, tmp_path):
    """An archived extraction that differs from what the extractor gives
    today (an older extractor's) is what --from-records restores."""
    from archive.warc.derived import DERIVED_PREFIX, Derived, specs
    from archive.warc.records import format_warc_date, utc_now
    from archive.warc.write import RollingWarcWriter

    data = copy_of(archive / "data", tmp_path)
    (page,) = query(data, "SELECT c.record_id, c.url FROM pages p JOIN captures c ON c.id = p.capture_id"
                          " WHERE p.url LIKE '%grechikha%'")
    older = Derived(page["record_id"], page["url"], "The text an older extractor gave.",
                    {"title": "Older title", "extractor": "trafilatura 1.0", "extraction_path": "trafilatura"})
    with RollingWarcWriter(data / "warcs", DERIVED_PREFIX, hostname="test") as writer:
        writer.write_records(lambda new_id, warcinfo: specs(older, format_warc_date(utc_now()), new_id, warcinfo))
    assert cli("reindex", "--from-records", "--data", data).returncode == 0
    (restored,) = query(data, "SELECT title, text, extractor FROM pages WHERE url LIKE '%grechikha%'")
    assert restored == {"title": "Older title", "text": "The text an older extractor gave.", "extractor": "trafilatura 1.0"}
    assert cli("reindex", "--data", data).returncode == 0  # extracted again: today's extraction, archived anew
    (extracted,) = query(data, "SELECT title, extractor FROM pages WHERE url LIKE '%grechikha%'")
    assert extracted["extractor"] != "trafilatura 1.0"
    assert cli("reindex", "--from-records", "--data", data).returncode == 0
    assert query(data, "SELECT title, extractor FROM pages WHERE url LIKE '%grechikha%'") == [extracted]


def test_an_archive_without_archived_extractions_is_extracted(archive, tmp_path):
    data = copy_of(archive / "data", tmp_path)
    for path in (data / "warcs").glob("derived-*"):
        path.unlink()
    run = cli("reindex", "--from-records", "--data", data)
    assert run.returncode == 0, run.stderr
    assert pages(data) == pages(archive / "data")
    assert len(list((data / "warcs").glob("derived-*"))) == 1  # and now they are archived


def test_a_block_read_by_offset_is_the_block_the_warc_reader_gives(archive):
    """reindex --from-records reads each archived text by (file, offset,
    length) with read_block's one inflate: the same bytes as warcio's
    reading, for every record without an HTTP head of this archive's files and of the real WARC
    files of other tools (gzipped, plain, ARC; a record it cannot cut is
    read by warcio)."""
    from archive.errors import WarcReadError
    from archive.warc.read import iter_records, read_block

    paths = sorted((archive / "data" / "warcs").glob("*.warc.gz"))
    paths += sorted(p for p in (REALDATA / "warc").rglob("*") if p.suffix in (".gz", ".warc", ".arc"))
    compared: dict[str, int] = {}
    for path in paths:
        try:
            for record in iter_records(path):
                if record.length <= 0:  # a file gzipped whole gives no record a length
                    with pytest.raises(WarcReadError):
                        read_block(path, record.offset, record.length)
                elif record.raw_body is not None and record.http_headers is None:
                    assert read_block(path, record.offset, record.length) == record.raw_body, (path, record.offset)
                    compared[record.record_type] = compared.get(record.record_type, 0) + 1
        except WarcReadError:
            continue  # a damaged file: its whole records were compared
    assert compared["conversion"] >= 4 and compared["metadata"] >= 20 and compared["resource"] >= 3, compared
