"""Importing this module loads everything an extraction job needs.

It is the extraction pool's forkserver preload (see
:mod:`archive.index.pool`): the forkserver imports it once, so that
trafilatura, lxml, the date parsers, py3langid's model and simplemma's
dictionaries are in memory before any worker is forked from it. Each worker
then shares those pages with the others instead of loading its own copy
(py3langid's model alone is 73 MB a process).
"""

from __future__ import annotations

import gc
import logging

from archive.extract.job import warm_up_job

try:
    WARM = warm_up_job()
except Exception:  # noqa: BLE001 - the forkserver must start anyway: each worker then warms up alone
    logging.getLogger(__name__).debug("the extraction preload's warm-up failed", exc_info=True)
    WARM = False

# What is loaded now stays as it is in every worker: out of the collector's
# reach, its pages are not written to (and so copied) by each worker's
# garbage collection (the Python documentation's advice for forking servers).
gc.freeze()
