"""The SQLite index derived from the WARC files: its schema and store, the
one way data comes in (ingest: lock, index files, finish, report), the
history of each article, the crawl's re-check schedule and frontier, and
the runs' reports."""
