"""What a task is: its description, priority and trigger, and the function that does the work."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from privatefolio_daemon.relayer.cancellation import CancelToken
    from privatefolio_daemon.relayer.progress import TaskProgress

Trigger = Literal["system", "user", "cron", "side-effect"]
TRIGGERS: tuple[str, ...] = ("system", "user", "cron", "side-effect")


class Priority(IntEnum):
    LOWEST = 1
    VERY_LOW = 2
    LOW = 3
    MEDIUM_LOW = 4
    MEDIUM = 5
    MEDIUM_HIGH = 6
    HIGH = 7
    VERY_HIGH = 8
    HIGHEST = 9


TaskFunction = Callable[["TaskProgress", "CancelToken"], Coroutine[Any, Any, Any]]
CompletionCallback = Callable[[str | None], Any]


@dataclass(frozen=True, slots=True)
class Conclusion:
    """What a task function may return: the last line of its completed run's log, written even
    when the log is full (a price fetch's summary of the assets that failed)."""

    line: str


def concluding(line: str | None) -> Conclusion | None:
    return None if line is None else Conclusion(line)


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    description: str
    priority: int
    function: TaskFunction
    trigger: Trigger = "user"
    determinate: bool = False
    group_id: str | None = None
    on_completion: CompletionCallback | None = None
    deduplicate: bool = True
    """False: never merged with a queued task of the same name, nor one merged into it (a caller
    waits for this task's own result)."""
    merge_key: str | None = None
    """What else a queued task of the same name must share to be merged: the file an import
    reads, say, so that imports of two files both named ``export.csv`` both run."""
