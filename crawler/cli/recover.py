"""`recover`: a source's articles back from the mementos other web archives hold."""

from __future__ import annotations

import logging
import sys

import click

from archive.errors import UsageError
from archive.paths import DataDir
from crawler.cli.base import (
    CONTEXT, config_option, data_option, fails_cleanly, load_sources, main, page_timeout_option, print_warnings, progress,
)
from crawler.cli.runview import crawl_display, log_level_option, progress_interval_option, scrapy_log_settings

@main.command(context_settings=CONTEXT)
@config_option
@click.option("--source", "source_name", required=True, metavar="NAME", help="The source whose articles to recover.")
@click.option("--since", metavar="DATE", help="Captures from this date on (YYYY, YYYY-MM or YYYY-MM-DD; default: the source's recover.since).")
@click.option("--until", metavar="DATE", help="Captures up to this date (default: the source's recover.until).")
@click.option(
    "--archive", "archive_urls", multiple=True, metavar="URL",
    help="A CDX endpoint (…/cdx, …/cdx/search/cdx) or a Memento TimeMap prefix (…/timemap/link/) to ask (repeatable; "
         "default: the source's recover.archives, else the Wayback Machine's CDX API).",
)
@click.option("--delay", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Seconds between requests to an archive (one at a time; 0: no pause, several at once, for local archives).")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds to wait for an archive's answer before trying again.")
@data_option
@log_level_option
@progress_interval_option
@page_timeout_option
@fails_cleanly
def recover(
    config_path: str, source_name: str, since: str | None, until: str | None, archive_urls: tuple[str, ...],
    delay: float, timeout: float, data: str | None, log_level: str | None, progress_interval: float,
    page_timeout: float,
) -> None:
    """Recover a source's articles from public web archives.

    Asks each archive which captures it holds of the source's domains (its
    CDX API; a TimeMap archive is asked about each article URL known), keeps
    those whose URL is an article by the source's patterns, with status 200,
    one per distinct digest, and fetches each one's raw form (`id_`),
    politely: robots.txt, one request at a time --delay seconds apart,
    Retry-After and a growing back-off. A run fetches only what the archive
    does not hold yet (by URL and digest); an interrupted one is resumed by
    the next.

    The WARC files keep each exchange with the archive as it happened, a
    metadata record of the original URL, the archive's capture time and
    digest, and the page at its original URL with the outlet's headers. The
    index files it under that URL and time, marked as via the archive:
    search, show, history, diff and replay show it beside our own captures,
    never as fetched from the outlet.

    \b
    Example:
        mediarchive recover --source thesaker --since 2014 --until 2023
    """
    from archive.mementos.memento import WAYBACK_CDX, archive_from_url
    from archive.mementos.select import bound
    from archive.search.search import check_date
    from crawler import logsetup
    from crawler.recovery import recover_run

    config, config_path = load_sources(config_path, data)
    source = config.source(source_name)
    since = since or source.recover_since
    until = until or source.recover_until
    since, until = check_date(since, "--since"), check_date(until, "--until")
    if since and until and bound(since, end=False) > bound(until, end=True):
        raise UsageError(f"--since {since} is after --until {until}")
    archives = [archive_from_url(url) for url in (archive_urls or source.recover_archives or (WAYBACK_CDX,))]
    datadir = DataDir.resolve(data)
    datadir.remember_sources(config_path)
    interactive = sys.stderr.isatty()
    log_file = logsetup.configure(datadir.logs, log_level, interactive)
    if interactive:
        click.echo(
            f"recovering {source.name} ({', '.join(source.recover_domains)}) from {', '.join(a.name for a in archives)}",
            err=True,
        )
    report = recover_run(
        config, source, datadir, archives, since=since, until=until, delay=delay, timeout=timeout,
        settings_overrides=scrapy_log_settings(log_level), page_timeout=page_timeout,
        progress=progress if interactive else logging.getLogger("mediarchive").info,
        display=crawl_display(interactive, progress_interval),
    )
    for entry in report.sources:
        outcome = "ok" if entry["succeeded"] else f"FAILED ({entry['problem']})"
        left = ", ".join(f"{n} {why}" for why, n in sorted(entry["left_out"].items())) or "none"
        click.echo(
            f"{entry['name']}: {entry['found']} memento(s) fetched, {entry['recovered']} holding a page"
            f" ({entry['digest_mismatches']} not matching the archive's digest), {entry['failed']} failed; {outcome}"
        )
        click.echo(f"  left out: {left}")
        if entry["cdx_malformed"]:
            click.echo(f"  {entry['cdx_malformed']} unreadable CDX line(s) left out (see the log)")
    indexed = report.indexed
    click.echo(f"indexed {indexed.get('pages', 0)} page(s) from {indexed.get('captures', 0)} capture(s)")
    for failure in report.failures:
        click.echo(f"error: {failure}", err=True)
    print_warnings(report)
    click.echo(report.summary_line().replace("source(s) ok", "source(s) recovered") + f" (log: {log_file})")
    sys.exit(report.exit_code)
