"""The stored outlet samples (``tests/samples/``) and the WARC files built from them.

Each outlet has a folder ``tests/samples/<outlet>/`` holding the pages as the
site would serve them (HTML, feed, sitemap, robots.txt), the expected
extraction of each article (``<page>.json``) and a ``manifest.json``::

    {
      "source": "svpressa",                 # the source's name in config/sources.yaml
      "about": "...",
      "captured_at": "2022-01-06T10:00:00Z",  # WARC-Date of the first record (then +1 s each)
      "server": "nginx",                     # the Server header of the responses
      "language": "ru",                      # the source's expected language
      "strip_comments": false,               # Typepad inline comments to strip before extraction
      "extraction": {...},                   # the proposed `extraction:` rules (archive.extract.siterules)
      "pages": [
        {"url": "https://svpressa.ru/war21/article/321239/", "file": "war21-article-321239.html",
         "kind": "article",                  # article | listing | feed | sitemap | robots
         "content_type": "text/html; charset=utf-8",
         "content_encoding": "gzip",         # optional: stored gzip-encoded, as captured
         "expected": "war21-article-321239.json",       # articles
         "links": ["https://..."], "pagination": ["https://..."]}  # listings, feeds, sitemaps
      ]
    }

:func:`build_sample_warcs` writes one WARC per outlet, holding every page as
a ``response`` record (with its ``request``) at its real URL, so that a crawl
can be served from it. Output is deterministic: fixed record IDs, dates,
host name and pid (the warcinfo record names the installed warcio version).

Usage::

    python -m tests.make_sample_warcs OUT_DIR
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from archive.extract.comments import strip_comments
from archive.extract.article import Extraction, extract
from archive.extract.rules import ExtractionRules
from archive.extract.siterules import refine
from archive.warc.write import RollingWarcWriter

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
USER_AGENT = "mediarchive/0.1 (+https://github.com/mediarchive/mediarchive; archive crawler)"
#: Namespace of the record IDs: uuid5(namespace, "<outlet>/<n>").
RECORD_ID_NAMESPACE = uuid.UUID("6f6a3a52-1d0e-4c55-9a53-6d6564696172")
KINDS = ("article", "listing", "feed", "sitemap", "robots")


@dataclass(frozen=True)
class SamplePage:
    """One stored page of an outlet."""

    outlet: str
    url: str
    file: Path
    kind: str
    content_type: str
    content_encoding: str | None = None
    expected_file: Path | None = None
    links: tuple[str, ...] = ()
    pagination: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """``outlet/file-stem``, for test IDs."""
        return f"{self.outlet}/{self.file.stem}"

    def body(self) -> bytes:
        """The page's bytes as the site serves them (before any Content-Encoding)."""
        return self.file.read_bytes()

    def expected(self) -> dict[str, Any]:
        """The expected extraction of an article page."""
        if self.expected_file is None:
            raise ValueError(f"{self.id} is a {self.kind} page: it has no expected extraction")
        return json.loads(self.expected_file.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SampleOutlet:
    """One outlet's samples and the facts its manifest states."""

    name: str
    source: str
    captured_at: datetime
    server: str
    language: str | None
    extraction: dict[str, Any] | None
    strip_comments: bool
    pages: tuple[SamplePage, ...] = field(default=())

    def articles(self) -> Iterator[SamplePage]:
        return (page for page in self.pages if page.kind == "article")

    def rules(self) -> ExtractionRules | None:
        """The outlet's proposed extraction rules, validated."""
        return ExtractionRules.from_mapping(self.extraction) if self.extraction is not None else None


def extract_sample(outlet: SampleOutlet, page: SamplePage) -> tuple[Extraction, str]:
    """The indexer's pipeline on one stored page: comments stripped (Typepad
    outlets), trafilatura, then the outlet's rules; returns (extraction, path)."""
    body = page.body()
    if outlet.strip_comments:
        body = strip_comments(body, page.content_type)
    extraction = extract(body, page.url, page.content_type)
    return refine(extraction, body, page.url, outlet.rules(), outlet.language, page.content_type, reference=outlet.captured_at)


def load_outlet(folder: Path) -> SampleOutlet:
    """Read one outlet's ``manifest.json``; ValueError if it names a missing file or an unknown kind."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    pages = []
    for entry in manifest["pages"]:
        if entry["kind"] not in KINDS:
            raise ValueError(f"{folder.name}: unknown page kind {entry['kind']!r}")
        files = [folder / entry["file"]] + ([folder / entry["expected"]] if "expected" in entry else [])
        for path in files:
            if not path.is_file():
                raise ValueError(f"{folder.name}: manifest names {path.name}, which is missing")
        pages.append(
            SamplePage(
                outlet=folder.name,
                url=entry["url"],
                file=folder / entry["file"],
                kind=entry["kind"],
                content_type=entry["content_type"],
                content_encoding=entry.get("content_encoding"),
                expected_file=folder / entry["expected"] if "expected" in entry else None,
                links=tuple(entry.get("links", ())),
                pagination=tuple(entry.get("pagination", ())),
            )
        )
    return SampleOutlet(
        name=folder.name,
        source=manifest["source"],
        captured_at=datetime.fromisoformat(manifest["captured_at"].replace("Z", "+00:00")),
        server=manifest["server"],
        language=manifest.get("language"),
        extraction=manifest.get("extraction"),
        strip_comments=bool(manifest.get("strip_comments", False)),
        pages=tuple(pages),
    )


def load_registry(samples_dir: Path = SAMPLES_DIR) -> dict[str, SampleOutlet]:
    """Every outlet under ``samples_dir`` (a folder with a ``manifest.json``), by name."""
    return {
        folder.name: load_outlet(folder)
        for folder in sorted(samples_dir.iterdir())
        if (folder / "manifest.json").is_file()
    }


def _response_headers(outlet: SampleOutlet, page: SamplePage, moment: datetime) -> list[tuple[str, str]]:
    headers = [
        ("Date", format_datetime(moment, usegmt=True)),
        ("Server", outlet.server),
        ("Content-Type", page.content_type),
    ]
    if page.content_encoding:
        headers += [("Content-Encoding", page.content_encoding), ("Vary", "Accept-Encoding")]
    return headers


def _stored_body(page: SamplePage) -> bytes:
    body = page.body()
    if page.content_encoding is None:
        return body
    if page.content_encoding != "gzip":
        raise ValueError(f"{page.id}: only gzip content encoding is supported, not {page.content_encoding!r}")
    return gzip.compress(body, compresslevel=6, mtime=0)


def write_outlet_warc(outlet: SampleOutlet, out_dir: Path) -> Path:
    """Write one outlet's WARC in ``out_dir``; return its path."""
    serial = iter(range(1_000_000))

    def record_id() -> str:
        return f"<urn:uuid:{uuid.uuid5(RECORD_ID_NAMESPACE, f'{outlet.name}/{next(serial)}')}>"

    writer = RollingWarcWriter(
        out_dir,
        f"samples-{outlet.name}",
        warcinfo_fields={"operator": "mediarchive test samples", "description": f"stored samples of {outlet.name}"},
        record_id_factory=record_id,
        clock=lambda: outlet.captured_at,
        hostname="samples",
        pid=0,
    )
    with writer:
        for number, page in enumerate(outlet.pages):
            moment = outlet.captured_at + timedelta(seconds=number)
            writer.write_exchange(
                url=page.url,
                method="GET",
                request_headers=[
                    ("User-Agent", USER_AGENT),
                    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                    ("Accept-Encoding", "gzip, deflate"),
                ],
                request_body=b"",
                status=200,
                reason="OK",
                protocol="HTTP/1.1",
                response_headers=_response_headers(outlet, page, moment),
                body=_stored_body(page),
                date=moment,
            )
    (path,) = writer.files_written
    return path


def build_sample_warcs(out_dir: str | Path, samples_dir: Path = SAMPLES_DIR) -> dict[str, Path]:
    """Write one WARC per sample outlet in ``out_dir`` (created if needed); return {outlet: path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    registry = load_registry(samples_dir)
    for name in registry:
        earlier = sorted(out_dir.glob(f"samples-{name}-*"))
        if earlier:
            raise FileExistsError(earlier[0])
    return {name: write_outlet_warc(outlet, out_dir) for name, outlet in registry.items()}


def main(argv: list[str] | None = None) -> int:
    """Build the sample WARCs into OUT_DIR and print their paths."""
    parser = argparse.ArgumentParser(prog="python -m tests.make_sample_warcs", description=main.__doc__)
    parser.add_argument("out_dir", type=Path, help="folder for the WARC files (must not hold earlier ones)")
    args = parser.parse_args(argv)
    try:
        paths = build_sample_warcs(args.out_dir)
    except FileExistsError as exc:
        print(f"error: {exc} exists already; use an empty folder", file=sys.stderr)
        return 1
    for name, path in paths.items():
        print(f"{name}\t{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
