"""Reading the archive: `search`, `show` and `extract`."""

from __future__ import annotations

import textwrap
import sys
from pathlib import Path
from typing import Any

import click

from archive.paths import DataDir
from archive.errors import MediarchiveError, NotInIndex, UsageError
from crawler.cli.base import (
    CONTEXT, ExampleLastCommand, data_option, fails_cleanly, json_option, main, open_index, optional_config, print_json,
)


class _SearchCommand(ExampleLastCommand):
    """``search``, saying what to do when a query's leading ``-`` was read as an option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            if exc.option_name.startswith("--"):
                raise
            raise click.UsageError(
                f"{exc.format_message().rstrip('.')}: a query starting with '-' was read as an option. To leave a"
                " word out, put it after what to search for, in the query: mediarchive search \"Kherson -Kyiv\""
                " (or \"Kherson NOT Kyiv\")",
                ctx,
            ) from None


@main.command(cls=_SearchCommand, context_settings=CONTEXT)
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
    from archive.serve.replay import replay_url
    from archive.search.search import SearchQuery, check_date
    from archive.search.search import search as run_search

    if as_json and as_csv:
        raise UsageError("choose one of --json and --csv")
    check_date(since, "--since"), check_date(until, "--until")  # a bad option is said before the index is opened
    if page_number < 1:
        raise UsageError("--page must be 1 or more")
    query_obj = SearchQuery(
        text=query, sources=sources, languages=languages, authors=authors, domains=domains, since=since,
        until=until, dates=dates, url_prefix=url_prefix, comments=comments, sort=sort, limit=limit,
        offset=(page_number - 1) * max(limit, 1),
    )
    with open_index(data) as index:
        found = run_search(index, query_obj)
        rows = found.rows
        recorded = index.record_urls(row["url"] for row in rows)
    for note in found.notes:
        click.echo(f"note: {note}", err=True)
    for row in rows:
        row["replay_url"] = replay_url(recorded.get(row["url"], row["url"]), row["last_captured"] or "")
    if as_json:
        print_json(rows)
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


@main.command(context_settings=CONTEXT)
@click.argument("url")
@data_option
@json_option
@click.option("--html", "as_html", is_flag=True, help="Write the archived body (as the server sent it, decoded) to stdout.")
@fails_cleanly
def show(url: str, data: str | None, as_json: bool, as_html: bool) -> None:
    """One page: its metadata and text from the index, and its captures.

    --json adds the page's provenance: the text's conversion record and the
    fields' metadata record (file, offset, record ID), the response record
    they refer to, its payload digest, file and offset.

    With --html, the body of the newest successful capture is read back from
    its WARC record by offset and written to standard output.

    \b
    Example:
        mediarchive show https://www.moonofalabama.org/2024/01/some-post.html --json
    """
    from archive.index.archived import provenance as chain
    from archive.warc.readback import archived_body

    if as_html and as_json:
        raise UsageError("--html writes the archived page and --json its record: give one of them")
    datadir = DataDir.resolve(data)
    with open_index(data) as index:
        from archive.serve.replay import replay_url

        page = index.page(url)
        captures = [c | {"replay_url": replay_url(c["target_uri"] or c["url"], c["captured_at"])} for c in index.captures_of(url)]
        copies = index.copies_of(url)
        if not page and not captures:
            raise NotInIndex(f"{url} is not in the index")
        provenance = chain(index, page["capture_id"]) if page and page.get("capture_id") else None
        if as_html:
            body = archived_body(datadir, index, url)
            sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()
            return
    if as_json:
        print_json({**_page_fields(page, url), "provenance": provenance, "captures": captures, "copies": copies})
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
        if capture.get("via"):
            target += f"  (a copy via {capture['via']}, {capture['payload_check']} its digest)"
        click.echo(
            f"  {capture['captured_at']}  {capture['record_type']:<8} {capture['status'] or '-':>3}  "
            f"{capture['mime'] or '-'}  {capture['warc_file']}@{capture['offset']}{target}"
        )
        click.echo(f"      replay: {capture['replay_url']}")
    if page and page.get("text"):
        click.echo("")
        click.echo(page["text"])


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--content-type", metavar="VALUE", help="The Content-Type header the page came with.")
@click.option("--source", "source_name", metavar="NAME",
              help="The source whose rules apply (default: the source of the URL's domain, if any).")
@click.option("--config", "config_path", metavar="FILE", default=None,
              help="Sources file, for the source's rules (default: ./config/sources.yaml, if there is one).")
@json_option
@fails_cleanly
def extract(
    file: Path, url: str, content_type: str | None, source_name: str | None, config_path: str, as_json: bool
) -> None:
    """Run the indexer's extraction on a saved HTML file.

    Exactly the indexer's extraction worker: decoding, trafilatura, language
    detection, and the source's knowledge (comments kept apart, its
    selectors where trafilatura fails, its language check, its byline
    filter). Useful to check what the index would hold for a page.

    \b
    Example:
        mediarchive extract saved/article.html --url https://svpressa.ru/war21/article/321239/ --json
    """
    from archive.extract.job import extract_job

    config = optional_config(config_path)
    if source_name is not None:
        if config is None:
            raise UsageError(f"--source {source_name}: no sources file (give --config FILE) to find it in")
        config.source(source_name)  # unknown: one line naming the known ones
    elif config is not None:
        source_name = config.source_for_url(url)
    options = config.extraction_options().get(source_name) if config and source_name else None
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror or exc}") from None
    outcome = extract_job(body, url, content_type, None, options)
    if isinstance(outcome, str):
        raise MediarchiveError(f"{file}: nothing to extract: {outcome}")
    hidden = ("search_words", "search_texts", "content_hash", "fingerprint")
    result = {"url": url, "source": source_name} | {k: v for k, v in outcome.items() if k not in hidden}
    if as_json:
        print_json(result)
        return
    for key in ("url", "source", "title", "author", "published", "language", "extraction_path"):
        click.echo(f"{key + ':':<11}{result.get(key) or '-'}")
    if result.get("comment_count") is not None:
        click.echo(f"comments:  {result['comment_count']} (kept apart from the text)")
    click.echo("")
    click.echo(result.get("text") or "")


def _print_csv(rows: list[dict[str, Any]], columns: list[str]) -> None:
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _page_fields(page: dict[str, Any] | None, url: str) -> dict[str, Any]:
    keys = ("url", "title", "author", "published", "language", "text", "source", "description",
            "sitename", "canonical_url", "word_count", "first_captured", "last_captured", "versions",
            "removed_at", "extraction_path", "comment_count", "comments_text")
    return {key: (page or {}).get(key) for key in keys} | {"url": url}
