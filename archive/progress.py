"""How long work says how it goes: lines of news, and how far along a
counted task is.

The library's long loops (indexing, importing, auditing, exporting) take a
``progress``: any callable taking a line, such as ``print`` or a logger's
``info``. When it is a :class:`Progress`, they also open counted tasks on
it (:func:`task_of`), which the CLI draws as bars on a terminal; a plain
callable gets the lines only, and a task that counts nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Task:
    """A counted step of long work: ``total`` units (bytes, records, pages).
    This one counts for no one: :meth:`Progress.task` gives one that shows."""

    def advance(self, amount: float = 1) -> None:
        """``amount`` more units done."""

    def update(self, completed: float) -> None:
        """``completed`` units done in all."""

    def close(self) -> None:
        """The step is over (done, or given up)."""

    def __enter__(self) -> Task:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Progress:
    """Where long work tells of itself; this one says and shows nothing."""

    def __call__(self, message: str) -> None:
        """A line of news."""

    def task(self, label: str, total: float, unit: str = "") -> Task:
        """A counted step, ``total`` ``unit`` long (``"bytes"`` or a name, such as ``"rows"``)."""
        return Task()


def task_of(progress: Callable[[str], None] | Any, label: str, total: float, unit: str = "") -> Task:
    """``progress``'s task when it counts (a :class:`Progress`), else one that counts nothing."""
    if isinstance(progress, Progress):
        return progress.task(label, total, unit)
    return Task()
