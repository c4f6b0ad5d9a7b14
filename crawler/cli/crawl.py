"""Crawling: `crawl`, `sources`, `cron` and the offline `demo`."""

from __future__ import annotations

import sys
import logging
import textwrap
from pathlib import Path

import click

from archive.paths import DataDir
from archive.errors import UsageError
from crawler.cli.base import (
    CONTEXT, config_option, data_option, fails_cleanly, json_option, load_sources, main, page_timeout_option, print_json,
    print_warnings, progress,
)
from crawler.cli.runview import crawl_display, log_level_option, progress_interval_option, scrapy_log_settings


@main.command(context_settings=CONTEXT)
@config_option
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Crawl only this source (repeatable).")
@data_option
@click.option(
    "--recheck",
    type=click.Choice(["due", "all", "none"]),
    default="due",
    show_default=True,
    help="Which known articles to fetch again: those due by their schedule, all, or none.",
)
@click.option("--backfill", is_flag=True, help="Walk archives and pagination back to --since (or the source's backfill.since).")
@click.option("--since", metavar="DATE", help="With --backfill: how far back (YYYY-MM-DD).")
@click.option(
    "--from-warc", "from_warc", multiple=True, metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Answer the spiders from these WARC files instead of the network (repeatable); they are imported.",
)
@click.option(
    "--no-index", "no_index", is_flag=True,
    help="Capture only: write WARC files, extract and index nothing (the next run without it indexes them first).",
)
@log_level_option
@progress_interval_option
@page_timeout_option
@fails_cleanly
def crawl(
    config_path: str,
    sources: tuple[str, ...],
    data: str | None,
    recheck: str,
    backfill: bool,
    since: str | None,
    from_warc: tuple[Path, ...],
    no_index: bool,
    log_level: str | None,
    progress_interval: float,
    page_timeout: float,
) -> None:
    """Crawl sources into WARC files, then index what was captured.

    Every HTTP exchange (redirects and errors included) is written to
    DATA/warcs/ and indexed into DATA/index.sqlite. A routine run fetches
    feeds, sitemaps and listing pages, new articles, and known articles due
    for a re-check (conditionally: unchanged pages are stored as revisits).
    One run at a time per data directory; a run interrupted, even by SIGKILL,
    is mended and resumed by the next. Prints a summary per source and one
    line for the run; the full report is in DATA/runs/, the log in
    DATA/logs/mediarchive.log. On a terminal a live table shows, per source,
    the URLs found, pages fetched, requests queued, failures and pages/s;
    without one (cron), a line per source every --progress-interval
    seconds. Exits 0 only when
    every source succeeded, 3 when another run holds the data directory.

    A routine run follows a source's listing pages to `routine_pages` (5)
    from its start pages; --backfill walks its archives (`backfill.urls`:
    monthly archives back to --since, numbered pages until one holds
    nothing new). A closed source (The Saker) is crawled only when named.

    With --from-warc, no request leaves the machine: the spiders run against
    the given WARC files (URLs they do not hold answer 404) and the summary
    shows what they found there.

    With --no-index, the run only captures: no extraction, no index, no
    replay index, so the crawl runs at full speed (e.g. on a busy machine,
    indexing later). Files it wrote are indexed by the next run without
    --no-index, before that run crawls (or by `mediarchive reindex`); until
    then they are not searchable and the run re-fetches their articles.

    \b
    Example:
        mediarchive crawl --config config/sources.yaml --source moonofalabama --data ./data
    """
    from crawler import logsetup
    from crawler.failures import ROBOTS, summary
    from crawler.run import routine_run

    config, config_path = load_sources(config_path, data)
    selected = config.select(list(sources))
    if not selected:
        raise UsageError(f"{config_path}: no enabled source to crawl")
    if no_index and from_warc:
        raise UsageError("--from-warc imports (indexes) its files: not with --no-index")
    if since is not None:
        if not backfill:
            raise UsageError("--since goes with --backfill")
        from archive.search.search import check_date

        if len(check_date(since, "--since")) != 10:
            raise UsageError("--since: give a whole date, YYYY-MM-DD")
    datadir = DataDir.resolve(data)
    datadir.remember_sources(config_path)  # `sources`, `cron`, `reindex` then find it from any folder
    interactive = sys.stderr.isatty()
    log_file = logsetup.configure(datadir.logs, log_level, interactive)
    overrides = {**scrapy_log_settings(log_level), "ARCHIVE_SOURCES_FILE": str(Path(config_path).resolve())}
    if interactive:
        click.echo(f"crawling {len(selected)} source(s): {', '.join(s.name for s in selected)} -> {datadir.warcs}", err=True)
    report = routine_run(
        config, selected, datadir, settings_overrides=overrides, recheck=recheck, from_warc=from_warc,
        backfill=backfill, since=since, index=not no_index, page_timeout=page_timeout,
        progress=progress if interactive else logging.getLogger("mediarchive").info,
        display=crawl_display(interactive, progress_interval),
    )
    click.echo(f"{'source':<24} {'articles':>16} {'requisites':>13} {'other':>10}  result")
    for source in report.sources:
        outcome = "ok" if source["succeeded"] else f"FAILED ({source['problem']})"
        failed = {cause: n for cause, n in source["causes"].items() if cause not in ("dropped by a rule", ROBOTS)}
        if source["succeeded"] and failed:
            outcome += f" (failed: {summary(failed)})"
        if source["truncated"]:
            outcome += f" ({source['truncated']} body(ies) cut at max_body_size, marked WARC-Truncated)"
        if from_warc:
            outcome += f" (from WARC: {source['served_from_warc']} served, {source['missing_from_warc']} missing)"
        captured, failed = source["captured_by_role"], source["failed_by_role"]
        others = sum(n for role, n in captured.items() if role not in ("article", "requisite"))
        others_failed = sum(n for role, n in failed.items() if role not in ("article", "requisite"))
        articles = f"{source['articles_found']}/{captured.get('article', 0)}/{failed.get('article', 0)}"
        requisites = f"{captured.get('requisite', 0)}/{failed.get('requisite', 0)}"
        click.echo(f"{source['name']:<24} {articles:>16} {requisites:>13} {f'{others}/{others_failed}':>10}  {outcome}")
    click.echo(textwrap.fill(
        "articles: found/archived/failed (found: article URLs this run knew of; archived: captures, revisits"
        " included; failed: no answer, or an HTTP error, itself archived); requisites (stylesheets, images, fonts,"
        " scripts) and other (listings, feeds, sitemaps, robots.txt): archived/failed",
        100, initial_indent="  ", subsequent_indent="  ",
    ))
    for failure in report.failures:
        click.echo(f"error: {failure}", err=True)
    print_warnings(report)
    click.echo(f"{report.summary_line()} (log: {log_file})")
    sys.exit(report.exit_code)


