"""The pipeline benchmark: four ways of crawling the same bench site, run in
alternation, several times, each measured from outside (bench.measure).

(a) ``bare``    bare Scrapy, same settings, no archiving (bench.bare_spider)
(a') ``bare_discovery`` the same, links found by the project's crawler.discovery
(b) ``capture`` ``mediarchive crawl --no-index``: WARC only
(c) ``full``    ``mediarchive crawl``: WARC, extraction, index, replay index
(d) ``wget``    ``wget --recursive --level=inf --warc-file`` (GNU wget)

Also here: the recrawl of an unchanged site, and the RSS of a long crawl.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from bench import measure
from bench.recrawl import REPO, sources_yaml, start_site

TOOLS = ("bare", "bare_discovery", "capture", "full", "wget")
WGET = "/usr/bin/wget"


def warc_counts(directory: Path) -> tuple[int, int]:
    """(response records, 200 responses of article pages) in the WARC files under ``directory``."""
    responses = articles = 0
    for path in sorted(Path(directory).rglob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    continue
                responses += 1
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                status = record.http_headers.get_statuscode() if record.http_headers else None
                if "/articles/" in url and status == "200":
                    articles += 1
    return responses, articles


def phases(log: Path) -> dict:
    """Seconds from the run's first log line to the spider's close, and from
    there to the end of indexing (the last "indexed" line), from the log."""
    from datetime import datetime

    def when(line: str) -> datetime | None:
        try:
            return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
        except ValueError:
            return None

    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    stamps = [(t, line) for line in lines if (t := when(line))]
    if not stamps:
        return {}
    start = stamps[0][0]
    closed = next((t for t, line in stamps if "Spider closed" in line), None)
    indexed = [t for t, line in stamps if "] INFO: indexed " in line]
    result = {"crawl_phase_s": round((closed - start).total_seconds(), 2)} if closed else {}
    if closed and indexed:
        result["index_phase_s"] = round((indexed[-1] - closed).total_seconds(), 2)
    return result


def command(tool: str, base: str, out: Path, config: Path, concurrency: int) -> list[str]:
    if tool in ("bare", "bare_discovery"):
        return [sys.executable, "-m", "bench.bare_spider", base, "--concurrency", str(concurrency),
                "--stats", str(out / "stats.json"), *(["--discovery", str(config)] if tool == "bare_discovery" else [])]
    if tool in ("capture", "full"):
        # INFO: a few lines a run (no line per request), whose times split the run into its phases
        return [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(out / "data"),
                "--log-level", "INFO", *(["--no-index"] if tool == "capture" else [])]
    if tool == "wget":
        # one connection (wget has no other); robots.txt obeyed as by default;
        # the mirror's files are deleted, the WARC is what is kept
        return [WGET, "--quiet", "--recursive", "--level=inf", "--delete-after", "--no-host-directories",
                f"--directory-prefix={out / 'files'}", f"--warc-file={out / 'site'}",
                "--accept-regex", r"/(news/|articles/)", f"{base}/news/"]
    raise ValueError(tool)


def run_once(tool: str, base: str, out: Path, config: Path, concurrency: int, server_pid: int) -> dict:
    """One measured run of ``tool``; its output stays in ``out``."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    server_before = measure.cpu_seconds(server_pid)
    result = measure.run(command(tool, base, out, config, concurrency), cwd=REPO)
    server_cpu = measure.cpu_seconds(server_pid) - server_before
    if result.returncode != 0 and tool != "wget":  # wget exits 8 when some link answered 404
        raise RuntimeError(f"{tool} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    if tool in ("bare", "bare_discovery"):
        stats = json.loads((out / "stats.json").read_text())
        pages, articles = stats.get("response_received_count", 0), stats.get("bench/articles", 0)
        written = 0
    else:
        pages, articles = warc_counts(out)
        written = measure.tree_size(out / "data" if tool != "wget" else out)
    sizes = index_sizes(out / "data") if tool == "full" else {}
    return {
        "tool": tool,
        **(phases(out / "data" / "logs" / "mediarchive.log") if tool in ("capture", "full") else {}),
        "wall_s": round(result.wall_s, 3),
        "cpu_s": round(result.cpu_s, 3),
        "server_cpu_s": round(server_cpu, 3),
        "peak_rss_mb": round(result.peak_rss_bytes / 2**20, 1),
        "peak_pss_mb": round(result.peak_pss_bytes / 2**20, 1),
        **sizes,
        "pages": pages,
        "articles": articles,
        "bytes_written": written,
        "pages_per_s": round(pages / result.wall_s, 2),
        "cpu_ms_per_page": round(1000 * result.cpu_s / max(pages, 1), 3),
        "returncode": result.returncode,
    }


def index_sizes(data: Path) -> dict:
    """Bytes of the index by table (each with its B-tree indexes; the FTS5
    table with its shadow tables) and of the WARC files, from SQLite's dbstat."""
    index = data / "index.sqlite"
    if not index.exists():
        return {}
    with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
        owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_schema"))
        tables: dict[str, int] = {}
        for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            table = "pages_search" if table.startswith("pages_search") else table
            tables[table] = tables.get(table, 0) + size
        pages = db.execute("SELECT count(*) FROM pages").fetchone()[0]
    warc = sum(p.stat().st_size for p in (data / "warcs").rglob("*.warc.gz"))
    return {
        "index_bytes": index.stat().st_size,
        "index_wal_bytes": measure.tree_size(index.with_name(index.name + "-wal")),
        "warc_bytes": warc,
        "indexed_pages": pages,
        "index_bytes_by_table": dict(sorted(tables.items(), key=lambda item: -item[1])),
    }


def medians(runs: list[dict]) -> dict:
    keys = ("wall_s", "cpu_s", "server_cpu_s", "peak_rss_mb", "peak_pss_mb", "pages", "articles", "bytes_written",
            "pages_per_s", "cpu_ms_per_page")
    return {key: statistics.median(r.get(key, 0) for r in runs) for key in keys} | {"runs": len(runs)}


def run_condition(pages: int, latency_ms: float, concurrency: int, reps: int, work: Path, log=print,
                  keep: tuple[str, ...] = ("capture", "full"), with_recrawl: bool = False) -> dict:
    """Every tool ``reps`` times, in alternation (the order turns each round).
    The last run of each tool in ``keep`` stays in ``work/<tool>``; with
    ``with_recrawl``, the last full crawl is run again on the unchanged site."""
    work.mkdir(parents=True, exist_ok=True)
    site, base = start_site(pages, latency_ms)
    try:
        config = work / "sources.yaml"
        config.write_text(sources_yaml(base, concurrency))
        runs: dict[str, list[dict]] = {tool: [] for tool in TOOLS}
        for rep in range(reps):
            order = TOOLS[rep % len(TOOLS):] + TOOLS[:rep % len(TOOLS)]
            for tool in order:
                out = work / tool
                result = run_once(tool, base, out, config, concurrency, site.pid)
                runs[tool].append(result)
                log(f"  [{latency_ms:g} ms, round {rep + 1}/{reps}] {tool:<14} {result['wall_s']:7.1f} s "
                    f"{result['pages_per_s']:7.1f} pages/s {result['cpu_ms_per_page']:6.2f} ms CPU/page "
                    f"{result['peak_rss_mb']:6.0f} MB  {result['pages']} pages ({result['articles']} articles)")
                if tool not in keep:
                    shutil.rmtree(out)
        again = reindex(work / "full" / "data", config) if with_recrawl else None
        second = recrawl(work / "full" / "data", config, runs["full"][-1]) if with_recrawl else None
    finally:
        site.terminate()
        site.wait()
    return {
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "site_pages": pages,
        "runs": runs,
        "median": {tool: medians(results) for tool, results in runs.items()},
        "recrawl": second,
        "reindex": again,
    }


def extraction_alone(warcs: Path, profile: Path | None = None) -> dict:
    """CPU of extraction alone over the articles of a capture-only crawl (bench.extraction_cpu)."""
    args = [sys.executable, "-m", "bench.extraction_cpu", str(warcs), "--json"]
    if profile:
        args += ["--profile", str(profile)]
    run = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def reindex(full_data: Path, config: Path, *, from_records: bool = False) -> dict:
    """``mediarchive reindex`` of the full crawl's data (a copy): pages extracted a second,
    or with ``from_records`` rebuilt from their archived conversion and metadata records."""
    data = full_data.with_name(full_data.name + "-reindex")
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(full_data, data)
    try:
        result = measure.run(
            [sys.executable, "-m", "crawler.cli", "reindex", *(["--from-records"] if from_records else []),
             "--config", str(config), "--data", str(data)], cwd=REPO,
        )
        if result.returncode != 0:
            raise RuntimeError(f"reindex failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        report = json.loads(sorted((data / "runs").glob("*.json"))[-1].read_text())
    finally:
        shutil.rmtree(data, ignore_errors=True)
    pages = report["indexed"]["pages"]
    return {
        "wall_s": round(result.wall_s, 2),
        "cpu_s": round(result.cpu_s, 2),
        "pages": pages,
        "pages_per_s": round(pages / result.wall_s, 1),
        "cpu_ms_per_page": round(1000 * result.cpu_s / max(pages, 1), 2),
        "peak_pss_mb": round(result.peak_pss_bytes / 2**20, 1),
    }


def recrawl(full_data: Path, config: Path, first: dict) -> dict:
    """A second routine run over ``full_data``, a full crawl of the same,
    unchanged, still running site (its URLs carry the site's port)."""
    before = measure.tree_size(full_data / "warcs")
    result = measure.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(full_data),
         "--log-level", "WARNING"], cwd=REPO,
    )
    if result.returncode != 0:
        raise RuntimeError(f"recrawl failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    added = measure.tree_size(full_data / "warcs") - before
    source = json.loads(sorted((full_data / "runs").glob("*.json"))[-1].read_text())["sources"][0]
    return {
        "first_run_s": first["wall_s"],
        "first_run_warc_bytes": before,
        "second_run_s": round(result.wall_s, 2),
        "second_run_cpu_s": round(result.cpu_s, 2),
        "fetched": source["captured"],
        "revisits": source["revisits"],
        "known_not_fetched": source["known"],
        "pages_per_s": round(source["captured"] / result.wall_s, 1),
        "warc_bytes_added": added,
        "bytes_added_pct": round(100 * added / before, 3),
        "speedup": round(first["wall_s"] / result.wall_s, 1),
    }


def memory(pages: int, work: Path, concurrency: int, log=print) -> dict:
    """Memory (PSS, and RSS beside it) of the crawl's process tree over a
    full-pipeline crawl of ``pages`` articles: WARC, extraction, index.
    Progress is read from the WARC bytes written so far."""
    site, base = start_site(pages)
    data = work / "memory"
    try:
        config = work / "memory.yaml"
        config.write_text(sources_yaml(base, concurrency))
        warcs = data / "warcs"
        result = measure.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--config", str(config), "--data", str(data),
             "--log-level", "WARNING"],
            cwd=REPO, interval=1.0, probe=lambda: measure.tree_size(warcs),
        )
        if result.returncode != 0:
            raise RuntimeError(f"memory crawl failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        report = json.loads(sorted((data / "runs").glob("*.json"))[-1].read_text())
    finally:
        site.terminate()
        site.wait()
        shutil.rmtree(data, ignore_errors=True)
    captured = report["sources"][0]["captured"]
    total_bytes = max(s[2] for s in result.samples) or 1
    # (pages so far, PSS MB): pages estimated from the share of the WARC bytes written
    curve = [(round(captured * b / total_bytes), round(p / 2**20, 1)) for _, _, b, p in result.samples if b]
    at = {}
    for share in (0.1, 0.25, 0.5, 0.75, 1.0):
        target = share * captured
        at[f"{int(share * 100)}%"] = next((rss for done, rss in curve if done >= target), curve[-1][1] if curve else 0)
    half = [(d, r) for d, r in curve if d >= captured / 2]
    slope = _slope(half) * 10_000 if len(half) > 2 else 0.0
    return {
        "site_pages": pages,
        "captured": captured,
        "wall_s": round(result.wall_s, 1),
        "pages_per_s": round(captured / result.wall_s, 1),
        "cpu_ms_per_page": round(1000 * result.cpu_s / max(captured, 1), 2),
        "peak_rss_mb": round(result.peak_rss_bytes / 2**20, 1),
        "peak_pss_mb": round(result.peak_pss_bytes / 2**20, 1),
        "pipeline": "full",
        "pss_mb_at": at,
        "growth_mb_per_10k_pages_second_half": round(slope, 2),
        "url_seen_set_mb": round(url_seen_set_bytes(base, pages) / 2**20, 1),
        "curve": curve[:: max(1, len(curve) // 60)],
    }


def _slope(points: list[tuple[int, float]]) -> float:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


def url_seen_set_bytes(base: str, pages: int) -> int:
    """What the sets of seen URLs weigh at ``pages``: the spider's URL set and
    Scrapy's request-fingerprint set (20-byte digests), measured here."""
    import tracemalloc

    from scrapy import Request
    from scrapy.utils.request import RequestFingerprinter

    fingerprint = RequestFingerprinter().fingerprint
    tracemalloc.start()
    urls = {f"{base}/articles/{n}.html" for n in range(pages)}
    prints = {fingerprint(Request(url)) for url in urls}
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del urls, prints
    return size


