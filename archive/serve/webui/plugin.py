"""The Datasette plugin of ``mediarchive ui``.

- Search boxes reduce words the way the index does: Datasette's table search
  runs ``match escape_fts(:search)``, and this plugin's ``escape_fts`` (the
  last registered wins) turns the query into our FTS5 expression over
  search forms. A query that cannot be read is searched as plain words;
  one with no word matches nothing. Neither is an error page.
- ``mediarchive_query(q)`` and ``mediarchive_snippet(text, q)`` serve the
  canned search query.
- Cells: an article's URL links to its replay address and to its full
  text; snippets show the matched words marked.
- The ``articles`` page carries a chart of articles per month per source,
  for the search and filters on screen.
- ``/-/changes.atom`` serves the changes as an Atom feed (what ``mediarchive
  changes --atom`` prints) and ``/-/diff?url=&from=&to=`` an edit's word
  diff, with the replay of both versions.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from html import escape
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from archive.index import changefeed

from archive.search import fulltext

from archive.search import query as ftsquery
from archive.search import wordlookup
from archive.serve.replay import replay_url
from archive.search.snippets import snippet
from archive.serve.webui.chart import stacked_bars

PLUGIN = "mediarchive-ui"
NOTHING = '""'  # an FTS5 expression that matches no row
CHART_FILTERS = ("source", "language", "author", "month")
MARK_RE = re.compile(r"\[([^\[\]]*)\]")


def query_expression(text: str | None, columns: str = ftsquery.TEXT_COLUMNS, names=None, prefixes=None) -> str:
    """The FTS5 expression for a search box's text; never raises."""
    text = text or ""
    try:
        return f"{columns} : ({ftsquery.parse(text, names=names, prefixes=prefixes).fts()})"
    except (ftsquery.EmptyQuery, ftsquery.QueryError):
        pass
    try:
        return f"{columns} : ({ftsquery.literal(text)})"
    except ftsquery.EmptyQuery:
        return NOTHING


def snippet_for(text: str | None, query: str | None) -> str:
    try:
        forms, prefixes = ftsquery.parse(query or "").matchers()
    except (ftsquery.EmptyQuery, ftsquery.QueryError):
        forms, prefixes = set(), ()
    return snippet(text, forms, prefixes)


_lookups: dict[str, sqlite3.Connection] = {}
_lookup_lock = threading.Lock()


def vocabulary_lookups(path: str | None):
    """Functions giving a name's spellings in the other script, and a
    prefix's forms, that the index at ``path`` holds (on a connection of
    their own: a SQL function must not query the connection that calls it)."""
    if not path:
        return None, None

    def ask(function, argument, otherwise):
        with _lookup_lock:
            if path not in _lookups:
                _lookups[path] = sqlite3.connect(f"file:{path}?immutable=1", uri=True, check_same_thread=False)
            try:
                return function(_lookups[path], argument)
            except sqlite3.Error:  # not an index of ours
                return otherwise

    return (
        lambda word: ask(wordlookup.names_in_other_script, word, []),
        lambda start: ask(wordlookup.forms_with_prefix, start, None),
    )


