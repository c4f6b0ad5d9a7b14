"""The goals of issue 7, judged on one run's figures, and the Markdown table."""

from __future__ import annotations

import statistics

LABELS = {
    "bare": "(a) bare Scrapy, no archiving",
    "bare_discovery": "(a') bare Scrapy + our link discovery",
    "capture": "(b) `mediarchive crawl --no-index`",
    "full": "(c) `mediarchive crawl` (WARC + extraction + index)",
    "wget": "(d) `wget --recursive --warc-file`",
}
#: Memory: the peak RSS of the 100,000-page crawl may exceed the small capture's
#: by what the seen sets gain in between plus this much (allocator slack, stats).
MEMORY_SLACK_MB = 25


def capacity(result: dict) -> dict:
    """What two cores allow: 2 / (CPU per page of capture + of extraction alone)."""
    capture = result["no_latency"]["median"]["capture"]
    alone = result["extraction_alone"]
    extraction_s_per_page = alone["cpu_ms_per_article"] / 1000 * capture["articles"] / capture["pages"]
    capture_s_per_page = capture["cpu_ms_per_page"] / 1000
    return {
        "capture_cpu_ms_per_page": round(1000 * capture_s_per_page, 3),
        "extraction_cpu_ms_per_page": round(1000 * extraction_s_per_page, 3),
        "pages_per_s": round(2 / (capture_s_per_page + extraction_s_per_page), 1),
    }


def goals(result: dict) -> list[dict]:
    plain, slow = result["no_latency"]["median"], result["latency"]["median"]
    ceiling = capacity(result)
    memory = result.get("memory")
    quality = result["extraction_quality"]
    recrawl = result["no_latency"]["recrawl"]
    rows = [
        ("capture only (b) >= 90% of bare Scrapy (a), pages/s",
         f"{plain['capture']['pages_per_s']:.0f} vs {plain['bare']['pages_per_s']:.0f} pages/s = "
         f"{plain['capture']['pages_per_s'] / plain['bare']['pages_per_s']:.0%} (vs (a') with our link discovery: "
         f"{plain['capture']['pages_per_s'] / plain['bare_discovery']['pages_per_s']:.0%})",
         plain["capture"]["pages_per_s"] >= 0.9 * plain["bare"]["pages_per_s"]),
        ("full pipeline (c) >= 85% of what two cores allow",
         f"{plain['full']['pages_per_s']:.1f} pages/s vs 2 / ({ceiling['capture_cpu_ms_per_page']} + "
         f"{ceiling['extraction_cpu_ms_per_page']} ms) = {ceiling['pages_per_s']} pages/s: "
         f"{plain['full']['pages_per_s'] / ceiling['pages_per_s']:.0%}",
         plain["full"]["pages_per_s"] >= 0.85 * ceiling["pages_per_s"]),
        (f"with {result['latency']['latency_ms']:g} ms latency, (c) finishes the site before wget (d)",
         f"{slow['full']['wall_s']:.1f} s vs {slow['wget']['wall_s']:.1f} s "
         f"({slow['wget']['wall_s'] / slow['full']['wall_s']:.2f}x)",
         slow["full"]["wall_s"] < slow["wget"]["wall_s"]),
        *_memory_goals(memory, plain["capture"]),
        ("extraction F1 >= trafilatura's published 0.958 (Zyte)",
         f"F1 {quality['metrics']['f1']:.3f} ± {quality['std']['f1']:.3f}", quality["metrics"]["f1"] >= 0.958),
        ("recrawl of the unchanged site >= 10x faster than the first crawl (bench/recrawl.py)",
         f"{recrawl['second_run_s']:.1f} s vs {recrawl['first_run_s']:.1f} s = {recrawl['speedup']}x",
         recrawl["speedup"] >= 10),
        ("recrawl adds <= 2% of the first crawl's WARC bytes (bench/recrawl.py)",
         f"{recrawl['warc_bytes_added'] / 1e6:.2f} MB = {recrawl['bytes_added_pct']}%", recrawl["bytes_added_pct"] <= 2),
    ]
    return [{"goal": goal, "figure": figure, "met": None if met is None else bool(met)} for goal, figure, met in rows]


