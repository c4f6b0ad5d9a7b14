"""`export`: WACZ packages and CDXJ indexes for other tools."""

from __future__ import annotations

from pathlib import Path

import click

from archive.paths import DataDir
from archive.errors import UsageError
from crawler.cli.base import main, CONTEXT, data_option, fails_cleanly, open_index
from crawler.cli.runview import closing_bars, command_progress


@main.command(context_settings=CONTEXT)
@click.option("--wacz", "wacz_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a WACZ package (WARC records, CDXJ, pages.jsonl with titles and text).")
@click.option("--cdxj", "cdxj_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the sorted CDXJ index of every WARC file, for other replay tools.")
@click.option("--source", "sources", multiple=True, metavar="S", help="WACZ: only this source (repeatable).")
@click.option("--since", metavar="DATE", help="WACZ: captures on or after DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="WACZ: captures on or before DATE.")
@click.option("--sign", "signing_url", metavar="URL",
              help="WACZ: sign the package with this authsign server (its /sign address), as the WACZ signing spec says.")
@click.option("--sign-token", "signing_token", metavar="TOKEN", envvar="MEDIARCHIVE_SIGN_TOKEN",
              help="WACZ: the authsign server's token (default: $MEDIARCHIVE_SIGN_TOKEN).")
@data_option
@fails_cleanly
def export(wacz_path: Path | None, cdxj_path: Path | None, sources, since, until, signing_url: str | None,
           signing_token: str | None, data: str | None) -> None:
    """Hand the archive, or part of it, to other tools: WACZ or CDXJ.

    The WACZ holds the selected captures' WARC records copied byte for byte
    (digests stay valid), the originals of selected revisits, its CDXJ, and
    pages.jsonl with each page's URL, time, title and extracted text; it is
    checked with `wacz validate`. With --sign URL it is signed by that
    authsign server (the WACZ signing spec: Browsertrix's way). Import it
    elsewhere with `mediarchive import FILE.wacz`, which checks its digests
    and its signature.

    \b
    Example:
        mediarchive export --wacz svpressa-2024.wacz --source svpressa --since 2024-01-01
        mediarchive export --wacz all.wacz --sign https://signer.example.org/sign
    """
    if not wacz_path and not cdxj_path:
        raise UsageError("give --wacz FILE or --cdxj FILE")
    if signing_url and not wacz_path:
        raise UsageError("--sign signs a WACZ: give --wacz FILE")
    datadir = DataDir.resolve(data)
    with open_index(data) as index:
        if cdxj_path:
            from archive.warc.cdxj import export_cdxj

            with closing_bars(shown := command_progress(None)):
                lines = export_cdxj(datadir, cdxj_path, progress=shown)
            click.echo(f"{cdxj_path}: {lines} CDXJ lines")
        if wacz_path:
            from archive.warc.wacz import WaczError, export_wacz, validate_wacz

            with closing_bars(shown := command_progress(None)):
                result = export_wacz(datadir, index, wacz_path, sources=sources, since=since, until=until,
                                     signing_url=signing_url, signing_token=signing_token, progress=shown)
                if shown:
                    shown(f"validating {result.path} with wacz validate")
            passed, message = validate_wacz(result.path)
            if not passed:
                raise WaczError(f"{result.path}: wacz validate failed: {message}")
            signed = f"; signed by {signing_url}" if signing_url else ""
            click.echo(
                f"{result.path}: {result.captures} captures, {result.pages} pages in {result.warc_files} WARC file(s);"
                f" wacz validate: {message}{signed}"
            )
