"""Tests for archive.warc (records, write, recover): byte-exact records, read-back, rolling, crash recovery."""

from __future__ import annotations

import base64
import errno
import gzip as gzip_module
import hashlib
import io
import json
import os
import subprocess
import sys
import zlib
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio_main

from archive.errors import DiskFull
from archive.warc.records import CONFORMS_TO, ExchangeLocations, InvalidExchangeError, RecordLocation, WriterClosedError
from archive.warc.recover import recover_open_file
from archive.warc.write import RollingWarcWriter

NOW = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)
HOST = "crawlhost"
PID = 4242
PREFIX = "example-news"
SOFTWARE = f"mediarchive/{version('mediarchive')} warcio/{version('warcio')}"
URL = "https://news.example.com/politics/story.html?id=42&ref=home#comments"
TARGET_URI = "https://news.example.com/politics/story.html?id=42&ref=home"
HTML = b"<html><head><title>Story</title></head><body>" + b"text " * 200 + b"</body></html>"
BODY = gzip_module.compress(HTML, mtime=0)  # as received: still content-encoded
REQUEST_HEADERS = [
    ("User-Agent", "mediarchive-test"),
    ("Accept", "text/html"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Cookie", "a=1"),
]
RESPONSE_HEADERS = [
    ("Date", "Mon, 06 May 2024 07:08:09 GMT"),
    ("Content-Type", "text/html; charset=utf-8"),
    ("Transfer-Encoding", "chunked"),
    ("Connection", "keep-alive"),
    ("Keep-Alive", "timeout=5"),
    ("Set-Cookie", "a=1; Path=/"),
    ("Set-Cookie", "b=2; Path=/"),
    ("Content-Encoding", "gzip"),
    ("Content-Length", "99999"),
    ("Vary", "Accept-Encoding"),
]
METADATA = [
    ("via", "https://news.example.com/"),
    ("hopsFromSeed", "L"),
    ("source", "example-news"),
    ("role", "article"),
    ("fetchTimeMs", "123"),
]


# --------------------------------------------------------------------------
# helpers


class SequentialIds:
    """A record_id_factory giving <urn:uuid:...0001>, <...0002>, ..."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return record_id(self.count)


def record_id(n: int) -> str:
    return f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def make_writer(directory: Path, gzip: bool, **kwargs: object) -> RollingWarcWriter:
    options: dict = dict(
        gzip=gzip,
        warcinfo_fields={"operator": "Test Operator", "http-header-user-agent": "mediarchive-test", "robots": "obey"},
        record_id_factory=SequentialIds(),
        clock=lambda: NOW,
        hostname=HOST,
        pid=PID,
    )
    options.update(kwargs)
    return RollingWarcWriter(directory, PREFIX, **options)


def exchange(**overrides: object) -> dict:
    """Keyword arguments for write_exchange: the standard story page, with overrides."""
    args: dict = dict(
        url=URL,
        method="GET",
        request_headers=REQUEST_HEADERS,
        request_body=b"",
        status=200,
        reason="OK",
        protocol="HTTP/1.1",
        response_headers=RESPONSE_HEADERS,
        body=BODY,
        ip_address="192.0.2.7",
        metadata=METADATA,
    )
    args.update(overrides)
    return args


def expected_record(
    warc_headers: list[tuple[str, str]], block: bytes, content_type: str, payload: bytes | None
) -> bytes:
    """A WARC/1.1 record laid out as warcio writes it: digests, Content-Type, Content-Length last."""
    lines = ["WARC/1.1", *(f"{name}: {value}" for name, value in warc_headers)]
    if payload is not None:
        lines.append(f"WARC-Payload-Digest: {sha1(payload)}")
    lines += [f"WARC-Block-Digest: {sha1(block)}", f"Content-Type: {content_type}", f"Content-Length: {len(block)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"


def gzip_member(record: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(record) + compressor.flush()


def gzip_members(data: bytes) -> list[bytes]:
    """The decompressed content of each gzip member of ``data``, in order."""
    members = []
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        members.append(inflater.decompress(data))
        assert inflater.eof, "truncated gzip member"
        data = inflater.unused_data
    return members


def read_records(data: bytes) -> list[dict]:
    """Every record in ``data`` as read by warcio: headers, HTTP head and raw content."""
    records = []
    iterator = ArchiveIterator(io.BytesIO(data), check_digests=True)
    for record in iterator:
        content = record.raw_stream.read()
        records.append(
            {
                "type": record.rec_type,
                "headers": record.rec_headers,
                "http": record.http_headers,
                "content": content,
                "offset": iterator.get_record_offset(),
                "length": iterator.get_record_length(),
                "digest_ok": record.digest_checker.passed,
            }
        )
    return records


def plain(data: bytes, gzip: bool) -> bytes:
    return b"".join(gzip_members(data)) if gzip else data


def run_warcio(args: list[str]) -> int:
    """warcio's CLI in-process; its exit code (``check`` exits, ``index`` returns)."""
    try:
        warcio_main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.fixture(params=["gzip", "plain"])
def is_gzip(request: pytest.FixtureRequest) -> bool:
    return request.param == "gzip"


# --------------------------------------------------------------------------
# byte-exact output


def expected_file(gzip: bool) -> tuple[str, bytes]:
    """The file name and bytes of one writer's file holding the standard exchange."""
    name = f"{PREFIX}-20240506070809123-00000-{PID}~{HOST}.warc" + (".gz" if gzip else "")
    date = "2024-05-06T07:08:09.123Z"
    warcinfo_block = (
        f"software: {SOFTWARE}\r\n"
        "format: WARC File Format 1.1\r\n"
        f"conformsTo: {CONFORMS_TO}\r\n"
        f"hostname: {HOST}\r\n"
        "operator: Test Operator\r\n"
        "http-header-user-agent: mediarchive-test\r\n"
        "robots: obey\r\n"
    ).encode()
    response_block = (
        b"HTTP/1.1 200 OK\r\n"
        b"Date: Mon, 06 May 2024 07:08:09 GMT\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"Set-Cookie: a=1; Path=/\r\n"
        b"Set-Cookie: b=2; Path=/\r\n"
        b"Content-Encoding: gzip\r\n"
        b"Vary: Accept-Encoding\r\n"
        b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
        b"\r\n" + BODY
    )
    request_block = (
        b"GET /politics/story.html?id=42&ref=home HTTP/1.1\r\n"
        b"Host: news.example.com\r\n"
        b"User-Agent: mediarchive-test\r\n"
        b"Accept: text/html\r\n"
        b"Accept-Encoding: gzip, deflate\r\n"
        b"Cookie: a=1\r\n"
        b"\r\n"
    )
    metadata_block = (
        b"via: https://news.example.com/\r\n"
        b"hopsFromSeed: L\r\n"
        b"source: example-news\r\n"
        b"role: article\r\n"
        b"fetchTimeMs: 123\r\n"
    )
    warcinfo_id, response_id, request_id, metadata_id = (record_id(n) for n in (1, 2, 3, 4))
    common = [("WARC-Date", date), ("WARC-Target-URI", TARGET_URI)]
    records = [
        expected_record(
            [("WARC-Type", "warcinfo"), ("WARC-Record-ID", warcinfo_id), ("WARC-Date", date), ("WARC-Filename", name)],
            warcinfo_block,
            "application/warc-fields",
            payload=None,
        ),
        expected_record(
            [
                ("WARC-Type", "response"),
                ("WARC-Record-ID", response_id),
                *common,
                ("WARC-IP-Address", "192.0.2.7"),
                ("WARC-Warcinfo-ID", warcinfo_id),
            ],
            response_block,
            "application/http; msgtype=response",
            payload=BODY,
        ),
        expected_record(
            [
                ("WARC-Type", "request"),
                ("WARC-Record-ID", request_id),
                *common,
                ("WARC-Concurrent-To", response_id),
                ("WARC-Warcinfo-ID", warcinfo_id),
            ],
            request_block,
            "application/http; msgtype=request",
            payload=b"",
        ),
        expected_record(
            [
                ("WARC-Type", "metadata"),
                ("WARC-Record-ID", metadata_id),
                *common,
                ("WARC-Concurrent-To", response_id),
                ("WARC-Warcinfo-ID", warcinfo_id),
            ],
            metadata_block,
            "application/warc-fields",
            payload=metadata_block,
        ),
    ]
    return name, b"".join(gzip_member(r) if gzip else r for r in records)


def test_file_is_byte_exact(tmp_path: Path, is_gzip: bool) -> None:
    name, expected = expected_file(is_gzip)
    with make_writer(tmp_path, is_gzip) as writer:
        locations = writer.write_exchange(**exchange())
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert (tmp_path / name).read_bytes() == expected
    assert writer.files_written == [tmp_path / name]
    assert writer.bytes_written == len(expected)
    assert locations.response.record_id == record_id(2)
    assert locations.request.record_id == record_id(3)
    assert locations.metadata is not None and locations.metadata.record_id == record_id(4)
    assert {loc.filename for loc in (locations.response, locations.request, locations.metadata)} == {name}


def test_warcio_check_passes(tmp_path: Path, is_gzip: bool, capsys: pytest.CaptureFixture[str]) -> None:
    with make_writer(tmp_path, is_gzip) as writer:
        writer.write_exchange(**exchange())
        writer.write_exchange(**exchange(status=404, reason="Not Found", metadata=None))
    (path,) = writer.files_written
    assert run_warcio(["check", "-v", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("digest pass") == 6  # warcinfo, 2 x (response, request), metadata


def test_every_record_reads_back_with_digests(tmp_path: Path, is_gzip: bool) -> None:
    with make_writer(tmp_path, is_gzip) as writer:
        writer.write_exchange(**exchange())
    records = read_records(writer.files_written[0].read_bytes())
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "metadata"]
    assert all(r["digest_ok"] is True for r in records)
    response = records[1]
    assert response["headers"].get_header("WARC-Payload-Digest") == sha1(BODY)
    assert response["headers"].get_header("WARC-Block-Digest")
    assert response["content"] == BODY  # stored as received, still gzip-encoded
    request, metadata = records[2], records[3]
    response_id = response["headers"].get_header("WARC-Record-ID")
    assert request["headers"].get_header("WARC-Concurrent-To") == response_id
    assert metadata["headers"].get_header("WARC-Concurrent-To") == response_id
    assert metadata["headers"].get_header("Content-Type") == "application/warc-fields"


def test_one_gzip_member_per_record(tmp_path: Path) -> None:
    with make_writer(tmp_path, True) as writer:
        for n in range(3):
            writer.write_exchange(**exchange(url=f"https://news.example.com/{n}", metadata=METADATA if n else None))
    data = writer.files_written[0].read_bytes()
    members = gzip_members(data)
    assert len(members) == 1 + 3 * 2 + 2
    assert all(m.startswith(b"WARC/1.1\r\n") and m.endswith(b"\r\n\r\n") for m in members)
    assert len(read_records(data)) == len(members)


# --------------------------------------------------------------------------
# record locations


def test_locations_read_back_exactly_their_record(tmp_path: Path, is_gzip: bool) -> None:
    writer = make_writer(tmp_path, is_gzip)
    written: list[tuple[RecordLocation, str]] = []
    for n, status in enumerate((200, 301, 404, 500)):
        locations = writer.write_exchange(**exchange(url=f"https://news.example.com/a/{n}?x={n}", status=status))
        assert isinstance(locations, ExchangeLocations)
        written += [(locations.response, "response"), (locations.request, "request"), (locations.metadata, "metadata")]
    writer.close()
    data = writer.files_written[0].read_bytes()
    for location, record_type in written:
        assert location.filename == writer.files_written[0].name
        (record,) = read_records(data[location.offset : location.offset + location.length])
        assert record["type"] == record_type
        assert record["headers"].get_header("WARC-Record-ID") == location.record_id
    # records are contiguous: each starts where the one before ends
    for (before, _), (after, _) in zip(written, written[1:], strict=False):
        assert before.offset + before.length == after.offset
    assert written[-1][0].offset + written[-1][0].length == len(data)


def test_locations_match_warcio_index(tmp_path: Path, is_gzip: bool, capsys: pytest.CaptureFixture[str]) -> None:
    with make_writer(tmp_path, is_gzip) as writer:
        locations = [writer.write_exchange(**exchange(url=f"https://news.example.com/{n}")) for n in range(3)]
    capsys.readouterr()
    assert run_warcio(["index", "-f", "offset,length,warc-record-id", str(writer.files_written[0])]) == 0
    index = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    trailer = 0 if is_gzip else 4  # for plain WARCs warcio's length leaves out the closing CRLF CRLF
    ours = [
        {"offset": str(loc.offset), "length": str(loc.length - trailer), "warc-record-id": loc.record_id}
        for exch in locations
        for loc in (exch.response, exch.request, exch.metadata)
    ]
    assert index[1:] == ours


# --------------------------------------------------------------------------
# HTTP content


def stored_blocks(writer: RollingWarcWriter, gzip: bool) -> bytes:
    return plain(writer.files_written[-1].read_bytes(), gzip)


def test_response_headers_kept_and_framing_dropped(tmp_path: Path, is_gzip: bool) -> None:
    with make_writer(tmp_path, is_gzip) as writer:
        writer.write_exchange(**exchange())
    records = read_records(writer.files_written[0].read_bytes())
    http = records[1]["http"]
    assert http.protocol == "HTTP/1.1" and http.statusline == "200 OK"
    assert [v for n, v in http.headers if n == "Set-Cookie"] == ["a=1; Path=/", "b=2; Path=/"]
    names = [n.lower() for n, _ in http.headers]
    assert "transfer-encoding" not in names and "connection" not in names and "keep-alive" not in names
    assert names.count("content-length") == 1
    assert http.get_header("Content-Length") == str(len(BODY))
    assert http.get_header("Content-Encoding") == "gzip"


@pytest.mark.parametrize(
    ("status", "reason", "headers", "body"),
    [
        (301, "Moved Permanently", [("Location", "https://news.example.com/new")], b""),
        (404, "Not Found", [("Content-Type", "text/html")], b"<h1>not here</h1>"),
        (500, "Internal Server Error", [("Content-Type", "text/plain"), ("Connection", "close")], b"oops"),
    ],
)
def test_non_200_exchanges_written_like_any_other(
    tmp_path: Path, is_gzip: bool, status: int, reason: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    with make_writer(tmp_path, is_gzip) as writer:
        writer.write_exchange(**exchange(status=status, reason=reason, response_headers=headers, body=body))
    blocks = stored_blocks(writer, is_gzip)
    head = f"HTTP/1.1 {status} {reason}\r\n".encode() + b"".join(
        f"{n}: {v}\r\n".encode() for n, v in headers if n != "Connection"
    )
    assert head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body in blocks
    assert run_warcio(["check", str(writer.files_written[0])]) == 0


@pytest.mark.parametrize(
    ("protocol", "status_line", "warc_protocol"),
    [
        ("HTTP/1.1", b"HTTP/1.1 200 OK\r\n", None),
        ("HTTP/1.0", b"HTTP/1.0 200 OK\r\n", None),  # as the server said, never made up
        ("h2", b"HTTP/1.1 200 OK\r\n", "h2"),  # HTTP/1.1 syntax: pywb reads no other
        ("HTTP/2", b"HTTP/1.1 200 OK\r\n", "h2"),
    ],
)
def test_status_line_from_given_protocol(
    tmp_path: Path, protocol: str, status_line: bytes, warc_protocol: str | None
) -> None:
    with make_writer(tmp_path, False) as writer:
        writer.write_exchange(**exchange(protocol=protocol))
    assert b"\r\n\r\n" + status_line in stored_blocks(writer, False)
    records = read_records(writer.files_written[0].read_bytes())
    assert [r["headers"].get_header("WARC-Protocol") for r in records] == [None, warc_protocol, warc_protocol, None]
    assert records[2]["http"].statusline.endswith(" HTTP/1.1")  # the request line


def test_chunked_body_length_is_stored_length(tmp_path: Path, is_gzip: bool) -> None:
    body = b"dechunked by the client"
    headers = [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")]
    with make_writer(tmp_path, is_gzip) as writer:
        writer.write_exchange(**exchange(response_headers=headers, body=body))
    (response,) = [r for r in read_records(writer.files_written[0].read_bytes()) if r["type"] == "response"]
    assert response["http"].headers == [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    assert response["content"] == body
    assert response["headers"].get_header("WARC-Payload-Digest") == sha1(body)


def test_header_bytes_written_as_received(tmp_path: Path, is_gzip: bool) -> None:
    raw_value = b"attachment; filename=caf\xe9.txt"  # not ASCII: warcio alone would %-encode it
    headers = [("Content-Disposition", raw_value.decode("latin-1")), ("X-Spacing", "a  b")]
    with make_writer(tmp_path, is_gzip) as writer:
        writer.write_exchange(**exchange(response_headers=headers))
    assert b"Content-Disposition: " + raw_value + b"\r\nX-Spacing: a  b\r\n" in stored_blocks(writer, is_gzip)
    assert run_warcio(["check", str(writer.files_written[0])]) == 0


@pytest.mark.parametrize(
    ("url", "target_uri", "request_line", "host"),
    [
        ("http://example.com", "http://example.com", "GET / HTTP/1.1", "example.com"),
        ("http://example.com?x=1", "http://example.com?x=1", "GET /?x=1 HTTP/1.1", "example.com"),
        ("https://example.com:443/a", "https://example.com:443/a", "GET /a HTTP/1.1", "example.com"),
        (
            "http://example.com:8080/a/b;p?q=%20&r=%2F&&s#frag",
            "http://example.com:8080/a/b;p?q=%20&r=%2F&&s",
            "GET /a/b;p?q=%20&r=%2F&&s HTTP/1.1",
            "example.com:8080",
        ),
        ("http://example.com/search?", "http://example.com/search?", "GET /search? HTTP/1.1", "example.com"),
        ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x", "GET /x HTTP/1.1", "[2001:db8::1]:8080"),
    ],
)
def test_query_string_kept_in_request_line_and_target_uri(
    tmp_path: Path, url: str, target_uri: str, request_line: str, host: str
) -> None:
    with make_writer(tmp_path, False) as writer:
        writer.write_exchange(**exchange(url=url, request_headers=[("Accept", "*/*")]))
    records = read_records(writer.files_written[0].read_bytes())
    assert {r["headers"].get_header("WARC-Target-URI") for r in records[1:]} == {target_uri}
    request = records[2]["content"]
    head = b"\r\n\r\n" + f"{request_line}\r\nHost: {host}\r\nAccept: */*\r\n\r\n".encode()
    assert head in stored_blocks(writer, False)
    assert request == b""


def test_request_host_and_body_as_given(tmp_path: Path, is_gzip: bool) -> None:
    body = b'{"q": "elections"}'
    headers = [("Content-Type", "application/json"), ("Host", "News.Example.com"), ("Content-Length", str(len(body)))]
    with make_writer(tmp_path, is_gzip) as writer:
        writer.write_exchange(**exchange(method="POST", request_headers=headers, request_body=body))
    request = read_records(writer.files_written[0].read_bytes())[2]
    assert request["http"].protocol == "POST"
    assert request["http"].headers == headers
    assert request["content"] == body
    assert request["headers"].get_header("WARC-Payload-Digest") == sha1(body)


def test_metadata_is_optional(tmp_path: Path, is_gzip: bool) -> None:
    with make_writer(tmp_path, is_gzip) as writer:
        without = writer.write_exchange(**exchange(metadata=None))
        empty = writer.write_exchange(**exchange(metadata=[]))
    assert without.metadata is None and empty.metadata is None
    types = [r["type"] for r in read_records(writer.files_written[0].read_bytes())]
    assert types == ["warcinfo", "response", "request", "response", "request"]


def test_warc_date_is_utc_milliseconds(tmp_path: Path) -> None:
    fetched = datetime(2024, 1, 2, 5, 4, 5, 678999, tzinfo=timezone(timedelta(hours=2)))
    with make_writer(tmp_path, False) as writer:
        writer.write_exchange(**exchange(date=fetched, ip_address=None))
    records = read_records(writer.files_written[0].read_bytes())
    assert records[0]["headers"].get_header("WARC-Date") == "2024-05-06T07:08:09.123Z"  # the clock, at file open
    assert {r["headers"].get_header("WARC-Date") for r in records[1:]} == {"2024-01-02T03:04:05.678Z"}
    assert records[1]["headers"].get_header("WARC-IP-Address") is None


def test_warcinfo_fields(tmp_path: Path) -> None:
    fields = {"operator": "Ops", "isPartOf": "example-news", "description": "", "robots": None}
    with make_writer(tmp_path, False, warcinfo_fields=fields) as writer:
        writer.write_exchange(**exchange())
    warcinfo = read_records(writer.files_written[0].read_bytes())[0]
    assert warcinfo["content"].decode().splitlines() == [
        f"software: {SOFTWARE}",
        "format: WARC File Format 1.1",
        f"conformsTo: {CONFORMS_TO}",
        f"hostname: {HOST}",
        "operator: Ops",
        "isPartOf: example-news",
    ]
    with pytest.raises(InvalidExchangeError, match="software"):
        make_writer(tmp_path, False, warcinfo_fields={"software": "other"})


@pytest.mark.parametrize(
    "overrides",
    [
        {"url": "ftp://example.com/"},
        {"url": "/relative/path"},
        {"url": "http://example.com/a b"},
        {"method": "GET /"},
        {"protocol": "SPDY/3"},
        {"protocol": ""},
        {"status": 42},
        {"reason": "OK\r\nX-Injected: 1"},
        {"response_headers": [("X-Bad", "one\r\ntwo")]},
        {"response_headers": [("Bad:Name", "x")]},
        {"request_headers": [("", "x")]},
        {"request_headers": [("X-Wide", "\u20ac")]},  # not a latin-1 decoded byte
        {"metadata": [("via", "a\nb")]},
        {"ip_address": "not-an-ip"},
        {"date": datetime(2024, 1, 1)},  # naive
    ],
)
def test_invalid_exchange_rejected_before_writing(tmp_path: Path, overrides: dict) -> None:
    writer = make_writer(tmp_path / "warcs", True)
    with pytest.raises(InvalidExchangeError):
        writer.write_exchange(**exchange(**overrides))
    assert writer.current_path is None
    writer.close()
    assert not (tmp_path / "warcs").exists()


# --------------------------------------------------------------------------
# files: names, rolling, closing


def test_rolling_at_max_size(tmp_path: Path, is_gzip: bool) -> None:
    directory = tmp_path / "nested" / "warcs"  # created on demand
    writer = make_writer(directory, is_gzip, max_size=3_000)
    sizes_before: list[int] = []
    for n in range(12):
        current = writer.current_path
        sizes_before.append(current.stat().st_size if current else 0)
        writer.write_exchange(**exchange(url=f"https://news.example.com/{n}"))
        if writer.current_path is not None:
            assert writer.current_path.name.endswith(".warc.gz.open" if is_gzip else ".warc.open")
            assert writer.current_path.exists()
            assert not writer.current_path.with_suffix("").exists()
    writer.close()
    files = writer.files_written
    assert len(files) >= 3
    assert sorted(p.name for p in directory.iterdir()) == sorted(p.name for p in files)
    suffix = ".warc.gz" if is_gzip else ".warc"
    assert [p.name for p in files] == [
        f"{PREFIX}-20240506070809123-{n:05d}-{PID}~{HOST}{suffix}" for n in range(len(files))
    ]
    exchanges = 0
    for path in files:
        data = path.read_bytes()
        records = read_records(data)
        assert records[0]["type"] == "warcinfo"
        assert records[0]["headers"].get_header("WARC-Filename") == path.name
        types = [r["type"] for r in records[1:]]
        assert types == ["response", "request", "metadata"] * (len(types) // 3)  # exchanges never split
        exchanges += len(types) // 3
        if path != files[-1]:
            last_exchange = sum(r["length"] for r in records[-3:])
            assert len(data) >= 3_000 > len(data) - last_exchange  # rolled right after crossing the limit
        assert run_warcio(["check", str(path)]) == 0
    assert exchanges == 12
    assert writer.bytes_written == sum(p.stat().st_size for p in files)


def test_every_exchange_alone_when_max_size_tiny(tmp_path: Path, is_gzip: bool) -> None:
    with make_writer(tmp_path, is_gzip, max_size=1) as writer:
        for n in range(3):
            locations = writer.write_exchange(**exchange(url=f"https://news.example.com/{n}"))
            assert writer.current_path is None  # closed right after the exchange
            assert locations.response.filename == writer.files_written[-1].name
    assert len(writer.files_written) == 3
    ids = [read_records(p.read_bytes())[0]["headers"].get_header("WARC-Record-ID") for p in writer.files_written]
    assert len(set(ids)) == 3  # each file has its own warcinfo


def test_file_name_never_collides(tmp_path: Path) -> None:
    stem = f"{PREFIX}-20240506070809123"
    (tmp_path / f"{stem}-00000-{PID}~{HOST}.warc.gz").write_bytes(b"someone else's")
    (tmp_path / f"{stem}-00001-{PID}~{HOST}.warc.gz.open").write_bytes(b"a crashed writer's")
    with make_writer(tmp_path, True) as writer:
        location = writer.write_exchange(**exchange())
    assert location.response.filename == f"{stem}-00002-{PID}~{HOST}.warc.gz"
    assert (tmp_path / f"{stem}-00000-{PID}~{HOST}.warc.gz").read_bytes() == b"someone else's"


def test_close_is_idempotent_and_final(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, True)
    writer.close()
    writer.close()
    assert writer.files_written == [] and list(tmp_path.iterdir()) == []  # nothing written, no file
    with pytest.raises(WriterClosedError):
        writer.write_exchange(**exchange())


def test_write_error_leaves_open_file_for_recovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = make_writer(tmp_path, True)
    first = writer.write_exchange(**exchange())
    broken_path = writer.current_path
    real_write = os.write

    def failing_midway(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[:50]))
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "write", failing_midway)
    with pytest.raises(OSError):
        writer.write_exchange(**exchange(url="https://news.example.com/lost"))
    monkeypatch.undo()
    assert writer.current_path is None and broken_path is not None and broken_path.exists()
    third = writer.write_exchange(**exchange(url="https://news.example.com/3"))
    writer.close()
    assert third.response.filename != first.response.filename  # went on in a new file
    recovered = recover_open_file(broken_path)
    assert recovered is not None and recovered.name == first.response.filename
    assert recovered.stat().st_size == first.metadata.offset + first.metadata.length
    assert run_warcio(["check", str(recovered)]) == 0


@pytest.mark.parametrize("exchanges_before", [0, 2])
def test_a_full_disk_cuts_the_file_back_and_opens_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchanges_before: int
) -> None:
    writer = make_writer(tmp_path, True)
    written = [writer.write_exchange(**exchange(url=f"https://news.example.com/{n}")) for n in range(exchanges_before)]
    real_write = os.write

    def disk_full_midway(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[:50]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full_midway)
    with pytest.raises(DiskFull, match="disk is full"):
        writer.write_exchange(**exchange(url="https://news.example.com/lost"))
    monkeypatch.undo()
    with pytest.raises(DiskFull):  # no new file is tried: it would fail the same way
        writer.write_exchange(**exchange(url="https://news.example.com/next"))
    writer.close()
    assert not list(tmp_path.rglob("*.open"))
    files = sorted(p for p in tmp_path.rglob("*.warc.gz"))
    if not written:
        assert files == []  # a file with nothing but its warcinfo is not kept
        return
    (kept,) = files
    assert kept.stat().st_size == written[-1].metadata.offset + written[-1].metadata.length
    assert run_warcio(["check", str(kept)]) == 0


def test_no_file_is_opened_without_room_for_it(tmp_path: Path) -> None:
    writer = RollingWarcWriter(tmp_path, "site", min_free=1 << 60)
    with pytest.raises(DiskFull, match="MB free"):
        writer.write_exchange(**exchange())
    assert list(tmp_path.iterdir()) == []


def test_constructor_rejects_bad_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        RollingWarcWriter(tmp_path, "../escape")
    with pytest.raises(ValueError):
        RollingWarcWriter(tmp_path, "ok", hostname="a/b")
    with pytest.raises(ValueError):
        RollingWarcWriter(tmp_path, "ok", max_size=0)


def test_archive_never_imports_scrapy_or_twisted() -> None:
    code = "import sys, archive.warc.write; sys.exit(bool({'scrapy', 'twisted'} & set(sys.modules)))"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


# --------------------------------------------------------------------------
# recovery


@pytest.fixture
def written_file(tmp_path: Path, is_gzip: bool) -> tuple[bytes, list[int], str]:
    """A closed file's bytes, the end offset of each record, and its name."""
    with make_writer(tmp_path / "source", is_gzip) as writer:
        first = writer.write_exchange(**exchange(body=b"short body"))
        second = writer.write_exchange(**exchange(url="https://news.example.com/2", metadata=None))
    ends = [first.response.offset] + [
        loc.offset + loc.length
        for loc in (first.response, first.request, first.metadata, second.response, second.request)
    ]
    path = writer.files_written[0]
    return path.read_bytes(), ends, path.name


def test_recover_at_every_cut(
    tmp_path: Path, written_file: tuple[bytes, list[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # thousands of cuts; durability is tested elsewhere
    data, ends, name = written_file
    warcinfo_end = ends[0]
    directory = tmp_path / "crashed"
    directory.mkdir()
    open_path, final_path = directory / (name + ".open"), directory / name
    for cut in range(len(data) + 1):
        open_path.write_bytes(data[:cut])
        recovered = recover_open_file(open_path)
        keep = max((end for end in ends if end <= cut), default=0)
        assert not open_path.exists()
        if keep <= warcinfo_end:  # nothing, or the warcinfo alone: no capture worth a file
            assert recovered is None, cut
            assert not final_path.exists()
            continue
        assert recovered == final_path, cut
        assert final_path.read_bytes() == data[:keep], cut
        final_path.unlink()


def test_recovered_file_passes_warcio_check(tmp_path: Path, written_file: tuple[bytes, list[int], str]) -> None:
    data, ends, name = written_file
    open_path = tmp_path / (name + ".open")
    open_path.write_bytes(data[: ends[3] + 7])  # a few bytes into the second exchange
    recovered = recover_open_file(open_path)
    assert recovered is not None and recovered.read_bytes() == data[: ends[3]]
    assert run_warcio(["check", str(recovered)]) == 0
    assert [r["type"] for r in read_records(recovered.read_bytes())] == ["warcinfo", "response", "request", "metadata"]


@pytest.mark.parametrize("tail", [b"garbage after the last record", b"\x1f\x8b\x08\x00", b"WARC/1.1\r\n"])
def test_recover_drops_a_bad_tail(tmp_path: Path, written_file: tuple[bytes, list[int], str], tail: bytes) -> None:
    data, _, name = written_file
    open_path = tmp_path / (name + ".open")
    open_path.write_bytes(data + tail)
    recovered = recover_open_file(open_path)
    assert recovered is not None and recovered.read_bytes() == data


def test_recover_drops_a_record_with_a_bad_end(tmp_path: Path, written_file: tuple[bytes, list[int], str]) -> None:
    data, ends, name = written_file
    open_path = tmp_path / (name + ".open")
    damaged = bytearray(data)
    damaged[ends[-1] - 1] ^= 0xFF  # last byte of the last record (gzip: its CRC/size trailer)
    open_path.write_bytes(bytes(damaged))
    recovered = recover_open_file(open_path)
    assert recovered is not None and recovered.read_bytes() == data[: ends[-2]]


def test_fsync_comes_before_rename(
    tmp_path: Path, written_file: tuple[bytes, list[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, ends, name = written_file
    open_files_at_fsync: list[list[str]] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        open_files_at_fsync.append(sorted(p.name for p in tmp_path.rglob("*.open")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    (tmp_path / (name + ".open")).write_bytes(data[: ends[-1] - 1])
    assert recover_open_file(tmp_path / (name + ".open")) == tmp_path / name
    assert open_files_at_fsync == [[name + ".open"], []]  # the file, then its directory after the rename

    open_files_at_fsync.clear()
    with make_writer(tmp_path / "w", True) as writer:
        writer.write_exchange(**exchange())
        open_name = writer.current_path.name
    assert open_files_at_fsync == [[open_name], []]


def test_recover_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    path.write_bytes(b"")
    with pytest.raises(ValueError):
        recover_open_file(path)
    (tmp_path / "a.warc.gz.open").write_bytes(b"")
    with pytest.raises(FileExistsError):
        recover_open_file(tmp_path / "a.warc.gz.open")
