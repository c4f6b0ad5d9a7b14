"""Extraction in worker processes, with each page's failure kept to the page.

trafilatura runs on pages nobody has vetted: one can raise, one can run for
a minute (a 10 MB page of tables), one can take its worker down (a C
library's crash, the OOM killer, a stray SIGKILL). None of that may stop
the run. So:

- an exception in a worker comes back as that page's
  :class:`~archive.extract.job.JobFailed`;
- a page gets ``page_timeout`` seconds (an interval timer in the worker);
  should the worker not come back even so, the parent kills the pool, the
  page is failed as timed out and the others are sent again;
- when a worker dies the pool is rebuilt and the pages that were with it
  are tried again one at a time, so that a page that kills its worker a
  second time is known for certain: it is failed, not tried a third time.

Workers ignore SIGINT (Ctrl-C is the main process's to handle, once) and
die with the main process, however it ends.

Workers are forked from a forkserver (a fresh interpreter the pool starts,
the process's one forkserver) that has imported :mod:`archive.extract.warm`:
libraries, models and dictionaries are loaded once and their pages shared by
every worker. Spawned workers loaded a copy each (133 MB a worker, 73 MB of
it py3langid's model), and forking the pool's owner would copy a crawl's
reactor, threads and open index into every worker. The workers end when the
pool's owner ends (each waits on its pidfd), and the forkserver once they
and the owner have gone (EOF on the pipe they hold).
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from typing import Any

from archive.extract.job import JobFailed, run_job, warm_up_job

logger = logging.getLogger(__name__)

DEFAULT_PAGE_TIMEOUT = 60.0
#: Past the page's own limit, how long the parent waits before killing the pool.
HARD_GRACE = 30.0
#: How long a worker may be dead before the pool is taken as broken without
#: concurrent.futures saying so (see ExtractionPool._reap).
DEAD_GRACE = 3.0
_PR_SET_PDEATHSIG = 1
#: What the forkserver imports before it forks the first worker.
PRELOAD = ["archive.extract.warm"]


def die_with_parent(parent: int) -> None:
    """Have this child process killed when ``parent`` ends, however it ends."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers end when their queue closes
        pass
    if os.getppid() != parent:  # it died while this process was starting: no signal will come
        os._exit(1)


def _started() -> None:
    """The job that makes the pool start a worker."""


def forget_inherited_forkserver() -> None:
    """In a process forked from one that had started its forkserver: that
    forkserver is the parent's, which this process can neither wait for nor
    keep alive. Forget it; this process's first pool starts its own."""
    server = forkserver._forkserver  # no public way: multiprocessing keeps one per process, never reset on fork
    if server._forkserver_pid is None:
        return
    if server._forkserver_alive_fd is not None:
        try:
            os.close(server._forkserver_alive_fd)
        except OSError:
            pass
    server.__init__()


def _die_with(owner: int) -> None:
    """End this worker as soon as ``owner`` (the pool's process) ends.

    Not through the forkserver, its parent: the forkserver ends when no
    process holds the pipe it watches, and every worker holds a copy."""
    try:
        pidfd = os.pidfd_open(owner)
    except ProcessLookupError:  # it died while this worker was being forked
        os._exit(1)

    def wait() -> None:
        select.select([pidfd], [], [])  # readable once the owner has ended
        os._exit(1)

    threading.Thread(target=wait, name="die-with-owner", daemon=True).start()


