"""Cooperative cancellation that ``except Exception`` cannot swallow.

A cancelled task sees ``TaskAborted`` (a ``BaseException``) at its next checkpoint, and a long
SQL statement it runs through ``guard_sql`` is interrupted by SQLite's progress handler.
"""

import sqlite3
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TaskAborted(BaseException):
    """The task was asked to stop; the message says why."""


class TaskHandedOff(Exception):
    """Raised by a task whose work goes on outside the queue after the queue stopped it (a
    restore, which closes its own account): its row is deleted, since the work records its own
    end, and its progress keeps reaching subscribers, without a last "aborted" line."""


class CancelToken:
    __slots__ = ("reason",)

    def __init__(self) -> None:
        self.reason: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def cancel(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason

    def checkpoint(self) -> None:
        """Raise ``TaskAborted`` if the task was cancelled. Call it at page boundaries."""
        if self.reason is not None:
            raise TaskAborted(self.reason)

    def guard_sql(
        self, function: Callable[[sqlite3.Connection], T]
    ) -> Callable[[sqlite3.Connection], T]:
        """Wrap a database function so a cancellation interrupts its running statement."""

        def guarded(connection: sqlite3.Connection) -> T:
            connection.set_progress_handler(lambda: int(self.reason is not None), 100_000)
            try:
                return function(connection)
            except sqlite3.OperationalError as error:
                if self.reason is not None and "interrupted" in str(error):
                    raise TaskAborted(self.reason) from error
                raise
            finally:
                connection.set_progress_handler(None, 0)

        return guarded
