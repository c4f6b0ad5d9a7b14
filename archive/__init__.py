"""mediarchive's library: WARC I/O, extraction, the SQLite index and search.

Never imports Scrapy: the crawler (``crawler/``) uses this package, not the
other way round.
"""

__version__ = "0.1.0"