@hookimpl(trylast=True)
def prepare_connection(conn, database, datasette):
    # trylast: runs after Datasette's own, so this escape_fts replaces it
    names, prefixes = vocabulary_lookups(getattr(datasette.databases.get(database), "path", None))

    def expression(text):
        return query_expression(text, names=names, prefixes=prefixes)

    conn.create_function("escape_fts", 1, expression, deterministic=True)
    conn.create_function("mediarchive_query", 1, expression, deterministic=True)
    conn.create_function("mediarchive_snippet", 2, snippet_for, deterministic=True)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "snippet" and isinstance(value, str):
        return Markup(MARK_RE.sub(r"<mark>\1</mark>", escape(value)))
    keys = row.keys() if hasattr(row, "keys") else ()
    if column == "url" and isinstance(value, str) and "id" in keys and "last_captured" in keys:
        base = (datasette.plugin_config(PLUGIN) or {}).get("replay_base", "")

        async def links() -> Markup:
            replay = None
            if base:  # an imported capture is replayed by the URL its WARC record names
                recorded = await datasette.get_database(database).execute(
                    "SELECT c.target_uri FROM pages p JOIN captures c ON c.id = p.capture_id WHERE p.id = ?", [row["id"]]
                )
                target = next((r[0] for r in recorded.rows if r[0]), value)
                replay = replay_url(target, row["last_captured"] or "", base)
            text = datasette.urls.table(database, "pages") + f"/{row['id']}"
            html = [f'<a href="{escape(value)}" rel="nofollow noreferrer">{escape(value)}</a>']
            if replay:
                html.append(f'<a class="replay" href="{escape(replay)}">replay</a>')
            html.append(f'<a class="text" href="{escape(text)}">text</a>')
            return Markup(html[0] + "<br>" + " · ".join(html[1:]))

        return links
    return None


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name != "table" or table != "articles" or request is None:
        return {}

    async def chart() -> dict[str, Any]:
        where, params = [], {}
        search = request.args.get("_search")
        if search:
            where.append(f"search_key IN (SELECT rowid FROM {fulltext.TABLE} WHERE {fulltext.TABLE} MATCH escape_fts(:search))")
            params["search"] = search
        for column in CHART_FILTERS:
            value = request.args.get(column, request.args.get(f"{column}__exact"))
            if value is not None:
                where.append(f"[{column}] = :{column}")
                params[column] = value
        sql = (
            "SELECT month, source, count(*) FROM pages"
            f"{' WHERE ' + ' AND '.join(where) if where else ''} GROUP BY month, source"
        )
        try:
            result = await datasette.get_database(database).execute(sql, params)
        except Exception as exc:  # a timeout or a bad query: the page still shows, without the chart
            return {"mediarchive_chart": "", "mediarchive_chart_note": f"chart not drawn: {exc}"}
        title = "Articles per month per source" + (f' matching "{search}"' if search else "")
        return {
            "mediarchive_chart": Markup(stacked_bars([tuple(r) for r in result.rows], title)),
            "mediarchive_chart_title": title,
        }

    return chart


class _Rows:
    """What the history and feed functions read through (``query``), over a Datasette connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def query(self, sql: str, params=()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, list(params))
        keys = [d[0] for d in cursor.description]
        return [dict(zip(keys, row)) for row in cursor]


def _index_db(datasette):
    from archive.serve.webui import DATABASE

    return datasette.get_database(DATABASE)


async def changes_feed(datasette, request):
    base = datasette.absolute_url(request, datasette.urls.path("/"))
    replay_base = (datasette.plugin_config(PLUGIN) or {}).get("replay_base", "")
    rows = await _index_db(datasette).execute_fn(lambda conn: changefeed.events(_Rows(conn)))
    feed = changefeed.atom(rows, feed_url=base + changefeed.FEED_PATH, replay_base=replay_base, ui_base=base)
    return Response(feed, content_type="application/atom+xml; charset=utf-8")


async def version_diff(datasette, request):
    from archive.index.history import versions_of
    from archive.serve.replay import replay_url

    url = request.args.get("url") or ""
    try:
        numbers = int(request.args.get("from", "")), int(request.args.get("to", ""))
    except ValueError:
        return Response.text("give url, from and to (two version numbers)", status=400)
    versions = {v["version"]: v for v in await _index_db(datasette).execute_fn(lambda conn: versions_of(_Rows(conn), url))}
    if not all(n in versions for n in numbers):
        return Response.text(f"{url}: no versions {numbers[0]} and {numbers[1]} in the index", status=404)
    old, new = (versions[n] for n in numbers)
    replay_base = (datasette.plugin_config(PLUGIN) or {}).get("replay_base", "")
    html = await datasette.render_template("mediarchive-diff.html", {
        "url": url, "old": old, "new": new, "diff": Markup(changefeed.diff_html(old, new)),
        "old_replay": replay_url(url, old["captured_at"], replay_base) if replay_base else None,
        "new_replay": replay_url(url, new["captured_at"], replay_base) if replay_base else None,
        "feed": datasette.urls.path("/" + changefeed.FEED_PATH),
    }, request=request)
    return Response.html(html)


@hookimpl
def register_routes():
    return [(r"^/-/changes\.atom$", changes_feed), (r"^/-/diff$", version_diff)]
