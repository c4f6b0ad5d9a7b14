"""The `mediarchive` command group, its shared options and helpers.

Exit codes: 0 success; 1 some work failed (a source, a file, a lookup);
2 bad usage or an invalid sources file. Errors users can cause are printed
as one line on standard error, never as a traceback.
"""

from __future__ import annotations

import json
import sys
import textwrap
from functools import wraps
from pathlib import Path
from typing import Any

import click

from archive.paths import DataDir
from archive.errors import MediarchiveError, UsageError

DEFAULT_CONFIG = "config/sources.yaml"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

data_option = click.option(
    "--data", "data", metavar="DIR", help="Data directory (default: $MEDIARCHIVE_DATA, else ./data)."
)
config_option = click.option(
    "--config", "config_path", metavar="FILE", default=DEFAULT_CONFIG, show_default=True, help="Sources file."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def fails_cleanly(command):
    """Turn the library's errors into one line on stderr and their exit code."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except MediarchiveError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted: what was stored is kept; the next run resumes", err=True)
            sys.exit(130)

    return wrapper


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
    from archive.index.store import Index

    datadir = DataDir.resolve(data)
    if not datadir.index_path.exists():
        raise UsageError(f"{datadir.index_path}: no index yet (run `mediarchive crawl` or `mediarchive import` first)")
    return Index(datadir.index_path)


def optional_config(config_path: str):
    """The sources file, if the user named one or the default exists."""
    from archive.sources import load_config

    if config_path == DEFAULT_CONFIG and not Path(config_path).exists():
        return None
    return load_config(config_path)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))
