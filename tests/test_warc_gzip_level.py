"""The WARC gzip level (``ARCHIVE_WARC_GZIP_LEVEL``): any level writes the same
records, each its own gzip member, that warcio reads and checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from archive.warc.serialize import serialize_records
from crawler.middlewares.warccapture import gzip_setting
from tests.test_warcwriter import exchange, gzip_members, make_writer, plain, read_records, run_warcio


def written(tmp_path: Path, gzip: bool | int) -> bytes:
    with make_writer(tmp_path, gzip) as writer:
        writer.write_exchange(**exchange())
        writer.write_exchange(**exchange(status=404, reason="Not Found", metadata=None))
    (path,) = writer.files_written
    assert path.name.endswith(".warc.gz" if gzip else ".warc")
    return path.read_bytes()


@pytest.mark.parametrize("level", [1, 6, 9])
def test_every_level_writes_the_same_records_one_member_each(tmp_path: Path, level: int) -> None:
    data, uncompressed = written(tmp_path / "level", level), written(tmp_path / "plain", False)
    after_warcinfo = read_records(uncompressed)[1]["offset"]  # warcinfo names its file, .warc.gz or .warc
    assert b"".join(gzip_members(data)[1:]) == uncompressed[after_warcinfo:]
    assert len(gzip_members(data)) == 1 + 2 + 1 + 2  # warcinfo, response, request, metadata, response, request
    records = read_records(data)
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "metadata", "response", "request"]
    assert all(r["digest_ok"] is True for r in records)


def test_level_9_is_warcios_own_gzip(tmp_path: Path) -> None:
    assert written(tmp_path / "nine", 9) == written(tmp_path / "true", True)


def test_a_lower_level_is_larger_and_passes_warcio_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fast, small = written(tmp_path / "fast", 1), written(tmp_path / "small", 9)
    assert plain(fast, True) == plain(small, True) and len(fast) > len(small)
    (path,) = (tmp_path / "fast").iterdir()
    assert run_warcio(["check", "-v", str(path)]) == 0
    assert capsys.readouterr().out.count("digest pass") == 6


@pytest.mark.parametrize("gzip", [0, 10, -1, "6"])
def test_a_level_outside_zlibs_is_refused(gzip: object) -> None:
    with pytest.raises(ValueError, match="zlib level from 1 to 9"):
        serialize_records([], gzip)  # type: ignore[arg-type]


def test_the_crawl_reads_its_level_from_the_settings() -> None:
    settings = Settings()
    settings.setmodule("crawler.settings")
    assert gzip_setting(settings) == settings.getint("ARCHIVE_WARC_GZIP_LEVEL")
    settings.set("ARCHIVE_WARC_GZIP_LEVEL", 1)
    assert gzip_setting(settings) == 1
    settings.set("ARCHIVE_WARC_GZIP", False)
    assert gzip_setting(settings) is False
    settings.set("ARCHIVE_WARC_GZIP", True)
    settings.set("ARCHIVE_WARC_GZIP_LEVEL", 0)
    with pytest.raises(ValueError, match="ARCHIVE_WARC_GZIP_LEVEL"):
        gzip_setting(settings)