def _worker_init(owner: int, warm: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked from birth: see _children_deaf_to_ctrl_c
    die_with_parent(os.getppid())  # the forkserver: should it be killed, the pool starts another
    _die_with(owner)
    preloaded = sys.modules.get(PRELOAD[0])  # forked from the forkserver, which warmed up once for all
    if warm and not getattr(preloaded, "WARM", False):  # loaded before the first page's time limit starts
        try:
            warm_up_job()
        except Exception:  # noqa: BLE001 - the first page then pays for it, within its limit
            logger.debug("an extraction worker's warm-up failed", exc_info=True)


@contextmanager
def _children_deaf_to_ctrl_c() -> Iterator[None]:
    """Processes started in here inherit SIGINT blocked, from their first
    instruction (a worker ignores it, then unblocks it: :func:`_worker_init`):
    a Ctrl-C (SIGINT to the whole process group) while a worker is still
    importing would otherwise print its traceback. Blocked, not ignored, in
    this process: a Ctrl-C that comes meanwhile is held and delivered when
    the block ends, never lost (ignoring it here could lose the one Ctrl-C
    of an import: every page's job is handed over in here)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class ExtractionPool:
    """Jobs in, (key, outcome) out; an outcome is the job's result or a
    :class:`JobFailed`. ``workers == 0`` runs each job here, at once."""

    def __init__(
        self, workers: int, page_timeout: float = DEFAULT_PAGE_TIMEOUT, job: Callable[..., Any] = run_job
    ):
        self.workers = workers
        self.page_timeout = page_timeout
        #: ``job(page_timeout, *args)``, run in a worker: :func:`run_job` but in tests
        self.job = job
        self._executor: cf.ProcessPoolExecutor | None = None
        self._queue: deque[tuple[Hashable, tuple]] = deque()
        #: pages that were with a worker when it died: tried again alone
        self._suspects: deque[tuple[Hashable, tuple]] = deque()
        self._suspected: set[Hashable] = set()
        self._running: dict[cf.Future, tuple[Hashable, tuple]] = {}
        self._since: dict[cf.Future, float] = {}
        self._done: list[tuple[Hashable, Any]] = []
        self.restarts = 0
        #: since when a worker has been dead and the executor has not said it is broken
        self._dead_since: float | None = None

    def __len__(self) -> int:
        return len(self._queue) + len(self._suspects) + len(self._running) + len(self._done)

    def submit(self, key: Hashable, args: tuple) -> None:
        if self.workers == 0:
            self._done.append((key, self.job(self.page_timeout, *args, use_timer=False)))
            return
        self._queue.append((key, args))
        self._pump()

    def warm_up(self) -> None:
        """Start the workers now (each loads its libraries on a small page as it starts)."""
        if self.workers:
            executor = self._get_executor()
            for _ in range(self.workers):  # the pool starts one worker per job waiting
                with _children_deaf_to_ctrl_c():
                    executor.submit(_started)

    def collect(self, *, block: bool) -> list[tuple[Hashable, Any]]:
        """The outcomes ready now; with ``block``, wait for at least one
        (when any job is out)."""
        while True:
            self._reap()
            if self._done or not block or not (self._running or self._queue or self._suspects):
                done, self._done = self._done, []
                return done
            cf.wait(list(self._running), timeout=1.0, return_when=cf.FIRST_COMPLETED)

    def drain(self, on_outcome: Callable[[Hashable, Any], None]) -> None:
        while len(self):
            for key, outcome in self.collect(block=True):
                on_outcome(key, outcome)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def kill(self) -> None:
        """Stop at once: the workers are killed, what they held is dropped."""
        self._queue.clear()
        self._suspects.clear()
        self._running.clear()
        self._kill_executor()

    # -- internals -------------------------------------------------------

    def _get_executor(self) -> cf.ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)  # read when the forkserver starts (with the first worker)
            self._executor = cf.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context,
                initializer=_worker_init, initargs=(os.getpid(), self.job is run_job),
            )
        return self._executor

    def _pump(self) -> None:
        """Keep the workers busy: a suspect goes alone, others two a worker."""
        if self._suspects:
            if not self._running:
                self._send(*self._suspects.popleft())
            return
        while self._queue and len(self._running) < 2 * self.workers:
            self._send(*self._queue.popleft())

    def _send(self, key: Hashable, args: tuple) -> None:
        with _children_deaf_to_ctrl_c():  # the pool may start a worker here
            future = self._get_executor().submit(self.job, self.page_timeout, *args)
        self._running[future] = (key, args)

    def _reap(self) -> None:
        now = time.monotonic()
        broken = False
        for future in [f for f in self._running if f.done()]:
            key, args = self._running.pop(future)
            self._since.pop(future, None)
            try:
                self._done.append((key, future.result()))
            except BrokenProcessPool:
                broken = True
                self._running[future] = (key, args)  # dealt with below, with the others
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - an odd result's pickling, a timer that fired late: the page's
                self._done.append((key, JobFailed(f"{type(exc).__name__}: {exc}" if str(exc) else "timeout")))
        if not broken and self._a_worker_is_dead():
            # A worker killed while it wrote its result leaves half a message in
            # the pipe all workers share: concurrent.futures' manager thread then
            # waits in recv() for the rest, forever, and never sees the death.
            self._dead_since = self._dead_since or now
            broken = now - self._dead_since > DEAD_GRACE
        if broken:
            self._worker_died()
        else:
            for future in self._running:
                if future.running():
                    started = self._since.setdefault(future, now)
                    # it may have waited in the worker's queue behind one page first
                    if now - started > 2 * self.page_timeout + HARD_GRACE:
                        self._hung(future)
                        break
        self._pump()

    def _worker_died(self) -> None:
        lost = list(self._running.values())
        self._running.clear()
        self._since.clear()
        self._kill_executor()
        self.restarts += 1
        for key, args in lost:
            if key in self._suspected and len(lost) == 1:
                self._done.append((key, JobFailed("its extraction worker died twice (crash or killed)")))
                continue
            self._suspected.add(key)
            self._suspects.append((key, args))
        logger.warning("an extraction worker died; %d page(s) it may have held are tried again, one at a time", len(lost))

    def _hung(self, culprit: cf.Future) -> None:
        key, _ = self._running.pop(culprit)
        self._done.append((key, JobFailed(f"timeout after {self.page_timeout:g} s (the worker was stopped)")))
        others = list(self._running.values())
        self._running.clear()
        self._since.clear()
        self._kill_executor()
        self.restarts += 1
        self._queue.extendleft(reversed(others))

    def _a_worker_is_dead(self) -> bool:
        processes = list((getattr(self._executor, "_processes", None) or {}).values())  # no public way before 3.14
        # a sentinel is readable once its process has ended (waited on, not read)
        return bool(processes) and bool(multiprocessing.connection.wait([p.sentinel for p in processes], 0))

    def _kill_executor(self) -> None:
        executor, self._executor = self._executor, None
        self._dead_since = None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())  # no public way before Python 3.14
        for process in processes:
            if process.is_alive():
                process.kill()
        # With every worker dead, this process holds the last write end of the
        # results pipe: closed, a manager thread stuck on half a message gets
        # EOF, takes the pool as broken and ends (it would hang shutdown, and
        # the interpreter's exit, which joins it).
        writer = getattr(getattr(executor, "_result_queue", None), "_writer", None)
        if writer is not None:
            writer.close()
        executor.shutdown(wait=False, cancel_futures=True)
        manager = getattr(executor, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(HARD_GRACE)
