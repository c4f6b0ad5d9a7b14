"""The index's tables and their columns (documented for archivists in the
README), and the schema version a reader expects; :class:`archive.index.store.Index`
creates and upgrades them."""

SCHEMA_VERSION = 5

CAPTURE_COLUMNS = {
    "id": int,
    "record_id": str,
    "url": str,
    "captured_at": str,
    "record_type": str,
    "status": int,
    "mime": str,
    "payload_digest": str,
    "warc_file": str,
    "offset": int,
    "length": int,
    "source": str,
    "role": str,
    "redirect_to": str,
    "refers_to": str,
    "refers_to_uri": str,
    "refers_to_date": str,
    "revisit_profile": str,
    "warc_date": str,
    "etag": str,
    "last_modified": str,
    "content_hash": str,
    "extraction_error": str,
    "target_uri": str,
    # a copy recovered from another web archive (a memento): the archive, the
    # memento's URL, the archive's digest, whether the body matched it
    "via": str,
    "memento_url": str,
    "archive_digest": str,
    "payload_check": str,
}
PAGE_COLUMNS = {
    "id": int,
    "url": str,
    "source": str,
    "title": str,
    "author": str,
    "authors": str,
    "published": str,
    "language": str,
    "text": str,
    "description": str,
    "sitename": str,
    "canonical_url": str,
    "word_count": int,
    "encoding": str,
    "extractor": str,
    "capture_id": int,
    "first_captured": str,
    "last_captured": str,
    "versions": int,
    "removed_at": str,
    "extraction_path": str,
    "comment_count": int,
    "comments_text": str,
    "fingerprint": bytes,
    "work_id": int,
    "search_key": int,
    "month": str,
}
#: The ``articles`` view: pages as an archivist browses them (the web UI).
ARTICLE_COLUMNS = (
    "id", "title", "url", "source", "language", "author", "published", "month", "word_count", "versions",
    "removed_at", "first_captured", "last_captured", "search_key", "text",
)
VERSION_COLUMNS = {
    "id": int,
    "url": str,
    "version": int,
    "record_id": str,
    "captured_at": str,
    "content_hash": str,
    "title": str,
    "author": str,
    "text": str,
    "diff": str,
    "words_added": int,
    "words_removed": int,
}
EVENT_COLUMNS = {
    "id": int,
    "url": str,
    "source": str,
    "event": str,
    "at": str,
    "record_id": str,
    "detail": str,
}
#: The archived extractions (archive/warc/derived.py): each page's conversion
#: and metadata records, by the response record they refer to.
DERIVED_COLUMNS = {
    "id": int,
    "record_id": str,
    "kind": str,
    "refers_to": str,
    "warc_file": str,
    "offset": int,
    "length": int,
    "extractor": str,
    "content_hash": str,
}
WARC_FILE_COLUMNS = {
    "name": str,
    "size": int,
    "records": int,
    "captures": int,
    "origin": str,
    "indexed_at": str,
    "sha1": str,
    "damage": str,
}
