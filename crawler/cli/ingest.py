"""Bringing files in: `import` and `reindex`, both through the one way in."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.paths import DataDir
from archive.errors import UsageError
from crawler.cli.base import main, CONTEXT, DEFAULT_CONFIG, data_option, fails_cleanly, progress, optional_config


@main.command("import", context_settings=CONTEXT)
@click.argument("warcs", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_option
@click.option("--source", metavar="NAME", help="Source to file the captures under (default: by domain, from the sources file).")
@click.option("--config", "config_path", metavar="FILE", default=DEFAULT_CONFIG, show_default=True,
              help="Sources file, to name sources by domain (optional).")
@fails_cleanly
def import_(warcs: tuple[Path, ...], data: str | None, source: str | None, config_path: str) -> None:
    """Index WARC, ARC or WACZ files written by other tools.

    Each file is copied into DATA/warcs/imported/ and indexed like a crawl's
    own. A file that cannot be read gets a one-line reason and is not kept;
    the exit code is 1 only when some file failed.

    \b
    Example:
        mediarchive import ~/crawls/*.warc.gz --source moonofalabama
    """
    from archive.sources import NAME_RE
    from archive.index.imports import import_file, import_wacz
    from archive.index.store import Index
    from archive.index.indexer import Indexer

    if source is not None and not NAME_RE.match(source):
        raise UsageError(f"--source: {source!r} must be lowercase letters, digits, '-' or '_'")
    datadir = DataDir.resolve(data)
    failed = 0
    names: list[str] = []
    config = optional_config(config_path)
    with Index(datadir.index_path) as index, Indexer(
        index,
        source_for_url=config.source_for_url if config else None,
        source_options=config.extraction_options() if config else None,
    ) as indexer:
        outcomes = []
        for path in warcs:
            if path.suffix.lower() == ".wacz":
                outcomes += import_wacz(datadir, indexer, path, source)
            else:
                outcomes.append(import_file(datadir, indexer, path, source))
        for outcome in outcomes:
            path = outcome.path
            if outcome.error:
                failed += 1
                click.echo(f"error: {outcome.error}", err=True)
                continue
            result = outcome.result
            names.append(outcome.name)
            if result.skipped:
                click.echo(f"{path}: already in the archive as warcs/{outcome.name}")
                continue
            click.echo(
                f"{path}: {result.records} records, {result.captures} captures"
                f" ({result.revisits} revisits), {result.pages} pages -> warcs/{outcome.name}"
            )
        index.resolve_revisits()
        imported = [datadir.warcs / o for o in names]
        if imported:
            from archive.warc.cdxj import update_replay_index

            update_replay_index(datadir, index, imported)
    click.echo(f"imported {len(outcomes) - failed} of {len(outcomes)} file(s)")
    if failed:
        sys.exit(1)


@main.command(context_settings=CONTEXT)
@data_option
@click.option("--config", "config_path", metavar="FILE", default=DEFAULT_CONFIG, show_default=True,
              help="Sources file, to name the source of captures from other tools (optional).")
@fails_cleanly
def reindex(data: str | None, config_path: str) -> None:
    """Rebuild the index from the WARC files alone.

    The new index is built beside the old one and replaces it only when
    complete.

    \b
    Example:
        mediarchive reindex --data ./data
    """
    from archive.index.reindex import reindex as run_reindex

    datadir = DataDir.resolve(data)
    if not datadir.warcs.is_dir():
        raise UsageError(f"{datadir.warcs}: no WARC directory to reindex")
    config = optional_config(config_path)
    stats = run_reindex(
        datadir,
        source_for_url=config.source_for_url if config else None,
        source_options=config.extraction_options() if config else None,
        progress=progress,
    )
    click.echo(f"reindexed {stats.files} file(s): {stats.captures} captures, {stats.pages} pages")
    for failure in stats.failures:
        click.echo(f"error: {failure}", err=True)
    if stats.failures:
        sys.exit(1)
