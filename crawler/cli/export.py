"""`export`: WACZ packages and CDXJ indexes for other tools."""

from __future__ import annotations

from pathlib import Path

import click

from archive.paths import DataDir
from archive.errors import UsageError
from crawler.cli.base import main, CONTEXT, data_option, fails_cleanly, open_index


@main.command(context_settings=CONTEXT)
@click.option("--wacz", "wacz_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a WACZ package (WARC records, CDXJ, pages.jsonl with titles and text).")
@click.option("--cdxj", "cdxj_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the sorted CDXJ index of every WARC file, for other replay tools.")
@click.option("--source", "sources", multiple=True, metavar="S", help="WACZ: only this source (repeatable).")
@click.option("--since", metavar="DATE", help="WACZ: captures on or after DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="WACZ: captures on or before DATE.")
@data_option
@fails_cleanly
def export(wacz_path: Path | None, cdxj_path: Path | None, sources, since, until, data: str | None) -> None:
    """Hand the archive, or part of it, to other tools: WACZ or CDXJ.

    The WACZ holds the selected captures' WARC records copied byte for byte
    (digests stay valid), the originals of selected revisits, its CDXJ, and
    pages.jsonl with each page's URL, time, title and extracted text; it is
    checked with `wacz validate`. Import it elsewhere with `mediarchive
    import FILE.wacz`.

    \b
    Example:
        mediarchive export --wacz svpressa-2024.wacz --source svpressa --since 2024-01-01
    """
    if not wacz_path and not cdxj_path:
        raise UsageError("give --wacz FILE or --cdxj FILE")
    datadir = DataDir.resolve(data)
    with open_index(data) as index:
        if cdxj_path:
            from archive.warc.cdxj import export_cdxj

            lines = export_cdxj(datadir, cdxj_path)
            click.echo(f"{cdxj_path}: {lines} CDXJ lines")
        if wacz_path:
            from archive.warc.wacz import WaczError, export_wacz, validate_wacz

            result = export_wacz(datadir, index, wacz_path, sources=sources, since=since, until=until)
            passed, message = validate_wacz(result.path)
            if not passed:
                raise WaczError(f"{result.path}: wacz validate failed: {message}")
            click.echo(
                f"{result.path}: {result.captures} captures, {result.pages} pages in {result.warc_files} WARC file(s);"
                f" wacz validate: {message}"
            )
