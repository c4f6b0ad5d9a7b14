"""`mediarchive init`: a starter sources file and the data directory that remembers it."""

from __future__ import annotations

from pathlib import Path

import click

from archive.errors import UsageError
from archive.paths import DataDir
from crawler.cli.base import CONTEXT, fails_cleanly, main

#: The starter sources file: every key a source takes, commented, around one
#: source to fill in (disabled until it is).
STARTER = """\
# The outlets this archive crawls: one entry under `sources` per outlet.
# `defaults` apply to every source that does not set the key itself.
# Every key is described in mediarchive's README ("Adding a source").
# Check the file with `mediarchive sources`; crawl with `mediarchive crawl`.

defaults:
  delay: 2            # seconds between two requests to one host
  concurrency: 2      # simultaneous requests to one host
  user_agent: "mediarchive (+mailto:you@example.org)"   # say who you are and how to reach you

sources:
  - name: my-outlet                       # lowercase letters, digits, - or _
    enabled: false                        # set to true once the URLs below are the outlet's
    start_urls: ["https://www.example.org/news/"]       # front or section pages
    feeds: ["https://www.example.org/feed.xml"]         # RSS, Atom or JSON Feed (optional)
    # sitemaps: ["https://www.example.org/sitemap.xml"] # plain, gzipped or sitemap indexes
    # allowed_domains: ["example.org"]    # default: the hosts of the URLs above
    article_pattern: ['/\\d{4}/\\d{2}/[^/]+\\.html$']     # which URLs are articles (Python regexes)
    follow_pattern: ['/news/(page/\\d+/)?$']             # which listing pages to follow
    # deny_pattern: ['/comments/']        # never fetched
    # language: en                        # the outlet's language, a hint
    # timezone: Europe/Moscow             # for dates the site prints without one
    # max_pages: 5000                     # stop a run after this many pages
    # timeout: 60                         # seconds one download may take
    # max_body_size: 64MB                 # a longer body is archived up to it, marked WARC-Truncated
    # recheck: [1d, 7d, 30d]              # when a known article is fetched again, to catch edits and takedowns
    # requisites: true                    # stylesheets, images, fonts: replay shows the page as it looked
    # backfill:                           # `mediarchive crawl --backfill`: the outlet's archives
    #   urls: ["https://www.example.org/{year}/{month:02d}/"]
    #   since: "2010-01-01"
"""


@main.command(context_settings=CONTEXT)
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@fails_cleanly
def init(directory: Path) -> None:
    """Start an archive: a commented sources file and its data directory.

    Writes DIRECTORY/sources.yaml (one source to fill in, every key
    explained) and DIRECTORY/data, which remembers that sources file: `crawl`,
    `sources`, `cron` and `reindex` with `--data DIRECTORY/data` (or
    $MEDIARCHIVE_DATA) then find it from any folder. An existing sources
    file is left as it is.

    \b
    Example:
        mediarchive init ~/archive && cd ~/archive && mediarchive sources
    """
    directory = directory.expanduser().resolve()
    sources_file = directory / "sources.yaml"
    datadir = DataDir(directory / "data")
    if datadir.root.exists() and datadir.remembered_sources() not in (None, sources_file):
        raise UsageError(f"{datadir.root} is the archive of {datadir.remembered_sources()}: not starting another there")
    directory.mkdir(parents=True, exist_ok=True)
    if sources_file.exists():
        click.echo(f"{sources_file}: kept as it is")
    else:
        sources_file.write_text(STARTER, encoding="utf-8")
        click.echo(f"wrote {sources_file}: fill in its source, then set `enabled: true`")
    datadir.root.mkdir(exist_ok=True)
    datadir.remember_sources(sources_file)
    click.echo(f"made {datadir.root}: it remembers {sources_file.name}")
    data = "" if directory == Path.cwd() else f" --data {datadir.root}"
    click.echo("next:")
    click.echo(f"  mediarchive sources{data}    # check the sources file")
    click.echo(f"  mediarchive crawl{data}      # crawl the enabled sources")
    click.echo(f"  mediarchive cron{data}       # the crontab line for routine runs")
