"""Bringing files in: `import` and `reindex`, both through the one way in
(:class:`archive.index.ingest.Ingest`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.errors import UsageError
from archive.paths import DataDir
from crawler.cli.base import (
    CONFIG_HELP, CONTEXT, data_option, fails_cleanly, main, optional_config, page_timeout_option, print_warnings, progress,
)
from crawler.cli.runview import closing_bars, command_progress

config_for_sources = click.option(
    "--config", "config_path", metavar="FILE", default=None,
    help=f"{CONFIG_HELP} Optional: it names the source of captures by domain and holds each source's extraction rules.",
)


@main.command("import", context_settings=CONTEXT)
@click.argument("warcs", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_option
@click.option("--source", metavar="NAME", help="Source to file the captures under (default: by domain, from the sources file).")
@click.option("--trusted-roots", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Roots a signed WACZ's signature must verify to (authsign's YAML of SHA-256 fingerprints; "
                   "default: $MEDIARCHIVE_TRUSTED_ROOTS, else authsign's: Let's Encrypt and its timestamp authorities).")
@config_for_sources
@page_timeout_option
@fails_cleanly
def import_(
    warcs: tuple[Path, ...], data: str | None, source: str | None, trusted_roots: Path | None, config_path: str,
    page_timeout: float,
) -> None:
    """Index WARC, ARC or WACZ files written by other tools.

    Each file is copied into DATA/warcs/imported/ and indexed like a crawl's
    own; a file already in the archive (the same bytes, whatever its name)
    is not copied again. A file that is not an archive is refused before
    anything is copied; one cut short keeps its whole records and is named
    with the offset where it breaks. A WACZ's digests are checked, and a
    signed one's signature (the WACZ signing spec): a package that fails
    either is refused. The exit code is 1 when some file was refused or cut
    short, 3 when another command holds the data directory.

    \b
    Example:
        mediarchive import ~/crawls/*.warc.gz --source moonofalabama
    """
    from archive.index.ingest import Ingest
    from archive.sources import NAME_RE

    if source is not None and not NAME_RE.match(source):
        raise UsageError(f"--source: {source!r} must be lowercase letters, digits, '-' or '_'")
    datadir = DataDir.resolve(data)
    shown = command_progress(progress)
    with closing_bars(shown), Ingest(
        datadir, config=optional_config(config_path, data), page_timeout=page_timeout, progress=shown,
    ) as ingest:
        outcomes = ingest.import_files(list(warcs), source, trusted_roots)
        ingest.finish()
        report = ingest.report("import")
    for outcome in outcomes:
        result = outcome.result
        if outcome.error:
            click.echo(f"error: {outcome.error}", err=True)
        if result is None:
            continue
        if result.skipped:
            click.echo(f"{outcome.path}: already in the archive as warcs/{outcome.name}")
            continue
        copies = f", {result.copies} already archived from another file" if result.copies else ""
        click.echo(
            f"{outcome.path}: {result.records} records, {result.captures} captures"
            f" ({result.revisits} revisits{copies}), {result.pages} pages -> warcs/{outcome.name}"
        )
    print_warnings(report)
    failed = sum(1 for outcome in outcomes if outcome.error)
    already = sum(1 for outcome in outcomes if outcome.result is not None and outcome.result.skipped)
    held = f" ({already} already in the archive: nothing new)" if already else ""
    click.echo(f"imported {len(outcomes) - failed - already} of {len(outcomes)} file(s){held}")
    if failed:
        sys.exit(1)


@main.command(context_settings=CONTEXT)
@click.option("--from-records", is_flag=True,
              help="Take each page's text and fields from its archived conversion and metadata records instead of "
                   "extracting it again (pages without them are extracted).")
@data_option
@config_for_sources
@page_timeout_option
@fails_cleanly
def reindex(from_records: bool, data: str | None, config_path: str, page_timeout: float) -> None:
    """Rebuild the index from the WARC files alone.

    The new index is built beside the old one and replaces it only when
    complete (a damaged index is rebuilt the same way). A file cut short
    keeps its whole records and is named with the offset where it breaks;
    the exit code is then 1. Each page is extracted again (the extractor may
    have improved; a changed extraction is archived beside the old one),
    or with --from-records rebuilt from its archived extraction.

    \b
    Example:
        mediarchive reindex --data ./data
        mediarchive reindex --from-records
    """
    from archive.index.ingest import Ingest

    datadir = DataDir.resolve(data)
    if not datadir.warcs.is_dir():
        raise UsageError(f"{datadir.warcs}: no WARC directory to reindex")
    shown = command_progress(progress)
    with closing_bars(shown), Ingest(
        datadir, config=optional_config(config_path, data), rebuild=True, from_records=from_records,
        page_timeout=page_timeout, progress=shown,
    ) as ingest:
        stats = ingest.index_pending()
        ingest.finish()
        report = ingest.report("reindex")
    click.echo(f"reindexed {stats.files} file(s): {stats.captures} captures, {stats.pages} pages")
    for failure in report.failures:
        click.echo(f"error: {failure}", err=True)
    print_warnings(report)
    if report.failures:
        sys.exit(1)
