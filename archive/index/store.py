"""The SQLite index: derived data, rebuilt from the WARC files at will.

Tables (documented for archivists in the README):

- ``warc_files``: each WARC file indexed, with its size when indexed.
- ``captures``: one row per WARC ``response``, ``revisit`` or ``resource``
  record: URL, capture time (UTC), status, MIME type, payload digest, the
  file, offset and length of the record, its record ID and the source.
- ``pages``: the article behind a URL as last extracted: title, author,
  published date, language and text; ``pages_search`` is the full-text
  index over them (see :mod:`archive.search.fulltext`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils
from sqlite_utils.utils import dedupe_keys

from archive.errors import MediarchiveError
from archive.index.schema import (
    ARTICLE_COLUMNS, CAPTURE_COLUMNS, DERIVED_COLUMNS, EVENT_COLUMNS, PAGE_COLUMNS, SCHEMA_VERSION, VERSION_COLUMNS, WARC_FILE_COLUMNS,
)
from archive.index import history
from archive.resources import index_damaged, is_damage
from archive.search import fulltext
from archive.search.normalise import VERSION as NORMALISER_VERSION


class IndexOutdated(MediarchiveError):
    """An index made by another version, which only a writing command may upgrade."""


class Index:
    """The index database.

    Opened to write (the default) it is created with its schema when
    missing, or upgraded: only a command holding the data directory's lock
    (:mod:`archive.index.ingest`) does that. ``readonly=True`` opens an
    existing index for reading only: it writes nothing, never migrates, and
    reads a consistent snapshot while a crawl writes (WAL)."""

    def __init__(self, path: str | Path | None = None, *, readonly: bool = False):
        self.path = Path(path) if path else None
        self.readonly = readonly
        self.stale_search = False
        self._search_batch: fulltext.Batch | None = None
        self._inserts: dict[tuple, str] = {}
        self.db: sqlite_utils.Database | None = None
        try:
            if readonly:
                if self.path is None or not self.path.is_file():
                    raise IndexOutdated(f"{self.path}: no index yet (run `mediarchive crawl` or `mediarchive import` first)")
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
                self.db = sqlite_utils.Database(sqlite3.connect(uri, uri=True, timeout=30))
                try:
                    self._check_current()
                except BaseException:
                    self.db.close()
                    raise
                return
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite_utils.Database(sqlite3.connect(self.path, timeout=30))
                self.db.enable_wal()
            else:
                self.db = sqlite_utils.Database(memory=True)
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.ensure_schema()
        except sqlite3.DatabaseError as exc:
            if getattr(self, "db", None) is not None:
                self.db.close()
            if is_damage(exc):
                raise index_damaged(self.path, exc) from None
            raise

    def _check_current(self) -> None:
        """A reader reads an index of this schema; one whose search forms
        another version made is read as it is (``stale_search``)."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        normaliser = fulltext.stored_version(self.db.conn) if "search_meta" in self.db.table_names() else None
        self.stale_search = normaliser != NORMALISER_VERSION
        if version != SCHEMA_VERSION:
            raise IndexOutdated(
                f"{self.path} was made by another version of mediarchive: the next `mediarchive crawl`,"
                " `import` or `reindex` brings it up to date"
            )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ----------------------------------------------------------

    def ensure_schema(self) -> None:
        db = self.db
        if "warc_files" not in db.table_names():
            db["warc_files"].create(WARC_FILE_COLUMNS, pk="name", not_null={"size"})
        if "captures" not in db.table_names():
            db["captures"].create(
                CAPTURE_COLUMNS,
                pk="id",
                not_null={"record_id", "url", "captured_at", "record_type", "warc_file", "offset", "length"},
                foreign_keys=[("warc_file", "warc_files", "name")],
            )
            db["captures"].create_index(["record_id"], unique=True)
            db["captures"].create_index(["url", "captured_at"])
            db["captures"].create_index(["payload_digest"])
            db["captures"].create_index(["warc_file", "offset"])
        if "pages" not in db.table_names():
            db["pages"].create(
                PAGE_COLUMNS,
                pk="id",
                not_null={"url"},
                foreign_keys=[("capture_id", "captures", "id")],
            )
            db["pages"].create_index(["url"], unique=True)
            db["pages"].create_index(["source", "published"])
            db["pages"].create_index(["language"])
        # schema 3: a page's extraction failure, a file's damage; 4: the URL a
        # capture's record names, where it is not the canonical URL, and a page's authors;
        # 5: where a copy recovered from another web archive came from
        for table, column in (
            ("captures", "extraction_error"), ("warc_files", "damage"), ("warc_files", "sha1"), ("captures", "target_uri"),
            ("pages", "authors"), ("captures", "via"), ("captures", "memento_url"), ("captures", "archive_digest"),
            ("captures", "payload_check"),
        ):
            if column not in db[table].columns_dict:
                db[table].add_column(column, str)
        self._migrate_search()
        if "page_versions" not in db.table_names():
            db["page_versions"].create(VERSION_COLUMNS, pk="id", not_null={"url", "version", "record_id"})
            db["page_versions"].create_index(["url", "version"], unique=True)
        if "derived" not in db.table_names():
            db["derived"].create(DERIVED_COLUMNS, pk="id", not_null={"record_id", "kind", "refers_to", "warc_file"})
            db["derived"].create_index(["record_id"], unique=True)
            db["derived"].create_index(["refers_to"])
            db["derived"].create_index(["warc_file"])
        if "page_events" not in db.table_names():
            db["page_events"].create(EVENT_COLUMNS, pk="id", not_null={"url", "event", "at"})
            db["page_events"].create_index(["at"])
            db["page_events"].create_index(["url"])
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")  # a reader (search, ui) writes nothing

    def _migrate_search(self) -> None:
        """Schema 1 searched unreduced words (pages_fts, comments_fts, kept
        by triggers); schema 2 keeps pages_search from Python."""
        with self.db.atomic():
            self._migrate_search_in_transaction()

    def _migrate_search_in_transaction(self) -> None:
        db = self.db
        columns = db["pages"].columns_dict
        for name, kind in (("search_key", int), ("month", str)):
            if name not in columns:
                db["pages"].add_column(name, kind)
        for trigger in ("pages_ai", "pages_ad", "pages_au", "pages_comments_ai", "pages_comments_ad", "pages_comments_au"):
            db.execute(f"DROP TRIGGER IF EXISTS [{trigger}]")
        for table in ("pages_fts", "comments_fts"):
            if table in db.table_names():
                db[table].drop()
        if not any(i.name == "idx_pages_search_key" for i in db["pages"].indexes):
            db["pages"].create_index(["search_key"], unique=True, if_not_exists=True)
            db["pages"].create_index(["month"], if_not_exists=True)
        db["pages"].create_index(["source", "search_key"], if_not_exists=True)
        db.execute(f"CREATE VIEW IF NOT EXISTS articles AS SELECT {', '.join(ARTICLE_COLUMNS)} FROM pages")
        fulltext.create(db.conn)
        if fulltext.stored_version(db.conn) != NORMALISER_VERSION:
            fulltext.rebuild(db.conn)

    # -- writing ---------------------------------------------------------

    def indexed_size(self, name: str) -> int | None:
        row = self.db.execute("SELECT size FROM warc_files WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    def forget_file(self, name: str) -> None:
        """Remove a file's captures (and pages and versions extracted from them)."""
        with self.db.atomic():
            doomed = "capture_id IN (SELECT id FROM captures WHERE warc_file = ?)"
            for page in fulltext.fetch(self.db.conn, doomed, [name]):
                fulltext.delete(self.db.conn, page, batch=self._search_batch)
            self.db.execute(history.KEEP_VERSION_TEXT.format(urls=f"SELECT url FROM pages WHERE {doomed}"), [name])
            self.db.execute(f"DELETE FROM pages WHERE {doomed}", [name])
            self.db.execute(
                "DELETE FROM page_versions WHERE record_id IN (SELECT record_id FROM captures WHERE warc_file = ?)",
                [name],
            )
            self.db.execute("DELETE FROM captures WHERE warc_file = ?", [name])
            self.db.execute("DELETE FROM derived WHERE warc_file = ?", [name])
            self.db.execute("DELETE FROM warc_files WHERE name = ?", [name])

    def add_file(
        self, name: str, size: int, records: int, captures: int, origin: str, indexed_at: str,
        *, damage: str | None = None, sha1: str | None = None,
    ) -> None:
        row = {"name": name, "size": size, "records": records, "captures": captures, "origin": origin,
               "indexed_at": indexed_at, "damage": damage}
        if sha1:
            row["sha1"] = sha1
        self.db["warc_files"].upsert(row, pk="name")  # sha1 (imports only) is kept: upsert updates only the columns given

    def add_capture(self, row: Mapping[str, Any]) -> int | None:
        """Insert a capture and return its id; None, inserting nothing, when
        its record ID is known already (a copy of the same record)."""
        cursor = self._insert("captures", row, " ON CONFLICT (record_id) DO NOTHING")
        return cursor.lastrowid if cursor.rowcount else None

    def _insert(self, table: str, row: Mapping[str, Any], conflict: str = "") -> sqlite3.Cursor:
        """A plain INSERT of ``row`` (the hot path of indexing: sqlite-utils'
        ``insert`` costs more than the statement it runs, six schema queries)."""
        names = tuple(row)
        sql = self._inserts.get((table, names, conflict))
        if sql is None:
            sql = f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({', '.join('?' * len(names))}){conflict}"
            self._inserts[(table, names, conflict)] = sql
        values = [json.dumps(v) if isinstance(v, (dict, list, tuple)) else v for v in row.values()]
        return self.db.conn.execute(sql, values)

    def insert_rows(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self._insert(table, row)

    def add_derived(self, row: Mapping[str, Any]) -> None:
        """Record an archived extraction's record (a copy of a known one is kept once)."""
        self._insert("derived", row, " ON CONFLICT (record_id) DO NOTHING")

    def set_capture_fields(self, record_id: str, values: Mapping[str, Any]) -> None:
        if values:
            assignments = ", ".join(f"[{k}] = ?" for k in values)
            self.db.execute(f"UPDATE captures SET {assignments} WHERE record_id = ?", [*values.values(), record_id])

    def add_page(
        self, row: Mapping[str, Any], *, record_id: str, search_texts: tuple[str, ...] | None = None,
        search_words: Iterable[tuple[str, str]] | None = None,
    ) -> None:
        """Record the extraction of capture ``record_id``. A page keeps the
        extraction of its newest capture (by capture time, then record ID,
        so the outcome does not depend on the order files are indexed).
        ``search_texts`` and ``search_words``: :func:`archive.search.fulltext.texts`
        and :func:`~archive.search.fulltext.word_forms` of ``row``, when the
        extraction worker computed them."""
        if self.db.conn.in_transaction:
            # within a file's transaction, no savepoint: FTS5 writes its
            # pending rows at every savepoint's end, a segment per page
            # merged again and again, where a file's rows make a few
            self._add_page(dict(row), record_id, search_texts, search_words)
            return
        with self.db.atomic():
            self._add_page(dict(row), record_id, search_texts, search_words)

    def _add_page(self, row, record_id, reduced, forms) -> None:
        batch = self._search_batch
        current = self.db.execute(
            "SELECT p.id, p.first_captured, c.captured_at, c.record_id FROM pages p "
            "LEFT JOIN captures c ON c.id = p.capture_id WHERE p.url = ?",
            [row["url"]],
        ).fetchone()
        if current is None:
            row["first_captured"] = row["last_captured"]
            page_id = self._insert("pages", row).lastrowid
            page = fulltext.fetch(self.db.conn, "id = ?", [page_id])[0]
            fulltext.insert(self.db.conn, page, reduced=reduced, forms=forms, batch=batch)
            return
        page_id, first, newest_at, newest_record = current
        before = fulltext.fetch(self.db.conn, "id = ?", [page_id])[0]
        row["first_captured"] = min(first or row["last_captured"], row["last_captured"])
        if newest_at is not None and (newest_at, newest_record) > (row["last_captured"], record_id):
            self.db["pages"].update(page_id, {"first_captured": row["first_captured"]})
            reduced = forms = None  # the page keeps its newer text: not this row's
        else:
            if row.get("text") != before.get("text"):
                self.db.execute(history.KEEP_VERSION_TEXT.format(urls="?"), [row["url"]])
            self.db["pages"].update(page_id, row)
        after = fulltext.fetch(self.db.conn, "id = ?", [page_id])[0]
        if fulltext.changed(before, after):
            fulltext.delete(self.db.conn, before, batch=batch)
            fulltext.insert(self.db.conn, after, reduced=reduced, forms=forms, batch=batch)

    @contextmanager
    def search_batch(self) -> Iterator[None]:
        """Within: the search side tables' writes wait for the end (one
        transaction's, a file's: see :class:`archive.search.fulltext.Batch`)."""
        if self._search_batch is not None:  # nested: the outer one writes
            yield
            return
        self._search_batch = fulltext.Batch()
        try:
            yield
            self._search_batch.flush(self.db.conn)
        finally:
            self._search_batch = None

    def resolve_revisits(self) -> int:
        """Point each revisit at the capture holding its payload: the record
        named by WARC-Refers-To, else the capture of WARC-Refers-To-Target-URI
        at WARC-Refers-To-Date, else the latest earlier capture with the same
        payload digest (the same URL preferred). Returns how many were set."""
        unresolved = self.query(
            "SELECT r.* FROM captures r WHERE r.record_type = 'revisit' AND NOT EXISTS ("
            " SELECT 1 FROM captures o WHERE o.record_id = r.refers_to AND o.record_type != 'revisit')"
        )
        resolved = 0
        for revisit in unresolved:
            original = self._original_of(revisit)
            if original is not None:
                self.db.execute("UPDATE captures SET refers_to = ? WHERE id = ?", [original, revisit["id"]])
                resolved += 1
        return resolved

    def _original_of(self, revisit: Mapping[str, Any]) -> str | None:
        target = revisit["refers_to_uri"] or revisit["url"]
        if revisit["refers_to_date"]:
            row = self.db.execute(
                "SELECT record_id FROM captures WHERE (url = ? OR target_uri = ?) AND captured_at = ?"
                " AND record_type != 'revisit' AND (? IS NULL OR payload_digest = ?) ORDER BY id LIMIT 1",
                [target, target, revisit["refers_to_date"], revisit["payload_digest"], revisit["payload_digest"]],
            ).fetchone()
            if row:
                return row[0]
        if revisit["payload_digest"]:
            row = self.db.execute(
                "SELECT record_id FROM captures WHERE payload_digest = ? AND record_type != 'revisit'"
                " AND captured_at <= ? ORDER BY url = ? DESC, captured_at DESC, id DESC LIMIT 1",
                [revisit["payload_digest"], revisit["captured_at"], target],
            ).fetchone()
            if row:
                return row[0]
        return None

    def group_reprints(self, source: str) -> int:
        """Group the pages of ``source`` that are copies of one work (the
        same column on several sites): each gets the ``work_id`` of the
        group's first-published page. Returns the number of groups."""
        from archive.extract.reprints import ReprintIndex

        finder = ReprintIndex()
        for page_id, print_ in self.db.execute(
            "SELECT id, fingerprint FROM pages WHERE source = ? AND fingerprint IS NOT NULL", [source]
        ):
            finder.add(page_id, print_)
        self.db.execute("UPDATE pages SET work_id = NULL WHERE source = ?", [source])
        groups = [group for group in finder.groups() if len(group) > 1]
        for group in groups:
            first = self.db.execute(
                f"SELECT id FROM pages WHERE id IN ({', '.join('?' for _ in group)})"
                " ORDER BY COALESCE(published, first_captured), url LIMIT 1",
                list(group),
            ).fetchone()[0]
            self.db.execute(
                f"UPDATE pages SET work_id = ? WHERE id IN ({', '.join('?' for _ in group)})", [first, *group]
            )
        return len(groups)

    def copies_of(self, url: str) -> list[dict[str, Any]]:
        """The other pages that are copies of the same work as ``url``."""
        return self.query(
            "SELECT p.url, p.title, p.published, p.sitename FROM pages p JOIN pages me ON me.work_id = p.work_id"
            " WHERE me.url = ? AND p.url != ? ORDER BY p.published, p.url",
            [url, url],
        )

    # -- reading ---------------------------------------------------------

    def query(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> list[dict[str, Any]]:
        """The rows of a SELECT, as dicts (a repeated column name gets
        sqlite-utils' ``_2``). Not ``db.query``: its savepoint around every
        read makes FTS5 write its pending rows, a segment per page indexed."""
        cursor = self.db.conn.execute(sql, params)
        keys = dedupe_keys(d[0] for d in cursor.description)
        return [dict(zip(keys, row)) for row in cursor]

    def page(self, url: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM pages WHERE url = ?", [url])
        return rows[0] if rows else None

    def record_urls(self, urls: Iterable[str]) -> dict[str, str]:
        """The URL the WARC record of each page's newest capture names, for
        the pages of ``urls`` where it is not the page's canonical URL (an
        import of another tool's crawl): the URL replay finds it by."""
        urls = list(dict.fromkeys(urls))
        found: dict[str, str] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            found.update(self.db.execute(
                "SELECT p.url, c.target_uri FROM pages p JOIN captures c ON c.id = p.capture_id"
                f" WHERE c.target_uri IS NOT NULL AND p.url IN ({', '.join('?' for _ in chunk)})",
                chunk,
            ).fetchall())
        return found

    def captures_of(self, url: str) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM captures WHERE url = ? ORDER BY captured_at, id", [url])

    def capture(self, record_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM captures WHERE record_id = ?", [record_id])
        return rows[0] if rows else None

    def counts(self) -> dict[str, int]:
        return {
            table: self.db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
            for table in ("warc_files", "captures", "pages", "page_versions", "page_events")
        }

