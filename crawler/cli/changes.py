"""An article's life: `history`, `diff` and `changes`."""

from __future__ import annotations

import textwrap
import json

import click

from archive.errors import NotInIndex, UsageError
from crawler.cli.base import main, CONTEXT, data_option, json_option, fails_cleanly, open_index, print_json


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
    from archive.index.history import events_of, versions_of

    with open_index(data) as index:
        versions = versions_of(index, url)
        events = events_of(index, url)
        if not versions and not index.captures_of(url):
            raise NotInIndex(f"{url} is not in the index")
    if as_json:
        for version in versions:
            version["diff"] = json.loads(version["diff"]) if version["diff"] else None
        print_json({"url": url, "versions": versions, "events": events})
        return
    click.echo(url)
    for version in versions:
        change = "" if version["version"] == 1 else f"  +{version['words_added']} -{version['words_removed']} words"
        click.echo(f"  v{version['version']}  {version['captured_at']}  {version['title'] or '(no title)'}{change}")
        click.echo(f"       record {version['record_id']}" + (f" (a copy via {version['via']})" if version.get("via") else ""))
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
    from archive.index.history import versions_of
    from archive.index.textdiff import word_diff

    with open_index(data) as index:
        versions = {v["version"]: v for v in versions_of(index, url)}
    if not versions:
        raise NotInIndex(f"{url} has no extracted version in the index")
    newest = max(versions)
    if len(versions) == 1 and from_version is None and to_version is None:
        (only,) = versions.values()
        click.echo(f"{url} has one version (v1, captured {only['captured_at']}, record {only['record_id']}): nothing to compare")
        return
    if from_version is not None and from_version == to_version:
        raise UsageError(f"--from and --to both name v{from_version}: give two different versions")
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
@click.option("--atom", "as_atom", is_flag=True, help="An Atom feed of the newest changes (an edit with its diff and both replays).")
@click.option(
    "--replay-url", default="http://127.0.0.1:8080/archive/", show_default=True, metavar="URL",
    help="With --atom: where `mediarchive replay` serves the archive.",
)
@click.option(
    "--ui-url", default="http://127.0.0.1:8001/", show_default=True, metavar="URL",
    help="With --atom: where `mediarchive ui` serves (its feed and an edit's diff page).",
)
@data_option
@json_option
@fails_cleanly
def changes(
    since: str | None, sources: tuple[str, ...], as_atom: bool, replay_url: str, ui_url: str, data: str | None,
    as_json: bool,
) -> None:
    """New, edited, removed and restored articles, per source.

    With --atom, an Atom feed of the newest 200 (all since --since), newest
    first, to subscribe to: an edit shows its word diff and links to its diff
    page in `mediarchive ui` and to the replay of both versions. `mediarchive
    ui` serves the same feed at /-/changes.atom.

    \b
    Example:
        mediarchive changes --since 2026-11-01 --source svpressa --json
        mediarchive changes --atom > changes.atom
    """
    from archive.index.history import changes as list_changes
    from archive.search.search import check_date

    if as_atom and as_json:
        raise UsageError("--atom and --json: choose one")
    if since and "T" not in since:
        since = check_date(since, "--since")
    if as_atom:
        from archive.index import changefeed

        ui_url = ui_url.rstrip("/") + "/"
        with open_index(data) as index:
            rows = changefeed.events(index, since=since, sources=sources, limit=-1 if since else changefeed.DEFAULT_LIMIT)
        feed = changefeed.atom(rows, feed_url=ui_url + changefeed.FEED_PATH, replay_base=replay_url, ui_base=ui_url)
        click.echo(feed.decode("utf-8"), nl=False)
        return
    with open_index(data) as index:
        rows = list_changes(index, since=since, sources=sources)
    if as_json:
        grouped: dict[str, dict[str, list]] = {}
        for row in rows:
            per_source = grouped.setdefault(row["source"] or "", {"new": [], "edited": [], "removed": [], "restored": []})
            per_source[row["event"]].append({k: row[k] for k in ("url", "title", "at", "detail", "record_id")})
        print_json(grouped)
        return
    if not rows:
        click.echo("no changes", err=True)
    current = None
    for row in rows:
        if row["source"] != current:
            current = row["source"]
            click.echo(f"{current}:")
        click.echo(f"  {row['at']}  {row['event']:<9} {row['url']}  {row['title'] or ''}")
