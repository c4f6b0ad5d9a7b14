"""The `mediarchive` command group, its shared options and helpers.

Exit codes: 0 success; 1 some work failed (a source, a file, a lookup, a
full disk, a damaged index); 2 bad usage or an invalid sources file; 3
another command holds the data directory; 130 and 143 after Ctrl-C and
SIGTERM. Errors users can cause are printed as one line on standard error,
never as a traceback.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import textwrap
from functools import wraps
from pathlib import Path
from typing import Any

import click

from archive.paths import DataDir
from archive.errors import Interrupted, MediarchiveError, UsageError
from archive.resources import domain_error

DEFAULT_CONFIG = "config/sources.yaml"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

data_option = click.option(
    "--data", "data", metavar="DIR", help="Data directory (default: $MEDIARCHIVE_DATA, else ./data)."
)
CONFIG_HELP = "Sources file (default: the one the data directory was last crawled with, else ./config/sources.yaml)."
config_option = click.option("--config", "config_path", metavar="FILE", default=None, help=CONFIG_HELP)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
page_timeout_option = click.option(
    "--page-timeout", "page_timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True, metavar="SECONDS",
    help="Longest an article's extraction may take; a page over it is marked not extracted and the run goes on.",
)


def fails_cleanly(command):
    """Turn the library's errors into one line on stderr and their exit
    code; a full disk or a damaged index into the line that names the way
    out; Ctrl-C and SIGTERM into exit 130 and 143 (what was half-written is
    rolled back by the library: index transactions, ``.open`` WARC files)."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        previous = signal.signal(signal.SIGTERM, _terminated)
        try:
            return command(*args, **kwargs)
        except MediarchiveError as exc:
            _fail(exc)
        except _Terminated:
            _stopped(signal.SIGTERM)
        except KeyboardInterrupt:
            _stopped(signal.SIGINT)
        except (OSError, sqlite3.DatabaseError) as exc:
            datadir = DataDir.resolve(kwargs.get("data"))
            error = domain_error(exc, datadir.root, datadir.index_path)
            if error is None:
                raise
            _fail(error)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper


class _Terminated(BaseException):
    """SIGTERM (cron's `timeout`, a shutdown), raised where the command is."""


def _terminated(signum, frame) -> None:
    raise _Terminated


def _fail(exc: MediarchiveError) -> None:
    if isinstance(exc, Interrupted):
        click.echo(f"stopped: {exc.message}", err=True)
    else:
        click.echo(f"error: {exc.message}", err=True)
    sys.exit(exc.exit_code)


def _stopped(signum: int) -> None:
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    click.echo(f"stopped by {name}: what was stored is kept; the next run resumes", err=True)
    sys.exit(128 + signum)


class ExampleLastCommand(click.Command):
    """A command whose --help ends with the example closing its docstring
    (click would put the options after it)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        body, marker, example = (self.help or "").partition("Example:")
        if marker:
            self.help = body.rstrip().removesuffix("\b").rstrip()
            self.epilog = "\b\nExample:\n" + textwrap.indent(textwrap.dedent(example.strip("\n")).rstrip(), "  ")


class ExampleLastGroup(click.Group):
    command_class = ExampleLastCommand


@click.group(cls=ExampleLastGroup, context_settings=CONTEXT)
@click.version_option(package_name="mediarchive")
def main() -> None:
    """mediarchive: crawl news outlets into WARC files and search what was captured.

    \b
    Example:
        mediarchive crawl --source moonofalabama && mediarchive search "Idlib"
    """


def progress(message: str) -> None:
    click.echo(message, err=True)


def open_index(data: str | None):
    """The index, read-only: a reader never writes or upgrades it."""
    from archive.index.store import Index

    datadir = DataDir.resolve(data)
    if not datadir.index_path.exists():
        raise UsageError(f"{datadir.index_path}: no index yet (run `mediarchive crawl` or `mediarchive import` first)")
    return Index(datadir.index_path, readonly=True)


def config_file(config_path: str | None, data: str | None, *, required: bool = True) -> Path | None:
    """The sources file a command uses: the one named with --config, else
    the one the data directory was last crawled with (so that commands work
    from any folder), else ./config/sources.yaml. None when there is none and
    it is not ``required``; else a usage error that says how to get one."""
    if config_path:
        return Path(config_path)
    remembered = DataDir.resolve(data).remembered_sources()
    if remembered is not None:
        return remembered
    if Path(DEFAULT_CONFIG).is_file():
        return Path(DEFAULT_CONFIG)
    if not required:
        return None
    raise UsageError(
        f"no sources file: {DataDir.resolve(data).root} was never crawled and there is no ./{DEFAULT_CONFIG};"
        " give --config FILE, or make one with `mediarchive init`"
    )


def load_sources(config_path: str | None, data: str | None):
    """The sources file's configuration (see :func:`config_file`) and its path."""
    from archive.sources import load_config

    path = config_file(config_path, data)
    return load_config(path), path


def optional_config(config_path: str | None, data: str | None = None):
    """The sources file, if the user named one or one is found (:func:`config_file`)."""
    from archive.sources import load_config

    path = config_file(config_path, data, required=False)
    return load_config(path) if path is not None else None


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def print_warnings(report) -> None:
    """The pages not extracted and the records left out, a line each (the
    run's report in DATA/runs/ holds them all)."""
    shown = report.not_extracted[:20]
    for line in shown:
        click.echo(f"warning: not extracted: {line}", err=True)
    if len(report.not_extracted) > len(shown):
        click.echo(f"warning: ... and {len(report.not_extracted) - len(shown)} more page(s) not extracted", err=True)
    for line in report.warnings[:50]:
        click.echo(f"warning: {line}", err=True)
    if len(report.warnings) > 50:
        click.echo(f"warning: ... and {len(report.warnings) - 50} more (see DATA/runs/)", err=True)
