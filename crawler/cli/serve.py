"""Serving on 127.0.0.1: `replay` (pywb) and `ui` (Datasette)."""

from __future__ import annotations

import subprocess

import click

from archive.paths import DataDir
from crawler.cli.base import main, CONTEXT, data_option, fails_cleanly, progress, open_index


@main.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on (0: any free port).")
@click.option("--allow-remote", is_flag=True, help="Allow a --host that is not a loopback address.")
@click.option("--setup-only", is_flag=True, help="Make pywb's environment (once) and exit.")
@data_option
@fails_cleanly
def replay(host: str, port: int, allow_remote: bool, setup_only: bool, data: str | None) -> None:
    """Serve the archive through pywb: every capture as it was on the day.

    pywb runs in its own virtual environment (made on first use, about 30 s)
    and reads DATA/warcs in place through DATA/replay/index.cdxj, which
    every crawl, import and reindex keeps current. Open
    http://HOST:PORT/archive/*/URL for a page's calendar. Listens on
    127.0.0.1 only, unless another address is named with --allow-remote.
    Ctrl-C stops it.

    \b
    Example:
        mediarchive replay --port 8080 --data ./data
    """
    from archive.serve import replay as pywb

    pywb.check_bind(host, allow_remote)
    python = pywb.ensure_pywb(progress)
    if setup_only:
        click.echo(f"pywb is ready: {python}")
        return
    datadir = DataDir.resolve(data)
    with open_index(data):
        pass
    if not datadir.replay_index.exists():  # an archive older than the replay index: made once, as a writer
        from archive.index.ingest import Ingest

        with Ingest(datadir, progress=progress) as ingest:
            ingest.finish()
    process, base = pywb.start(datadir, host, port, python)
    click.echo(f"replaying {datadir.root} at {base}  (a page's calendar: {base}*/URL; Ctrl-C stops)", err=True)
    click.echo(base)
    _serve_until_stopped(process)


@main.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on (0: any free port).")
@click.option("--allow-remote", is_flag=True, help="Allow a --host that is not a loopback address.")
@click.option(
    "--replay-url", default="http://127.0.0.1:8080/archive/", show_default=True, metavar="URL",
    help="Where `mediarchive replay` serves the archive, for the pages' replay links.",
)
@data_option
@fails_cleanly
def ui(host: str, port: int, allow_remote: bool, replay_url: str, data: str | None) -> None:
    """Browse and search the index in a web browser (Datasette, read-only).

    The Articles table searches titles and text the way `mediarchive search`
    does (any inflection, Russian and English), with facets by source,
    language, author and month, a chart of articles per month per source,
    and for each page links to its replay and its full text. Canned
    queries: search with snippets, latest per source, edited articles,
    removed articles. SQL is allowed and read-only: the index is opened
    read-only, and a crawl writing it meanwhile is seen as it commits
    each file (each answer reads one consistent snapshot). Listens on
    127.0.0.1 only, unless another address is named with --allow-remote.
    Ctrl-C stops it.

    \b
    Example:
        mediarchive ui --port 8001 --data ./data
    """
    from archive.serve import replay as pywb
    from archive.serve import webui

    pywb.check_bind(host, allow_remote)
    datadir = DataDir.resolve(data)
    with open_index(data):  # the schema the UI expects (a reader never upgrades it)
        pass
    process, base = webui.start(datadir.index_path, host, port, replay_url)
    click.echo(f"serving the index of {datadir.root} at {base}  (articles: {base}index/articles; Ctrl-C stops)", err=True)
    click.echo(base)
    _serve_until_stopped(process)


def _serve_until_stopped(process) -> None:
    """Wait on a server process; Ctrl-C or SIGTERM stop it too, so that no
    server outlives the command that started it."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        process.wait()
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
