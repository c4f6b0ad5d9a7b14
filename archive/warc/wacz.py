"""Exchanging collections as WACZ (Web Archive Collection Zipped).

Export selects captures from the index (by source and capture date), copies
their WARC records byte for byte (digests stay valid) into export WARC
files, writes ``pages.jsonl`` with each page's URL, capture time, title and
extracted text, and packs them with py-wacz (``wacz create``), run as a
subprocess: importing it in this process would change cdxj-indexer's
defaults. Records are streamed from file to file, never held all at once.

Import checks the package's ``datapackage.json`` digests, then takes its
WARC files into the archive as any imported WARC.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archive.paths import DataDir
from archive.errors import MediarchiveError, UsageError
from archive.index.store import Index
from archive.progress import Task, task_of
from archive.search.search import check_date
from archive.warc.write import RollingWarcWriter


class WaczError(MediarchiveError):
    exit_code = 1


@dataclass
class ExportResult:
    path: Path
    captures: int
    pages: int
    warc_files: int


def export_wacz(
    data: DataDir,
    index: Index,
    out: Path,
    *,
    sources: tuple[str, ...] = (),
    since: str | None = None,
    until: str | None = None,
    title: str = "mediarchive export",
    signing_url: str | None = None,
    signing_token: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExportResult:
    """Write a WACZ of the selected captures (and the originals of selected
    revisits); with ``signing_url``, signed by that authsign server (the WACZ
    signing spec), :class:`WaczError` if it does not sign. ``progress``
    hears of each step (:mod:`archive.progress`)."""
    progress = progress or (lambda message: None)
    where, params = ["1 = 1"], []
    if sources:
        where.append(f"source IN ({', '.join('?' for _ in sources)})")
        params += list(sources)
    if check_date(since, "--since"):
        where.append("substr(captured_at, 1, 10) >= ?")
        params.append(since)
    if check_date(until, "--until"):
        where.append("substr(captured_at, 1, ?) <= ?")
        params += [len(until), until]
    selected = f"SELECT id FROM captures WHERE {' AND '.join(where)}"
    captures = index.query(
        "SELECT * FROM captures WHERE id IN (" + selected + ")"
        " OR record_id IN (SELECT refers_to FROM captures WHERE id IN (" + selected + "))"
        " ORDER BY warc_file, offset",
        params + params,
    )
    if not captures:
        raise UsageError("nothing to export: no capture matches the filters")
    with tempfile.TemporaryDirectory(prefix="mediarchive-wacz-") as tmp:
        folder = Path(tmp)
        with task_of(progress, "copying records", len(captures), "captures") as task:
            warcs = _copy_records(data, captures, folder / "warcs", title, task)
        with task_of(progress, "writing pages.jsonl", len(captures), "captures") as task:
            pages = _write_pages(index, [c["id"] for c in captures], folder / "pages.jsonl", title, task)
        progress(f"packing {len(warcs)} WARC file(s) and {pages} page(s) with wacz create")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        run = subprocess.run(
            [sys.executable, "-m", "wacz", "create", "-o", str(partial), "-p", str(folder / "pages.jsonl"), "-c",
             "--title", title, *_signing_options(signing_url, signing_token), *map(str, warcs)],
            capture_output=True, text=True, check=False,
        )
        if run.returncode != 0 or not partial.exists():
            partial.unlink(missing_ok=True)
            raise WaczError(f"wacz create failed: {_last_line(run)}")
        if signing_url:
            from archive.warc.signing import signature_of

            if signature_of(partial) is None:  # py-wacz writes an unsigned package and exits 0
                partial.unlink(missing_ok=True)
                raise WaczError(f"{signing_url} did not sign the package: {_signing_failure(run)}")
        partial.replace(out)
    return ExportResult(out, len(captures), pages, len(warcs))


def _signing_options(url: str | None, token: str | None) -> list[str]:
    if not url:
        return []
    return ["--signing-url", url, *(["--signing-token", token] if token else [])]


def _signing_failure(run: subprocess.CompletedProcess) -> str:
    lines = [" ".join(line.split()) for line in (run.stdout + run.stderr).splitlines() if "sign" in line.lower()]
    return lines[-1] if lines else _last_line(run)


def validate_wacz(path: Path) -> tuple[bool, str]:
    """py-wacz's own validation: (passed, its last message). Its exit code
    is 0 even for an invalid package, so its verdict is read from its words."""
    run = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(path)], capture_output=True, text=True, check=False)
    message = _last_line(run)
    return run.returncode == 0 and "succeeded" in message and "invalid" not in message, message


def extract_warcs(path: Path, into: Path) -> list[Path]:
    """Check a WACZ's digests and extract its WARC files into ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    return _read_package(path, into)


def wacz_problems(path: Path) -> list[str]:
    """What no longer holds in a WACZ package: its datapackage digests (empty if all hold)."""
    try:
        _read_package(path, None)
    except WaczError as exc:
        return [str(exc)]
    return []


