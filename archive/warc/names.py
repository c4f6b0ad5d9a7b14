"""What the name of a file under ``DATA/warcs/`` says: whether it is a WARC
(or ARC) file, and for a file written by another tool, under which source
it was imported."""

from __future__ import annotations

WARC_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")

#: Files written by other tools are kept under ``warcs/imported/<source>/``.
IMPORTED_DIR = "imported"
UNSORTED = "_unsorted"


def is_warc_name(name: str) -> bool:
    return name.endswith(WARC_SUFFIXES)


def import_source(name: str) -> str | None:
    """The source an imported file was given (its folder), if any."""
    parts = name.split("/")
    if len(parts) >= 3 and parts[0] == IMPORTED_DIR and parts[1] != UNSORTED:
        return parts[1]
    return None


def file_origin(name: str) -> str:
    return "import" if name.startswith(IMPORTED_DIR + "/") else "crawl"
