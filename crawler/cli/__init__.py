"""The `mediarchive` command: a thin layer over `archive/` and `crawler/`.

Exit codes: 0 success; 1 some work failed (a source, a file, a lookup);
2 bad usage or an invalid sources file; 3 another command holds the data
directory; 130 and 143 after Ctrl-C and SIGTERM. Errors users can cause are
printed as one line on standard error, never as a traceback.

Each module holds a group of commands, each a thin call into the library.
"""

from crawler.cli.base import main
from crawler.cli import add, changes, crawl, export, ingest, init, read, recover, serve, verify  # noqa: F401  (they register their commands)

__all__ = ["main"]
