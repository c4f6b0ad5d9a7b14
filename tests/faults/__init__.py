"""The fault suite: each test reproduces a way a real run was seen to fail
(a real page, a dying worker, a concurrent command, a full disk, a broken
file, a signal) and checks that the failure stays with what it belongs to.

Issue 11's "what was seen", item by item:

0. a real page stops an import: test_import_faults (the 257 fundus pages),
   and tests/test_extract.py (the microdata date with no value)
1. a record with an impossible date: test_import_faults (clueweb, all of realdata/warc)
2. a dying worker, a killed import, a page without end: test_import_faults, tests/test_pool.py
3. reindex and import take the lock: test_concurrent_commands
4. readers never rewrite the index: test_concurrent_commands
5. the UI during a crawl: test_ui_during_crawl
6. a stopped run's frontier: tests/test_crash_resume.py (304 feed and
   listing after max_pages; SIGKILL at five moments, main process alone too)
7. a full disk: test_resources, tests/test_warcwriter.py
8. a damaged index: test_broken_files
9. a truncated WARC: test_broken_files, tests/test_import.py
10. a file that is not an archive: test_broken_files
11. Ctrl-C, SIGTERM, SIGKILL of the main process: test_signals
12. nothing listening: test_listening
"""
