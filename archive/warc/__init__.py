"""WARC files, the archive's source of truth: writing them in rolling
segments, reading their records, mending a file a crash left open, the CDXJ
index that replay tools read, and WACZ packages."""
