"""Reading a data directory's index from tests, as an archivist would with SQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def query(data: Path, sql: str, params=()) -> list[dict]:
    """Rows of ``sql`` on ``data/index.sqlite``, as dicts."""
    db = sqlite3.connect(Path(data) / "index.sqlite")
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(sql, params)]
    finally:
        db.close()


def rows(data: Path, sql: str, params=()) -> list[tuple]:
    """Rows of ``sql`` on ``data/index.sqlite``, as tuples."""
    db = sqlite3.connect(Path(data) / "index.sqlite")
    try:
        return list(db.execute(sql, params))
    finally:
        db.close()
