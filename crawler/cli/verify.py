"""`verify`: the fixity audit (archive/warc/fixity.py)."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from archive.index.runs import human_size
from archive.paths import DataDir
from archive.search.search import check_date
from crawler.cli.base import CONTEXT, data_option, fails_cleanly, main, open_index
from crawler.cli.runview import closing_bars, command_progress

#: Mismatches printed before "... and N more" (the report holds them all).
SHOWN = 50


@main.command(context_settings=CONTEXT)
@click.option("--since", metavar="DATE", help="Only captures on or after DATE (YYYY-MM-DD), and the files holding them.")
@click.option("--source", metavar="S", help="Only this source's captures, and the files holding them.")
@click.option("--sample", type=click.IntRange(min=1), metavar="N",
              help="Check N index rows drawn at random, not every record of every file.")
@click.option("--seed", type=int, metavar="N", help="With --sample: the draw's seed (a report gives it, to repeat it).")
@click.option("--wacz", "packages", multiple=True, metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Also check this WACZ package's datapackage digests and signature (repeatable).")
@data_option
@fails_cleanly
def verify(since: str | None, source: str | None, sample: int | None, seed: int | None, packages, data: str | None) -> None:
    """Audit the archive's fixity: is every record still what it was written as?

    Reads every record of every WARC file again and checks its
    WARC-Block-Digest and WARC-Payload-Digest; reads back every index row's
    (file, offset, length) and checks it is the record the row names, with
    the same digest; checks the datapackage digests of any --wacz package.
    Each mismatch is named with its file, offset, record ID and URL. The
    report goes to DATA/runs/; the exit code is 1 on any mismatch.

    \b
    Example:
        mediarchive verify --data ./data
        mediarchive verify --sample 1000 --since 2024-01-01
    """
    from archive.warc.fixity import audit

    check_date(since, "--since")
    datadir = DataDir.resolve(data)
    for package in packages:
        if not package.is_file():
            raise click.BadParameter(f"{package}: no such file", param_hint="--wacz")
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = command_progress(None)
    with closing_bars(shown), open_index(data) as index:
        report = audit(datadir, index, since=since, source=source, sample=sample, seed=seed, wacz=packages, progress=shown)
    path = _write(datadir, started, report)
    for mismatch in report.mismatches[:SHOWN]:
        click.echo(f"mismatch: {mismatch.line()}", err=True)
    if len(report.mismatches) > SHOWN:
        click.echo(f"... and {len(report.mismatches) - SHOWN} more (see {path})", err=True)
    drawn = f" (a sample, seed {report.seed})" if report.sample is not None else ""
    click.echo(
        f"verified {report.files} file(s), {report.records} record(s), {report.index_rows} index row(s){drawn}"
        + (f", {report.wacz_packages} WACZ package(s)" if report.wacz_packages else "")
        + f": {len(report.mismatches)} mismatch(es); {human_size(report.bytes_read)} read at {report.mb_per_s:.0f} MB/s"
        + f" (report: {path})"
    )
    if report.mismatches:
        sys.exit(1)


def _write(data: DataDir, started: str, report) -> Path:
    """The report, atomically, as runs/<started>-verify.json."""
    data.runs.mkdir(parents=True, exist_ok=True)
    path = data.runs / f"{started.replace('-', '').replace(':', '')}-verify.json"
    partial = path.with_name(path.name + ".tmp")
    body = {"command": "verify", "started": started, **report.to_dict()}
    partial.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path