def _memory_goals(memory: dict | None, small: dict) -> list[tuple[str, str, bool | None]]:
    """``small``: the capture-only crawl of the pipeline site (same run), the
    baseline that the 100,000-page crawl's RSS is compared with."""
    if memory is None:
        return [("RSS < 500 MB at 100,000 pages", "not measured in this run", None)]
    seen = memory["url_seen_set_mb"] * (1 - small["pages"] / memory["captured"])
    over_small = memory["peak_rss_mb"] - small["peak_rss_mb"]
    within = memory["rss_mb_at"]["100%"] - memory["rss_mb_at"]["25%"]
    return [
        (f"RSS < 500 MB at {memory['captured']:,} pages",
         f"peak {memory['peak_rss_mb']:.0f} MB", memory["peak_rss_mb"] < 500),
        ("RSS not growing with the page count beyond the URL-seen sets",
         f"peak {over_small:+.0f} MB over the {small['pages']:,}-page capture's {small['peak_rss_mb']:.0f} MB, where the "
         f"seen sets add {seen:.0f} MB (+{MEMORY_SLACK_MB} MB slack); within the crawl, {within:+.0f} MB from 25% to "
         "100% of the pages", over_small <= seen + MEMORY_SLACK_MB),
    ]


def _table(condition: dict) -> list[str]:
    lines = [
        "| crawler | wall s | pages | pages/s | vs (a) | CPU ms/page | site server CPU ms/page | peak RSS MB | MB written |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    median = condition["median"]
    for tool, label in LABELS.items():
        m = median[tool]
        lines.append(
            f"| {label} | {m['wall_s']:.1f} | {m['pages']:.0f} ({m['articles']:.0f} articles) | {m['pages_per_s']:.1f} | "
            f"{m['pages_per_s'] / median['bare']['pages_per_s']:.2f} | {m['cpu_ms_per_page']:.2f} | "
            f"{1000 * m['server_cpu_s'] / max(m['pages'], 1):.2f} | {m['peak_rss_mb']:.0f} | {m['bytes_written'] / 1e6:.1f} |"
        )
    return lines


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else "met" if met else "**not met**"


def _memory_section(memory: dict | None) -> list[str]:
    if memory is None:
        return ["## Memory", "", "Not measured in this run (`python -m bench --memory-only` adds it).", ""]
    return [
        f"## Memory: capture-only crawl of a {memory['site_pages']:,}-article site",
        "",
        f"{memory['captured']:,} pages in {memory['wall_s']:.0f} s ({memory['pages_per_s']} pages/s, "
        f"{memory['cpu_ms_per_page']} ms CPU a page); RSS of the "
        f"crawl's process tree sampled every second, pages estimated from the WARC bytes written so far. "
        f"The seen sets (the spider's URLs and Scrapy's request fingerprints) weigh {memory['url_seen_set_mb']} MB "
        f"at {memory['site_pages']:,} URLs.",
        "",
        "| pages | " + " | ".join(memory["rss_mb_at"]) + " | peak |",
        "|---|" + "--:|" * (len(memory["rss_mb_at"]) + 1),
        "| RSS MB | " + " | ".join(f"{v:.0f}" for v in memory["rss_mb_at"].values()) + f" | {memory['peak_rss_mb']:.0f} |",
        "",
        f"Growth over the second half: {memory['growth_mb_per_10k_pages_second_half']} MB per 10,000 pages.",
        "",
    ]


def markdown(result: dict) -> str:
    machine = result["machine"]
    plain, slow = result["no_latency"], result["latency"]
    ceiling = capacity(result)
    alone = result["extraction_alone"]
    memory = result.get("memory")
    recrawl = plain["recrawl"]
    quality = result["extraction_quality"]
    language = result["language"]
    out = [
        "# mediarchive benchmarks" + (" (quick smoke run: not the reference figures)" if result["quick"] else ""),
        "",
        f"Measured {result['date']} on `{machine['host']}`: {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gb']} GB; {machine['os']}; Python {machine['python']}, Scrapy {machine['scrapy']}, "
        f"trafilatura {machine['trafilatura']}, {machine['wget']}; commit {machine['commit']}. "
        f"Load average before/after: {result['load_before'][0]:.2f} / {result['load_after'][0]:.2f}. "
        f"Whole run: {result['wall_s'] / 60:.1f} min. Command: `python -m bench`.",
        "",
        "## Goals",
        "",
        "| goal | figure | met |",
        "|---|---|---|",
        *[f"| {g['goal']} | {g['figure']} | {_verdict(g['met'])} |" for g in result["goals"]],
        "",
        f"## Pipeline, {plain['site_pages']:,}-article site, no added latency, per-host concurrency {plain['concurrency']}",
        "",
        f"Medians of {plain['median']['bare']['runs']} rounds, the crawlers in alternation. Pages: HTTP "
        "responses (articles, listing pages, feed, sitemap, robots.txt; wget walks all listing pages and reads "
        "no sitemap). CPU: user + system of the crawler's whole process tree (extraction workers included). "
        "The site server is a Python process on the same two cores; its CPU is shown apart. MB written: what "
        "the run leaves on disk (WARC, index, replay index, reports; wget: its WARC, its mirror deleted). "
        "Phases of (b) and (c), from their logs: crawl, then indexing.",
        "",
        *_table(plain),
        "",
        _phases(plain),
        "",
        f"Extraction alone (the indexer's worker job in one process, {alone['articles_extracted']} articles of "
        f"the capture): {alone['cpu_ms_per_article']} ms CPU per article, {ceiling['extraction_cpu_ms_per_page']} ms "
        f"per page crawled; first page (model loading, date-parser warm-up): {alone['warmup_s']} s. "
        f"Two cores allow 2 / ({ceiling['capture_cpu_ms_per_page']} + {ceiling['extraction_cpu_ms_per_page']} ms) "
        f"= **{ceiling['pages_per_s']} pages/s** end to end.",
        "",
        f"## Pipeline, same site, {slow['latency_ms']:g} ms latency per response, per-host concurrency {slow['concurrency']}",
        "",
        *_table(slow),
        "",
        _phases(slow),
        "",
        "## Recrawl of the unchanged site (`mediarchive crawl` again on (c)'s data)",
        "",
        f"First crawl {recrawl['first_run_s']:.1f} s, second {recrawl['second_run_s']:.1f} s "
        f"({recrawl['speedup']}x faster, {recrawl['second_run_cpu_s']:.1f} s CPU): {recrawl['fetched']} fetched "
        f"({recrawl['revisits']} revisits), {recrawl['known_not_fetched']} known articles not due, "
        f"{recrawl['pages_per_s']} pages/s; {recrawl['warc_bytes_added'] / 1e3:.0f} kB of WARC added "
        f"({recrawl['bytes_added_pct']}% of the first crawl's {recrawl['first_run_warc_bytes'] / 1e6:.1f} MB).",
        "",
        *_memory_section(memory),
        "## Extraction quality",
        "",
        f"Zyte article-extraction benchmark, {quality['pages']} pages (`bench/extraction_quality.py`): "
        f"F1 **{quality['metrics']['f1']:.3f}** ± {quality['std']['f1']:.3f}, precision "
        f"{quality['metrics']['precision']:.3f}, recall {quality['metrics']['recall']:.3f}, accuracy "
        f"{quality['metrics']['accuracy']:.3f}; trafilatura {quality['published_trafilatura']['version']} "
        f"published F1 {quality['published_trafilatura']['f1']}; {1000 * quality['seconds_per_page']:.0f} ms a page.",
        "",
        "Language (ISO 639-1) accuracy (`bench/language_accuracy.py`):",
        "",
        "| labelled set | pages | accuracy |",
        "|---|--:|--:|",
        *[f"| {item['set']} | {item['pages']} | {item['accuracy']:.3f} |" for item in language.values()],
        "",
    ]
    misses = [w for item in language.values() for w in item.get("wrong", [])]
    if misses:
        out += ["Wrong languages: " + "; ".join(str(m) for m in misses[:10]), ""]
    return "\n".join(out)


def _phases(condition: dict) -> str:
    parts = []
    for tool in ("capture", "full"):
        runs = condition["runs"][tool]
        crawl = [r["crawl_phase_s"] for r in runs if "crawl_phase_s" in r]
        index = [r["index_phase_s"] for r in runs if "index_phase_s" in r]
        if crawl:
            text = f"{LABELS[tool].split(' ', 1)[0]} crawl phase {statistics.median(crawl):.1f} s"
            if index:
                text += f", indexing after it {statistics.median(index):.1f} s"
            parts.append(text)
    return ("Phases (medians): " + "; ".join(parts) + ".") if parts else ""
