"""The `mediarchive` command: a thin layer over `archive/` and `crawler/`.

Exit codes: 0 success; 1 some work failed (a source, a file, a lookup);
2 bad usage or an invalid sources file. Errors users can cause are printed
as one line on standard error, never as a traceback.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from functools import wraps
from pathlib import Path
from typing import Any

import click

from archive.datadir import DataDir
from archive.errors import MediarchiveError, NotInIndex, UsageError

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


# -- crawl -----------------------------------------------------------------


@main.command(context_settings=CONTEXT)
@config_option
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Crawl only this source (repeatable).")
@data_option
@click.option(
    "--recheck",
    type=click.Choice(["due", "all", "none"]),
    default="due",
    show_default=True,
    help="Which known articles to fetch again: those due by their schedule, all, or none.",
)
@click.option("--backfill", is_flag=True, help="Walk archives and pagination back to --since (or the source's backfill.since).")
@click.option("--since", metavar="DATE", help="With --backfill: how far back (YYYY-MM-DD).")
@click.option(
    "--from-warc", "from_warc", multiple=True, metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Answer the spiders from these WARC files instead of the network (repeatable); they are imported.",
)
@click.option(
    "--no-index", "no_index", is_flag=True,
    help="Capture only: write WARC files, extract and index nothing (the next run without it indexes them first).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    help="Detail of the log (the terminal, or DATA/logs/mediarchive.log when run without one).",
)
@fails_cleanly
def crawl(
    config_path: str,
    sources: tuple[str, ...],
    data: str | None,
    recheck: str,
    backfill: bool,
    since: str | None,
    from_warc: tuple[Path, ...],
    no_index: bool,
    log_level: str,
) -> None:
    """Crawl sources into WARC files, then index what was captured.

    Every HTTP exchange (redirects and errors included) is written to
    DATA/warcs/ and indexed into DATA/index.sqlite. A routine run fetches
    feeds, sitemaps and listing pages, new articles, and known articles due
    for a re-check (conditionally: unchanged pages are stored as revisits).
    One run at a time per data directory; a run interrupted, even by SIGKILL,
    is mended and resumed by the next. Prints a summary per source and one
    line for the run; the full report is in DATA/runs/. Exits 0 only when
    every source succeeded, 3 when another run holds the data directory.

    A routine run follows a source's listing pages to `routine_pages` (5)
    from its start pages; --backfill walks its archives (`backfill.urls`:
    monthly archives back to --since, numbered pages until one holds
    nothing new). A closed source (The Saker) is crawled only when named.

    With --from-warc, no request leaves the machine: the spiders run against
    the given WARC files (URLs they do not hold answer 404) and the summary
    shows what they found there.

    With --no-index, the run only captures: no extraction, no index, no
    replay index, so the crawl runs at full speed (e.g. on a busy machine,
    indexing later). Files it wrote are indexed by the next run without
    --no-index, before that run crawls (or by `mediarchive reindex`); until
    then they are not searchable and the run re-fetches their articles.

    \b
    Example:
        mediarchive crawl --config config/sources.yaml --source moonofalabama --data ./data
    """
    from archive.config import load_config
    from crawler import logsetup
    from crawler.run import routine_run

    config = load_config(config_path)
    selected = config.select(list(sources))
    if not selected:
        raise UsageError(f"{config_path}: no enabled source to crawl")
    if no_index and from_warc:
        raise UsageError("--from-warc imports (indexes) its files: not with --no-index")
    if since is not None:
        if not backfill:
            raise UsageError("--since goes with --backfill")
        from archive.search import check_date

        if len(check_date(since, "--since")) != 10:
            raise UsageError("--since: give a whole date, YYYY-MM-DD")
    datadir = DataDir.resolve(data)
    interactive = sys.stderr.isatty()
    log_file = logsetup.configure(datadir.root / "logs", log_level.upper(), interactive)
    overrides = {"LOG_LEVEL": log_level.upper(), "ARCHIVE_SOURCES_FILE": str(Path(config_path).resolve())}
    if interactive:
        overrides["LOGSTATS_INTERVAL"] = 15.0
        click.echo(f"crawling {len(selected)} source(s): {', '.join(s.name for s in selected)} -> {datadir.warcs}", err=True)
    report = routine_run(
        config, selected, datadir, settings_overrides=overrides, recheck=recheck, from_warc=from_warc,
        backfill=backfill, since=since, index=not no_index,
        progress=_progress if interactive else logging.getLogger("mediarchive").info,
    )
    click.echo(f"{'source':<24} {'found':>7} {'captured':>9} {'revisits':>9} {'failed':>7}  result")
    for source in report.sources:
        outcome = "ok" if source["succeeded"] else f"FAILED ({source['problem']})"
        if from_warc:
            outcome += f" (from WARC: {source['served_from_warc']} served, {source['missing_from_warc']} missing)"
        click.echo(
            f"{source['name']:<24} {source['found']:>7} {source['captured']:>9} {source['revisits']:>9}"
            f" {source['failed']:>7}  {outcome}"
        )
    for failure in report.failures:
        click.echo(f"error: {failure}", err=True)
    click.echo(report.summary_line() + (f" (log: {log_file})" if log_file else ""))
    sys.exit(report.exit_code)


def _progress(message: str) -> None:
    click.echo(message, err=True)


# -- search ----------------------------------------------------------------


@main.command(context_settings=CONTEXT)
@click.argument("query")
@click.option("--source", "sources", multiple=True, metavar="S", help="Only pages of this source (repeatable).")
@click.option("--lang", "languages", multiple=True, metavar="L", help="Only pages in this language (ISO 639-1: ru, en; repeatable).")
@click.option("--author", "authors", multiple=True, metavar="NAME", help="Only pages whose byline has every word of NAME (repeatable).")
@click.option("--domain", "domains", multiple=True, metavar="D", help="Only pages from domain D or its subdomains (repeatable).")
@click.option("--since", metavar="DATE", help="Dated on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Dated on or before DATE (YYYY-MM includes the whole month).")
@click.option(
    "--dates", type=click.Choice(["published", "captured"]), default="published", show_default=True,
    help="What --since/--until compare: the published date (else first capture), or the first capture.",
)
@click.option("--url", "url_prefix", metavar="PREFIX", help="Only pages whose URL starts with PREFIX.")
@click.option("--comments", is_flag=True, help="Also search readers' comments kept apart from articles (e.g. Moon of Alabama).")
@click.option(
    "--sort", type=click.Choice(["relevance", "newest", "oldest"]),
    help="Order of results [default: relevance with words, newest without].",
)
@click.option("--limit", default=20, show_default=True, metavar="N", type=int, help="Results per page.")
@click.option("--page", "page_number", default=1, show_default=True, metavar="N", type=int, help="Which page of results.")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print the results as a JSON array.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the results as CSV with a header row.")
@fails_cleanly
def search(
    query: str, sources, languages, authors, domains, since, until, dates, url_prefix, comments, sort, limit,
    page_number, data, as_json, as_csv,
) -> None:
    """Full-text search of the captured pages' titles and text.

    Words match in any inflection, Russian and English alike: Казахстан
    finds Казахстане, protest finds protesters. QUERY is words (all must
    match), "an exact phrase", prefix*, AND / OR / NOT and (parentheses);
    other punctuation is read as text. An empty QUERY ("") lists the newest
    pages matching the filters. Matched words are [marked] in snippets.

    Relevance (bm25, or title matches first when a word is very common)
    ranks all matches, or the 1,000 newest when there are more
    (the output says so); --sort newest walks the whole archive by date.

    \b
    Example:
        mediarchive search '"Russian troops" Kherson' --lang en --since 2022-11 --limit 5
        mediarchive search Казахстан --source svpressa --csv > kazakhstan.csv
    """
    from archive.replay import replay_url
    from archive.search import SearchQuery
    from archive.search import search as run_search

    if as_json and as_csv:
        raise UsageError("choose one of --json and --csv")
    if page_number < 1:
        raise UsageError("--page must be 1 or more")
    query_obj = SearchQuery(
        text=query, sources=sources, languages=languages, authors=authors, domains=domains, since=since,
        until=until, dates=dates, url_prefix=url_prefix, comments=comments, sort=sort, limit=limit,
        offset=(page_number - 1) * max(limit, 1),
    )
    with _open_index(data) as index:
        found = run_search(index, query_obj)
    for note in found.notes:
        click.echo(f"note: {note}", err=True)
    rows = found.rows
    for row in rows:
        row["replay_url"] = replay_url(row["url"], row["last_captured"] or "")
    if as_json:
        _print_json(rows)
        return
    if as_csv:
        _print_csv(rows, [*SEARCH_CSV_COLUMNS])
        return
    if not rows:
        click.echo("no results" + (f" on page {page_number}" if page_number > 1 and found.total else ""), err=True)
        return
    first = query_obj.offset + 1
    heading = f"{found.describe_total()} match{'' if found.total == 1 and not found.total_is_lower_bound else 'es'}; {first}-{first + len(rows) - 1} by {found.sort}"
    if found.ranking == "title":
        heading += " (title matches first, then newest: a word is in too many pages to weigh)"
    if found.ranked_among:
        heading += f" (among the newest {found.ranked_among:,}; --sort newest for all)"
    click.echo(heading, err=True)
    for number, row in enumerate(rows, first):
        click.echo(f"{number}. {row['title'] or '(no title)'}")
        when = (row["published"] or row["first_captured"] or "")[:10]
        facts = " · ".join(x for x in (when, row["source"], row["language"], row["author"]) if x)
        click.echo(f"   {facts}")
        click.echo(f"   {row['url']}")
        snippet = row.get("snippet") or (row["text"] or "")[:200]
        if snippet:
            click.echo(textwrap.indent(textwrap.fill(" ".join(snippet.split()), 96), "   "))


SEARCH_CSV_COLUMNS = (
    "url", "title", "author", "published", "language", "source", "first_captured", "last_captured",
    "word_count", "snippet", "replay_url",
)


def _print_csv(rows: list[dict[str, Any]], columns: list[str]) -> None:
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


# -- show ------------------------------------------------------------------


@main.command(context_settings=CONTEXT)
@click.argument("url")
@data_option
@json_option
@click.option("--html", "as_html", is_flag=True, help="Write the archived body (as the server sent it, decoded) to stdout.")
@fails_cleanly
def show(url: str, data: str | None, as_json: bool, as_html: bool) -> None:
    """One page: its metadata and text from the index, and its captures.

    With --html, the body of the newest successful capture is read back from
    its WARC record by offset and written to standard output.

    \b
    Example:
        mediarchive show https://www.moonofalabama.org/2024/01/some-post.html --json
    """
    from archive.readback import archived_body

    datadir = DataDir.resolve(data)
    with _open_index(data) as index:
        from archive.replay import replay_url

        page = index.page(url)
        captures = [c | {"replay_url": replay_url(c["url"], c["captured_at"])} for c in index.captures_of(url)]
        copies = index.copies_of(url)
        if not page and not captures:
            raise NotInIndex(f"{url} is not in the index")
        if as_html:
            body = archived_body(datadir, index, url)
            sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()
            return
    if as_json:
        _print_json({**_page_fields(page, url), "captures": captures, "copies": copies})
        return
    fields = _page_fields(page, url)
    for key in ("url", "title", "author", "published", "language", "source"):
        click.echo(f"{key + ':':<11}{fields.get(key) or '-'}")
    if fields.get("comment_count") is not None:
        click.echo(f"comments:  {fields['comment_count']} (kept apart from the text)")
    for copy in copies:
        click.echo(f"copy:      {copy['url']}  {copy['published'] or ''}")
    click.echo(f"captures:  {len(captures)}")
    for capture in captures:
        target = f" -> {capture['redirect_to']}" if capture.get("redirect_to") else ""
        click.echo(
            f"  {capture['captured_at']}  {capture['record_type']:<8} {capture['status'] or '-':>3}  "
            f"{capture['mime'] or '-'}  {capture['warc_file']}@{capture['offset']}{target}"
        )
        click.echo(f"      replay: {capture['replay_url']}")
    if page and page.get("text"):
        click.echo("")
        click.echo(page["text"])


def _page_fields(page: dict[str, Any] | None, url: str) -> dict[str, Any]:
    keys = ("url", "title", "author", "published", "language", "text", "source", "description",
            "sitename", "canonical_url", "word_count", "first_captured", "last_captured", "versions",
            "removed_at", "extraction_path", "comment_count", "comments_text")
    return {key: (page or {}).get(key) for key in keys} | {"url": url}


# -- extract ---------------------------------------------------------------


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--content-type", metavar="VALUE", help="The Content-Type header the page came with.")
@json_option
@fails_cleanly
def extract(file: Path, url: str, content_type: str | None, as_json: bool) -> None:
    """Run the indexer's extraction on a saved HTML file.

    The same code path as indexing: decoding, trafilatura, language
    detection. Useful to check what the index would hold for a page.

    \b
    Example:
        mediarchive extract saved/article.html --url https://svpressa.ru/war21/article/321239/ --json
    """
    from archive.extract import NotExtractable
    from archive.extract import extract as run_extract

    try:
        body = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror or exc}") from None
    try:
        result = run_extract(body, url, content_type=content_type).to_dict()
    except NotExtractable as exc:
        raise MediarchiveError(f"{file}: nothing to extract: {exc}") from None
    result = {"url": url, **result}
    if as_json:
        _print_json(result)
        return
    for key in ("url", "title", "author", "published", "language"):
        click.echo(f"{key + ':':<11}{result.get(key) or '-'}")
    click.echo("")
    click.echo(result.get("text") or "")


# -- reindex / import ------------------------------------------------------


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
    from archive.reindex import reindex as run_reindex

    datadir = DataDir.resolve(data)
    if not datadir.warcs.is_dir():
        raise UsageError(f"{datadir.warcs}: no WARC directory to reindex")
    config = _optional_config(config_path)
    stats = run_reindex(
        datadir,
        source_for_url=config.source_for_url if config else None,
        source_options=config.extraction_options() if config else None,
        progress=_progress,
    )
    click.echo(f"reindexed {stats.files} file(s): {stats.captures} captures, {stats.pages} pages")
    for failure in stats.failures:
        click.echo(f"error: {failure}", err=True)
    if stats.failures:
        sys.exit(1)


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
    from archive.config import NAME_RE
    from archive.importer import import_file, import_wacz
    from archive.index import Index
    from archive.indexer import Indexer

    if source is not None and not NAME_RE.match(source):
        raise UsageError(f"--source: {source!r} must be lowercase letters, digits, '-' or '_'")
    datadir = DataDir.resolve(data)
    failed = 0
    names: list[str] = []
    config = _optional_config(config_path)
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
            from archive.cdxj import update_replay_index

            update_replay_index(datadir, index, imported)
    click.echo(f"imported {len(outcomes) - failed} of {len(outcomes)} file(s)")
    if failed:
        sys.exit(1)


# -- history, diff, changes, cron ------------------------------------------


@main.command(context_settings=CONTEXT)
@click.argument("url")
@data_option
@json_option
@fails_cleanly
def history(url: str, data: str | None, as_json: bool) -> None:
    """The versions of an article and its life: new, edited, removed, restored.

    A new version is kept when a re-check finds the title, author or text
    changed (noise such as "5 minutes ago", counters and whitespace
    ignored); each is linked to the WARC record it was extracted from.

    \b
    Example:
        mediarchive history https://www.moonofalabama.org/2024/01/some-post.html --json
    """
    from archive.history import events_of, versions_of

    with _open_index(data) as index:
        versions = versions_of(index, url)
        events = events_of(index, url)
        if not versions and not index.captures_of(url):
            raise NotInIndex(f"{url} is not in the index")
    if as_json:
        for version in versions:
            version["diff"] = json.loads(version["diff"]) if version["diff"] else None
        _print_json({"url": url, "versions": versions, "events": events})
        return
    click.echo(url)
    for version in versions:
        change = "" if version["version"] == 1 else f"  +{version['words_added']} -{version['words_removed']} words"
        click.echo(f"  v{version['version']}  {version['captured_at']}  {version['title'] or '(no title)'}{change}")
        click.echo(f"       record {version['record_id']}")
    for event in events:
        click.echo(f"  {event['at']}  {event['event']:<9} {event['detail'] or ''}")


@main.command(context_settings=CONTEXT)
@click.argument("url")
@click.option("--from", "from_version", type=int, metavar="N", help="Older version (default: the one before --to).")
@click.option("--to", "to_version", type=int, metavar="M", help="Newer version (default: the latest).")
@data_option
@fails_cleanly
def diff(url: str, from_version: int | None, to_version: int | None, data: str | None) -> None:
    """Word-level difference between two versions of an article.

    Removed words are shown as [-words-], added ones as {+words+}.

    \b
    Example:
        mediarchive diff https://www.moonofalabama.org/2024/01/some-post.html --from 1 --to 2
    """
    from archive.history import versions_of
    from archive.textdiff import word_diff

    with _open_index(data) as index:
        versions = {v["version"]: v for v in versions_of(index, url)}
    if not versions:
        raise NotInIndex(f"{url} has no extracted version in the index")
    newest = max(versions)
    to_version = to_version or newest
    from_version = from_version or max(to_version - 1, 1)
    for number in (from_version, to_version):
        if number not in versions:
            raise UsageError(f"{url} has versions 1 to {newest}, not {number}")
    old, new = versions[from_version], versions[to_version]
    click.echo(f"--- v{from_version} {old['captured_at']} {old['record_id']}")
    click.echo(f"+++ v{to_version} {new['captured_at']} {new['record_id']}")
    for field in ("title", "author"):
        if old[field] != new[field]:
            click.echo(f"{field}: [-{old[field] or ''}-]{{+{new[field] or ''}+}}")
    click.echo(textwrap.fill(word_diff(old["text"], new["text"]).render(), 100))


@main.command(context_settings=CONTEXT)
@click.option("--since", metavar="DATE", help="Changes on or after DATE (YYYY-MM-DD or a full UTC time).")
@click.option("--source", "sources", multiple=True, metavar="S", help="Only this source (repeatable).")
@data_option
@json_option
@fails_cleanly
def changes(since: str | None, sources: tuple[str, ...], data: str | None, as_json: bool) -> None:
    """New, edited, removed and restored articles, per source.

    \b
    Example:
        mediarchive changes --since 2026-11-01 --source svpressa --json
    """
    from archive.history import changes as list_changes
    from archive.search import check_date

    if since and "T" not in since:
        since = check_date(since, "--since")
    with _open_index(data) as index:
        rows = list_changes(index, since=since, sources=sources)
    if as_json:
        grouped: dict[str, dict[str, list]] = {}
        for row in rows:
            per_source = grouped.setdefault(row["source"] or "", {"new": [], "edited": [], "removed": [], "restored": []})
            per_source[row["event"]].append({k: row[k] for k in ("url", "title", "at", "detail", "record_id")})
        _print_json(grouped)
        return
    if not rows:
        click.echo("no changes", err=True)
    current = None
    for row in rows:
        if row["source"] != current:
            current = row["source"]
            click.echo(f"{current}:")
        click.echo(f"  {row['at']}  {row['event']:<9} {row['url']}  {row['title'] or ''}")


@main.command(context_settings=CONTEXT)
@click.option("--every", default="1h", show_default=True, metavar="INTERVAL",
              help="How often: 15m, 30m, 1h, 2h, 6h, 12h or 1d.")
@config_option
@data_option
@fails_cleanly
def cron(every: str, config_path: str, data: str | None) -> None:
    """Print a crontab line that runs the crawl of this install.

    Add it with `crontab -e`. Runs never overlap (a second run exits with
    code 3); without a terminal the log goes to DATA/logs/mediarchive.log
    and the run's summary line to cron's mail.

    \b
    Example:
        mediarchive cron --every 6h --data /srv/archive/data
    """
    schedules = {
        "15m": "*/15 * * * *", "30m": "*/30 * * * *", "1h": "7 * * * *", "2h": "7 */2 * * *",
        "6h": "7 */6 * * *", "12h": "7 */12 * * *", "1d": "7 3 * * *",
    }
    if every not in schedules:
        raise UsageError(f"--every: {every!r} is not one of {', '.join(schedules)}")
    from archive.config import load_config

    load_config(config_path)  # a broken file is better found now than at 3 a.m.
    program = Path(sys.executable).parent / "mediarchive"
    datadir = DataDir.resolve(data)
    click.echo(
        f"{schedules[every]} {program} crawl --config {Path(config_path).resolve()} --data {datadir.root}"
    )


@main.command(context_settings=CONTEXT)
@config_option
@data_option
@json_option
@fails_cleanly
def sources(config_path: str, data: str | None, as_json: bool) -> None:
    """The sources of the sources file and how their archive stands.

    For each: enabled, disabled or closed; its last run and whether it
    succeeded; pages archived and removed; the newest article's date.

    \b
    Example:
        mediarchive sources --json
    """
    from archive.config import load_config
    from archive.index import Index
    from archive.runs import source_status

    config = load_config(config_path)
    datadir = DataDir.resolve(data)
    index = Index(datadir.index_path) if datadir.index_path.exists() else None
    try:
        rows = source_status(index, datadir.root / "runs", list(config.sources))
    finally:
        if index is not None:
            index.close()
    if as_json:
        _print_json(rows)
        return
    click.echo(f"{'source':<18} {'status':<9} {'last run':<21} {'result':<8} {'pages':>7} {'removed':>8}  newest article")
    for row in rows:
        result = "-" if row["last_run_ok"] is None else ("ok" if row["last_run_ok"] else "FAILED")
        click.echo(
            f"{row['name']:<18} {row['status']:<9} {row['last_run'] or 'never':<21} {result:<8}"
            f" {row['pages_archived']:>7} {row['pages_removed']:>8}  {row['newest_article'] or '-'}"
        )
        if row["last_run_problem"]:
            click.echo(f"{'':<18} {row['last_run_problem']}")


@main.command(context_settings=CONTEXT)
@click.option("--keep", "keep", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the demo's data directory here instead of a temporary one.")
@fails_cleanly
def demo(keep: Path | None) -> None:
    """Show the whole pipeline offline, on a small bundled site.

    Serves a sample site of English and Russian articles on 127.0.0.1,
    crawls it with the real pipeline (WARC files, extraction, index) into a
    temporary data directory, runs an English and a Russian search, and
    prints the commands to go further. Nothing leaves the machine.

    \b
    Example:
        mediarchive demo --keep ./demo-data
    """
    import tempfile

    from crawler.demo import run_demo

    workdir = keep or Path(tempfile.mkdtemp(prefix="mediarchive-demo-"))
    report = run_demo(workdir, click.echo)
    sys.exit(report.exit_code)


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
    from archive import replay as pywb

    pywb.check_bind(host, allow_remote)
    python = pywb.ensure_pywb(_progress)
    if setup_only:
        click.echo(f"pywb is ready: {python}")
        return
    datadir = DataDir.resolve(data)
    with _open_index(data) as index:
        from archive.cdxj import replay_index_path, update_replay_index

        if not replay_index_path(datadir).exists():
            update_replay_index(datadir, index)
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
    immutable; restart the UI after a crawl to see its pages. Listens on
    127.0.0.1 only, unless another address is named with --allow-remote.
    Ctrl-C stops it.

    \b
    Example:
        mediarchive ui --port 8001 --data ./data
    """
    from archive import replay as pywb
    from archive import webui

    pywb.check_bind(host, allow_remote)
    datadir = DataDir.resolve(data)
    with _open_index(data):  # creates or upgrades the schema the UI expects
        pass
    warning = webui.checkpoint(datadir.index_path)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    process, base = webui.start(datadir.index_path, host, port, replay_url)
    click.echo(f"serving the index of {datadir.root} at {base}  (articles: {base}index/articles; Ctrl-C stops)", err=True)
    click.echo(base)
    _serve_until_stopped(process)


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
    with _open_index(data) as index:
        if cdxj_path:
            from archive.cdxj import export_cdxj

            lines = export_cdxj(datadir, cdxj_path)
            click.echo(f"{cdxj_path}: {lines} CDXJ lines")
        if wacz_path:
            from archive.wacz import WaczError, export_wacz, validate_wacz

            result = export_wacz(datadir, index, wacz_path, sources=sources, since=since, until=until)
            passed, message = validate_wacz(result.path)
            if not passed:
                raise WaczError(f"{result.path}: wacz validate failed: {message}")
            click.echo(
                f"{result.path}: {result.captures} captures, {result.pages} pages in {result.warc_files} WARC file(s);"
                f" wacz validate: {message}"
            )


# -- helpers ---------------------------------------------------------------


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


def _open_index(data: str | None):
    from archive.index import Index

    datadir = DataDir.resolve(data)
    if not datadir.index_path.exists():
        raise UsageError(f"{datadir.index_path}: no index yet (run `mediarchive crawl` or `mediarchive import` first)")
    return Index(datadir.index_path)


def _optional_config(config_path: str):
    """The sources file, if the user named one or the default exists."""
    from archive.config import load_config

    if config_path == DEFAULT_CONFIG and not Path(config_path).exists():
        return None
    return load_config(config_path)


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
