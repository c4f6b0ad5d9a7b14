"""The indexer's extraction job over real pages, written down field by field, to
check that a change to the extraction code changes no output.

    python -m bench.extraction_outputs dump FILE [--limit N]   # every output, as JSON
    python -m bench.extraction_outputs compare BEFORE AFTER    # what differs, page by page

The pages: the 181 of the Zyte benchmark and the 258 of fundus's test data
(``../shared/realdata/extraction``), each with the default options and with
every source's options of ``config/sources.yaml`` (Typepad comments, site
rules, expected language, reprints), and the stored outlet samples
(``tests/samples``) with their own source's options. ``compare`` exits 1 when
any field of any page differs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.extract.job import extract_job
from archive.sources import ExtractionOptions, load_config
from bench.extraction_quality import BENCHMARK_DIR, PROJECT_ROOT, load_benchmark

FUNDUS_DIR = BENCHMARK_DIR.parent / "fundus" / "test_data"
SAMPLES_DIR = PROJECT_ROOT / "tests" / "samples"
SOURCES_FILE = PROJECT_ROOT / "config" / "sources.yaml"
#: The capture time given to every job (relative dates are resolved against it).
CAPTURED_AT = "2025-06-01T12:00:00Z"


def real_pages() -> Iterator[tuple[str, str, bytes, str | None]]:
    """(name, url, body, content type) of the Zyte and fundus pages."""
    for page_id, url, _truth, path in load_benchmark(BENCHMARK_DIR):
        yield f"zyte/{page_id}", url, gzip.decompress(path.read_bytes()), None
    for meta_path in sorted(FUNDUS_DIR.rglob("meta.info")):
        for name, entry in sorted(json.loads(meta_path.read_text(encoding="utf-8")).items()):
            path = meta_path.parent / name
            if path.is_file():
                yield f"fundus/{path.relative_to(FUNDUS_DIR)}", entry["url"], gzip.decompress(path.read_bytes()), None


def sample_pages() -> Iterator[tuple[str, str, bytes, str | None, str]]:
    """(name, url, body, content type, source) of the stored outlet samples' articles."""
    for manifest_path in sorted(SAMPLES_DIR.glob("*/manifest.json")):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for entry in manifest["pages"]:
            if entry["kind"] == "article":
                body = (manifest_path.parent / entry["file"]).read_bytes()
                name = f"samples/{manifest['source']}/{entry['file']}"
                yield name, entry["url"], body, entry["content_type"], manifest["source"]


def jobs() -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(key, extract_job arguments) of every page and options compared."""
    options = {"default": ExtractionOptions(), **load_config(SOURCES_FILE).extraction_options()}
    for name, url, body, content_type in real_pages():
        for label, option in options.items():
            yield f"{name} [{label}]", (body, url, content_type, None, option, CAPTURED_AT)
    for name, url, body, content_type, source in sample_pages():
        yield f"{name} [{source}]", (body, url, content_type, None, options[source], CAPTURED_AT)


def comparable(result: dict | str) -> dict | str:
    """The job's output as JSON can hold it: its search forms in a stable order (they
    come from a set), its fingerprint (bytes) in hexadecimal."""
    if not isinstance(result, dict):
        return result
    result = {key: value.hex() if isinstance(value, bytes) else value for key, value in result.items()}
    if result.get("search_words") is not None:
        result["search_words"] = sorted(map(list, result["search_words"]))
    return result


def dump(path: Path, limit: int | None = None) -> int:
    outputs = {}
    for key, args in jobs():
        outputs[key] = comparable(extract_job(*args))
        if limit and len(outputs) >= limit:
            break
    path.write_text(json.dumps(outputs, ensure_ascii=False, sort_keys=True, indent=0), encoding="utf-8")
    print(f"{len(outputs)} outputs written to {path}")
    return 0


def compare(before_path: Path, after_path: Path) -> int:
    before = json.loads(before_path.read_text(encoding="utf-8"))
    after = json.loads(after_path.read_text(encoding="utf-8"))
    differing = 0
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        differing += 1
        if not (isinstance(old, dict) and isinstance(new, dict)):
            print(f"{key}: {str(old)[:200]!r} -> {str(new)[:200]!r}")
            continue
        for field in sorted(old.keys() | new.keys()):
            if old.get(field) != new.get(field):
                print(f"{key}: {field}: {str(old.get(field))[:200]!r} -> {str(new.get(field))[:200]!r}")
    print(f"{len(before)} before, {len(after)} after, {differing} differing")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("file", type=Path)
    dumping.add_argument("--limit", type=int)
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        return dump(args.file, args.limit)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
