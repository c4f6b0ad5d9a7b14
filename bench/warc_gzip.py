"""The WARC gzip level (``ARCHIVE_WARC_GZIP_LEVEL``): CPU against file size.

Each exchange is serialised as the crawl does it (archive.warc.records.
serialize_records: warcio's records and digests, each record its own gzip
member) at zlib levels 1, 6 and 9, in alternation, several rounds; CPU is
process time, the median round's. Two sets of exchanges:

- ``bench site``: the records of a capture-only crawl of the bench site
  (bench.site: ~58 KB pages of heavy boilerplate, a third sent gzip-encoded);
- ``real pages``: the 181 real article pages of the Zyte benchmark, once as
  sent without Content-Encoding and once gzip-encoded by the server (level 6,
  as nginx and Apache send it), bodies being stored as received.

    python -m bench.warc_gzip [--pages 1000] [--rounds 5] [--levels 1 6 9]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc.records import RecordSpec
from archive.warc.serialize import serialize_records
from bench import measure, pipeline
from bench.recrawl import REPO, sources_yaml, start_site

ZYTE = REPO.parent / "shared" / "realdata" / "extraction" / "zyte-article-benchmark"
HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{}Content-Length: {}\r\n\r\n"


def spec(record_type: str, uri: str, n: int, payload: bytes, http_head: bytes | None) -> RecordSpec:
    headers = [("WARC-Type", record_type), ("WARC-Record-ID", f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"),
               ("WARC-Date", "2026-12-01T00:00:00.000Z"), ("WARC-Target-URI", uri)]
    return RecordSpec(record_type, uri, headers, payload, http_head)


def warc_exchanges(directory: Path) -> Iterator[list[RecordSpec]]:
    """The records of the WARC files under ``directory``, an exchange (from
    a response to the next) at a time, bodies as stored."""
    exchange: list[RecordSpec] = []
    for path in sorted(directory.rglob("*.warc.gz")):
        with open(path, "rb") as fh:
            for n, record in enumerate(ArchiveIterator(fh)):
                if record.rec_type == "warcinfo":
                    continue
                if record.rec_type in ("response", "revisit") and exchange:
                    yield exchange
                    exchange = []
                head = record.http_headers.to_bytes() if record.http_headers else None
                uri = record.rec_headers.get_header("WARC-Target-URI")
                exchange.append(spec(record.rec_type, uri, n, record.raw_stream.read(), head))
    if exchange:
        yield exchange


def real_page_exchanges() -> Iterator[list[RecordSpec]]:
    truth = json.loads((ZYTE / "ground-truth.json").read_text(encoding="utf-8"))
    for n, path in enumerate(sorted((ZYTE / "html").glob("*.html.gz"))):
        url = truth[path.name.split(".")[0]]["url"]
        html = gzip.decompress(path.read_bytes())
        for encoding, body in (("", html), ("Content-Encoding: gzip\r\n", gzip.compress(html, 6, mtime=0))):
            head = HEAD.format(encoding, len(body)).encode("latin-1")
            yield [spec("response", url, 2 * n, body, head), spec("request", url, 2 * n + 1, b"",
                   f"GET / HTTP/1.1\r\nHost: {url.split('/')[2]}\r\n\r\n".encode("latin-1"))]


def cost(exchanges: list[list[RecordSpec]], level: int) -> tuple[float, int]:
    """(CPU seconds, bytes) of serialising every exchange at ``level``."""
    size = 0
    started = time.process_time()
    for specs in exchanges:
        size += len(serialize_records(specs, level)[0])
    return time.process_time() - started, size


def capture(pages: int, work: Path) -> Path:
    site, base = start_site(pages)
    try:
        config = work / "sources.yaml"
        config.write_text(sources_yaml(base))
        result = measure.run(pipeline.command("capture", base, work / "out", config, 8), cwd=REPO)
        if result.returncode:
            raise SystemExit(f"capture failed:\n{result.stderr[-2000:]}")
    finally:
        site.terminate()
        site.wait()
    return work / "out"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 6, 9])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sets = {"bench site": list(warc_exchanges(capture(args.pages, Path(tmp)))),
                "real pages": list(real_page_exchanges())}
    print("| set | level | CPU ms an exchange | MB written | size vs level 9 |")
    print("|---|--:|--:|--:|--:|")
    for name, exchanges in sets.items():
        times: dict[int, list[float]] = {level: [] for level in args.levels}
        sizes: dict[int, int] = {}
        for round_ in range(args.rounds):
            turn = round_ % len(args.levels)
            for level in args.levels[turn:] + args.levels[:turn]:
                seconds, sizes[level] = cost(exchanges, level)
                times[level].append(seconds)
        largest = sizes[max(args.levels)]
        for level in args.levels:
            ms = 1000 * statistics.median(times[level]) / len(exchanges)
            print(f"| {name} ({len(exchanges)} exchanges) | {level} | {ms:.3f} | {sizes[level] / 1e6:.2f} | "
                  f"{100 * sizes[level] / largest:.1f}% |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
