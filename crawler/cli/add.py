"""`add`: single pages archived now, with their requisites."""

from __future__ import annotations

import logging
import sys

import click

from archive.paths import DataDir
from crawler.cli.base import CONTEXT, config_file, data_option, fails_cleanly, main, page_timeout_option, print_warnings, progress
from crawler.cli.runview import log_level_option, scrapy_log_settings
from crawler.progress import LiveTable


@main.command(context_settings=CONTEXT)
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option("--config", "config_path", metavar="FILE", default=None,
              help="Sources file (default: the one the data directory was last crawled with, else ./config/sources.yaml,"
                   " else none: every page is of no source).")
@click.option("--source", "source_name", metavar="NAME",
              help="File the pages of no source's domain under this source of the sources file.")
@data_option
@log_level_option
@page_timeout_option
@fails_cleanly
def add(
    urls: tuple[str, ...], config_path: str | None, source_name: str | None, data: str | None, log_level: str | None,
    page_timeout: float,
) -> None:
    """Archive single pages now, each with its requisites.

    Each URL is fetched once, in full (never a conditional re-check: adding
    a page twice archives it twice), with the stylesheets, images, fonts and
    scripts it loads, as a crawl fetches an article's (the source's
    `requisites` and `requisite_domains`); its links are not followed. The
    page is extracted and indexed as an article, and the replay index
    updated, so `search`, `show` and `replay` have it at once.

    A page is filed under the source whose allowed_domains hold it, else
    under --source, else under none (fetched with the sources file's
    defaults; its WARC files are DATA/warcs/added-*). Politeness is the
    source's: its delay, User-Agent and robots.txt.

    Exit 0 when every page was archived with a status below 400, 1 otherwise
    (an error page is archived all the same), 2 for a URL that is not
    http(s) or an unknown --source, 3 while another command holds the data
    directory.

    \b
    Example:
        mediarchive add https://www.moonofalabama.org/2024/01/some-post.html https://example.org/story.html
    """
    from archive.sources import Config, load_config
    from crawler import logsetup
    from crawler.adding import add_run, plan

    path = config_file(config_path, data, required=False)
    config = load_config(path) if path is not None else Config(sources=())
    pages = plan(config, urls, source_name)  # a bad URL or --source: exit 2 before anything is written
    datadir = DataDir.resolve(data)
    if path is not None:
        datadir.remember_sources(path)
    interactive = sys.stderr.isatty()
    log_file = logsetup.configure(datadir.logs, log_level, interactive)
    report = add_run(
        config, pages, datadir, settings_overrides=scrapy_log_settings(log_level), page_timeout=page_timeout,
        progress=progress if interactive else logging.getLogger("mediarchive").info,
        display=LiveTable() if interactive else None,  # off a terminal: the lines below only
    )
    for added in pages.values():
        if added.archived:
            outcome = f"HTTP {added.status}, archived"
        elif added.status is not None:
            outcome = f"HTTP {added.status}, FAILED (an error page, archived all the same)"
        else:
            outcome = f"FAILED ({added.problem})"
        click.echo(f"{added.url}: {outcome}; source: {added.source or 'none'}")
        if added.final_url and added.final_url != added.url:
            click.echo(f"  led to:     {added.final_url}")
        if added.title:
            click.echo(f"  title:      {added.title}")
        if added.status is not None:
            click.echo(f"  requisites: {added.requisites_archived} archived, {added.requisites_failed} failed")
        if added.replay_url:
            click.echo(f"  replay:     {added.replay_url}  (while `mediarchive replay` runs)")
            click.echo(f"  show:       mediarchive show {added.final_url or added.url}")
    for failure in report.failures:
        click.echo(f"error: {failure}", err=True)
    print_warnings(report)
    archived = sum(added.archived for added in pages.values())
    click.echo(
        f"run {report.started}: {archived}/{len(pages)} page(s) archived, {report.indexed.get('pages', 0)} page(s) indexed"
        f" in {report.duration_s or 0:.0f} s (log: {log_file})"
    )
    sys.exit(report.exit_code)
