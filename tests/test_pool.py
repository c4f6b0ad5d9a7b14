"""The extraction pool keeps each page's failure to that page: a dead
worker, a page that never ends, an exception; the other pages go on."""

from __future__ import annotations

import pytest

from archive.extract.job import JobFailed
from archive.index import pool as pool_module
from archive.index.pool import ExtractionPool
from tests.pooljobs import job


def outcomes(pool: ExtractionPool) -> dict:
    found: dict = {}
    pool.drain(lambda key, outcome: found.__setitem__(key, outcome))
    return found


def test_a_page_that_kills_its_worker_twice_is_failed_and_the_rest_extracted():
    pool = ExtractionPool(2, page_timeout=30, job=job)
    try:
        for number in range(12):
            pool.submit(number, ("crash" if number == 5 else "ok", number))
        found = outcomes(pool)
    finally:
        pool.close()
    assert {key: value for key, value in found.items() if key != 5} == {n: n * 2 for n in range(12) if n != 5}
    assert isinstance(found[5], JobFailed) and "died twice" in found[5].reason
    assert pool.restarts == 2  # once with the others, once alone: never a third time


def test_a_worker_killed_while_it_writes_its_result_does_not_hang_the_pool():
    """Half a message in the results pipe left concurrent.futures' manager
    thread waiting for the rest, forever: the run hung (1 CI run in 3)."""
    pool = ExtractionPool(2, page_timeout=30, job=job)
    try:
        for number in range(6):
            pool.submit(number, ("die-writing" if number == 2 else "ok", number))
        found = outcomes(pool)
    finally:
        pool.close()
    assert {key: value for key, value in found.items() if key != 2} == {n: n * 2 for n in range(6) if n != 2}
    assert isinstance(found[2], JobFailed) and "died twice" in found[2].reason


def test_an_exception_is_the_pages_failure():
    pool = ExtractionPool(0, job=job)
    pool.submit("a", ("raise", 1))
    pool.submit("b", ("ok", 2))
    found = outcomes(pool)
    assert found["b"] == 4 and found["a"] == JobFailed("ValueError: page 1 is odd")


def test_a_worker_that_never_comes_back_is_stopped(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pool_module, "HARD_GRACE", 0.5)
    pool = ExtractionPool(1, page_timeout=0.5, job=job)
    try:
        pool.submit("stuck", ("hang", 0))
        pool.submit("next", ("ok", 21))
        found = outcomes(pool)
    finally:
        pool.close()
    assert found["next"] == 42
    assert isinstance(found["stuck"], JobFailed) and "timeout" in found["stuck"].reason


def test_the_interval_timer_ends_a_slow_extraction():
    from archive.extract.job import run_job

    big = b"<html><body><table>" + b"<tr><td>cell</td><td>value</td></tr>" * 300_000 + b"</table></body></html>"
    outcome = run_job(0.2, big, "https://example.org/tables", "text/html; charset=utf-8", None)
    assert outcome == JobFailed("timeout after 0.2 s")
