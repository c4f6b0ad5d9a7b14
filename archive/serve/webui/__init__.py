"""``mediarchive ui``: Datasette over the index, read-only.

The index is opened immutable (no locks, no writes), with the metadata
below: the ``articles`` view with full-text search, facets by source,
language, author and month, and a chart; canned queries for what archivists
ask first. Datasette runs in a child process on a socket bound here, so the
address is checked and taken before it starts (see :mod:`archive.serve.webui.serve`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from archive.errors import MediarchiveError
from archive.serve.bind import start_on_socket

TEMPLATES = Path(__file__).with_name("templates")
DATABASE = "index"  # Datasette names the database after the file, index.sqlite
PLUGIN = "mediarchive-ui"

QUERIES = {
    "search": {
        "title": "Search with snippets",
        "description": "Words match in any inflection (Казахстан finds Казахстане; protest, protesters). "
        '"Phrases", prefix*, AND / OR / NOT. Newest first.',
        "sql": (
            "SELECT p.id, p.title, p.url, p.source, p.language, p.author,\n"
            "  substr(COALESCE(p.published, p.first_captured), 1, 10) AS date, p.last_captured,\n"
            "  mediarchive_snippet(p.text, :q) AS snippet\n"
            "FROM pages_search s JOIN pages p ON p.search_key = s.rowid\n"
            "WHERE pages_search MATCH mediarchive_query(:q)\n"
            "ORDER BY s.rowid DESC LIMIT 100"
        ),
    },
    "latest_per_source": {
        "title": "Latest articles per source",
        "description": "The :n newest articles of each source (by publication date, else first capture).",
        "sql": (
            "SELECT p.source, p.title, p.url, p.id, p.published, p.language, p.author, p.last_captured\n"
            "FROM (SELECT DISTINCT source FROM pages WHERE source IS NOT NULL) s\n"
            "JOIN pages p ON p.id IN (\n"
            "  SELECT id FROM pages WHERE source = s.source ORDER BY search_key DESC LIMIT CAST(:n AS INTEGER))\n"
            "ORDER BY p.source, p.search_key DESC"
        ),
        "params": ["n"],
    },
    "edited_articles": {
        "title": "Edited articles",
        "description": "Pages whose text or title changed after they were first captured, latest edit first.",
        "sql": (
            "SELECT e.at AS edited_at, e.detail, p.title, p.url, p.id, p.source, p.versions, p.last_captured\n"
            "FROM page_events e JOIN pages p ON p.url = e.url\n"
            "WHERE e.event = 'edited' ORDER BY e.at DESC LIMIT 500"
        ),
    },
    "removed_articles": {
        "title": "Removed articles",
        "description": "Pages that answer 404 or 410 or redirect elsewhere now; the archive keeps what they said.",
        "sql": (
            "SELECT p.removed_at, p.title, p.url, p.id, p.source, p.published, p.last_captured\n"
            "FROM pages p WHERE p.removed_at IS NOT NULL ORDER BY p.removed_at DESC LIMIT 500"
        ),
    },
    "articles_per_month": {
        "title": "Articles per month per source",
        "description": "Counts by month of publication (else of first capture).",
        "sql": "SELECT month, source, count(*) AS articles FROM pages GROUP BY month, source ORDER BY month, source",
    },
}


def metadata(replay_base: str) -> dict[str, Any]:
    return {
        "title": "mediarchive",
        "description_html": (
            "The archive's index. Search <a href='/index/articles'>articles</a> (words match in any "
            "inflection, Russian and English), narrow with the facets, open a page's replay or text. "
            "Read-only."
        ),
        "plugins": {PLUGIN: {"replay_base": replay_base}},
        "databases": {
            DATABASE: {
                "tables": {
                    "articles": {
                        "title": "Articles",
                        "description": "Every page extracted from the archive, newest first. The search box "
                        "matches inflections; \"phrases\", prefix*, AND / OR / NOT work.",
                        "fts_table": "pages_search",
                        "fts_pk": "search_key",
                        "facets": ["source", "language", "author", "month"],
                        "sort_desc": "search_key",
                        "label_column": "title",
                    },
                    "pages": {"fts_table": "pages_search", "fts_pk": "search_key", "label_column": "title",
                              "sort_desc": "search_key"},
                    "search_meta": {"hidden": True},
                },
                "queries": QUERIES,
            }
        },
    }


def start(index_path: Path, host: str, port: int, replay_base: str) -> tuple[subprocess.Popen, str]:
    """Start Datasette on host:port (0: any free port): the process and its URL."""
    if not index_path.is_file():
        raise MediarchiveError(f"no index at {index_path}: crawl or import something first")
    config = index_path.parent / "ui" / "metadata.json"
    config.parent.mkdir(exist_ok=True)
    config.write_text(json.dumps(metadata(replay_base), ensure_ascii=False, indent=2), encoding="utf-8")
    process, bound = start_on_socket(
        [sys.executable, "-m", "archive.serve.webui.serve", str(index_path), str(config)], host, port,
        MediarchiveError, "Datasette",
    )
    return process, f"http://{host}:{bound}/"