def _read_package(path: Path, into: Path | None) -> list[Path]:
    """Check every resource of a WACZ against its datapackage.json digest,
    extracting its WARC files into ``into`` (none when None); WaczError on the first that fails."""
    try:
        package = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise WaczError(f"{path}: not a WACZ (zip) file: {exc}") from None
    with package:
        try:
            datapackage = json.loads(package.read("datapackage.json"))
        except (KeyError, ValueError, OSError, zipfile.BadZipFile, zlib.error) as exc:
            raise WaczError(f"{path}: no readable datapackage.json: {exc}") from None
        extracted = []
        for resource in datapackage.get("resources", []):
            name, expected = resource.get("path", ""), resource.get("hash", "")
            if not expected and isinstance(resource.get("stats"), dict):
                # WACZ 1.0.0 (py-wacz before 0.3): {"stats": {"hash": HEX}, "hashing": "sha256"}
                expected = f"{resource.get('hashing', '')}:{resource['stats'].get('hash', '')}"
            algorithm, _, hexdigest = expected.partition(":")
            if algorithm not in ("sha256", "md5") or not hexdigest:
                raise WaczError(f"{path}: {name}: no usable digest in datapackage.json")
            digest = hashlib.new(algorithm)
            target = into / Path(name).name if into is not None and name.startswith("archive/") else None
            try:
                with package.open(name) as source, (open(target, "wb") if target else _Null()) as sink:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        digest.update(block)
                        sink.write(block)
            except KeyError:
                raise WaczError(f"{path}: {name} is listed but missing") from None
            except (zipfile.BadZipFile, zlib.error) as exc:
                raise WaczError(f"{path}: {name} cannot be read: {exc}: the package is damaged") from None
            if digest.hexdigest() != hexdigest:
                raise WaczError(f"{path}: {name} does not match its digest: the package is damaged")
            if target:
                extracted.append(target)
        return extracted


def _copy_records(data: DataDir, captures: list[dict], folder: Path, title: str, task: Task) -> list[Path]:
    """The captures' records, byte for byte, in new gzipped WARC files."""
    writer = RollingWarcWriter(folder, "export", warcinfo_fields={"description": title})
    # a writer opens its file (with its warcinfo) at the first exchange; records are appended raw
    with writer:
        handle = None
        current = None
        for capture in captures:
            if capture["warc_file"] != current:
                if handle:
                    handle.close()
                current = capture["warc_file"]
                handle = open(data.warc_path(current), "rb")
            for offset, length in [(capture["offset"], capture["length"]), *_companions(handle, capture)]:
                handle.seek(offset)
                raw = handle.read(length)
                if raw[:2] != b"\x1f\x8b":  # from an uncompressed file: one gzip member per record
                    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
                    raw = compressor.compress(raw) + compressor.flush()
                writer.append_raw(raw)
            task.advance()
        if handle:
            handle.close()
    # WACZ resource names must match ^[-a-z0-9._/]+$ (frictionless): no "~", no capitals
    renamed = []
    for number, path in enumerate(writer.files_written, 1):
        target = path.with_name(f"mediarchive-export-{number:05d}.warc.gz")
        path.rename(target)
        renamed.append(target)
    return renamed


def _companions(handle, capture: dict) -> list[tuple[int, int]]:
    """(offset, length) of the request and metadata records written with a
    capture (they follow it and name it in WARC-Concurrent-To)."""
    handle.seek(capture["offset"] + capture["length"])
    found = []
    try:
        iterator = ArchiveIterator(handle, arc2warc=True, check_digests=False)
        for record in iterator:
            if record.rec_headers.get_header("WARC-Concurrent-To") != capture["record_id"]:
                break
            found.append((iterator.get_record_offset(), iterator.get_record_length()))
            if len(found) == 2:
                break
    except (ArchiveLoadFailed, OSError, ValueError, EOFError):
        pass  # the end of the file, or a damaged tail: the capture alone is copied
    return found


def _write_pages(index: Index, capture_ids: list[int], path: Path, title: str, task: Task) -> int:
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title, "hasText": True}) + "\n")
        seen: set[str] = set()
        for start in range(0, len(capture_ids), 500):
            chunk = capture_ids[start:start + 500]
            for page in index.query(
                "SELECT p.url, c.captured_at, p.title, p.text, p.source FROM pages p JOIN captures c ON c.id = p.capture_id"
                f" WHERE p.url IN (SELECT url FROM captures WHERE id IN ({', '.join('?' for _ in chunk)}))"
                " ORDER BY p.url",
                chunk,
            ):
                if page["url"] in seen:
                    continue
                seen.add(page["url"])
                line = {"url": page["url"], "ts": page["captured_at"], "title": page["title"] or "", "text": page["text"] or ""}
                if page["source"]:
                    line["source"] = page["source"]  # ours: an import of the package gives the pages their source again
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            task.advance(len(chunk))
    return len(seen)


def page_sources(path: Path) -> dict[str, str]:
    """The source of each page a WACZ's ``pages/pages.jsonl`` names one for
    (as :func:`export_wacz` writes them); empty when it names none."""
    found: dict[str, str] = {}
    try:
        with zipfile.ZipFile(path) as package, package.open("pages/pages.jsonl") as lines:
            for line in io.TextIOWrapper(lines, encoding="utf-8", errors="replace"):
                try:
                    page = json.loads(line)
                except ValueError:
                    continue
                if isinstance(page, dict) and isinstance(page.get("url"), str) and isinstance(page.get("source"), str):
                    found[page["url"]] = page["source"]
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    return found


def _last_line(run: subprocess.CompletedProcess) -> str:
    lines = (run.stdout + run.stderr).strip().splitlines()
    return lines[-1] if lines else f"exit code {run.returncode}"


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, data):
        return len(data)