@main.command(context_settings=CONTEXT)
@config_option
@data_option
@json_option
@fails_cleanly
def sources(config_path: str, data: str | None, as_json: bool) -> None:
    """The sources of the sources file and how their archive stands.

    For each: enabled, disabled or closed; its last run and whether it
    succeeded; pages archived and removed; the newest article's date; how
    many of the last run's articles each site rule matched and how many
    articles its feeds and listings listed, with a warning where one fell
    below half of the run before (the site's layout may have changed).

    \b
    Example:
        mediarchive sources --json
    """
    from archive.index.store import Index
    from archive.index.runs import source_status

    config, _ = load_sources(config_path, data)
    datadir = DataDir.resolve(data)
    index = Index(datadir.index_path, readonly=True) if datadir.index_path.exists() else None
    try:
        rows = source_status(index, datadir.runs, list(config.sources))
    finally:
        if index is not None:
            index.close()
    if as_json:
        print_json(rows)
        return
    click.echo(f"{'source':<18} {'status':<9} {'last run':<21} {'result':<8} {'pages':>7} {'removed':>8}  newest article")
    for row in rows:
        result = "-" if row["last_run_ok"] is None else ("ok" if row["last_run_ok"] else "FAILED")
        click.echo(
            f"{row['name']:<18} {row['status']:<9} {row['last_run'] or 'never':<21} {result:<8}"
            f" {row['pages_archived']:>7} {row['pages_removed']:>8}  {row['newest_article'] or '-'}"
        )
        if row["last_run_problem"]:
            click.echo(f"{'':<18} {row['last_run_problem']}")
        if row["last_run_rules"] or row["last_run_listed"]:
            rules = ", ".join(f"{rule} {m}/{n}" for rule, (m, n) in sorted((row["last_run_rules"] or {}).items()))
            listed = row["last_run_listed"] or {}
            click.echo(
                f"{'':<18} rules matched: {rules or '-'}; listed: {listed.get('feed_articles') or 0} by feeds, "
                f"{listed.get('listing_articles') or 0} by listings"
            )
        for line in row["last_run_drift"] or ():
            click.echo(f"{'':<18} warning: {line}")


@main.command(context_settings=CONTEXT)
@click.option("--every", default="1h", show_default=True, metavar="INTERVAL",
              help="How often: 15m, 30m, 1h, 2h, 6h, 12h or 1d.")
@config_option
@data_option
@fails_cleanly
def cron(every: str, config_path: str, data: str | None) -> None:
    """Print a crontab line that runs the crawl of this install.

    Add it with `crontab -e`. Runs never overlap (a second run exits with
    code 3); without a terminal the log goes to DATA/logs/mediarchive.log
    and the run's summary line to cron's mail.

    \b
    Example:
        mediarchive cron --every 6h --data /srv/archive/data
    """
    schedules = {
        "15m": "*/15 * * * *", "30m": "*/30 * * * *", "1h": "7 * * * *", "2h": "7 */2 * * *",
        "6h": "7 */6 * * *", "12h": "7 */12 * * *", "1d": "7 3 * * *",
    }
    if every not in schedules:
        raise UsageError(f"--every: {every!r} is not one of {', '.join(schedules)}")
    _, config_path = load_sources(config_path, data)  # a broken file is better found now than at 3 a.m.
    program = Path(sys.executable).parent / "mediarchive"
    datadir = DataDir.resolve(data)
    click.echo(
        f"{schedules[every]} {program} crawl --config {Path(config_path).resolve()} --data {datadir.root}"
    )


@main.command(context_settings=CONTEXT)
@click.option("--keep", "keep", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the demo's data directory here instead of a temporary one.")
@fails_cleanly
def demo(keep: Path | None) -> None:
    """Show the whole pipeline offline, on a small bundled site.

    Serves a sample site of English and Russian articles on 127.0.0.1,
    crawls it with the real pipeline (WARC files, extraction, index) into a
    temporary data directory and runs an English and a Russian search. Then
    the site edits one article and takes one down, and is crawled again: the
    demo shows the changes, the edit's diff and the replay addresses of both
    versions, and prints the commands to go further. Nothing leaves the
    machine.

    \b
    Example:
        mediarchive demo --keep ./demo-data
    """
    import tempfile

    from crawler.demo import run_demo

    workdir = keep or Path(tempfile.mkdtemp(prefix="mediarchive-demo-"))
    report = run_demo(workdir, click.echo)
    sys.exit(report.exit_code)
