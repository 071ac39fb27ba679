"""Progress of a running task: lines in its log file, and events for subscribers.

A line is ``<ISO time with ms> <JSON of [percent, message]>``, at most 1000 per task run, and
then, for a run that did not complete, one last line that says why (``[null, "Error: ..."]``),
or the one a completed run concludes with (``task_types.Conclusion``).
"""

import itertools
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import orjson

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.timeutil import iso_ms, now_ms

MAX_LINES = 1000

log = logging.getLogger(__name__)


class TaskProgress:
    def __init__(self, log_path: Path, task_id: int, account: str, events: EventBus) -> None:
        self.task_id = task_id
        self._path = log_path
        self._account = account
        self._events = events
        self._file: IO[str] | None = None
        self._lines = 0
        self._closed = False
        self._file_released = False
        self.last_percent: float | None = None

    def __call__(self, percent: float | None = None, message: str | None = None) -> None:
        """Report progress: a percentage (0–100, may be fractional), a message, or both."""
        if percent is not None:
            self.last_percent = percent
        if self.accepting:
            self._write(progress_update(percent, message))

    def conclude(self, outcome: str) -> None:
        """The run's last line, ``[null, outcome]``: written even after ``MAX_LINES``."""
        self._write(progress_update(None, outcome))

    def _write(self, update: list[Any]) -> None:
        line = f"{iso_ms(now_ms())} {orjson.dumps(update).decode()}\n"
        if not self._file_released:
            try:
                self._append(line)
            except OSError as error:  # a full disk, say: the task goes on, its log does not
                log.warning(
                    "Could not write the log of task %d (%s): %s; its progress now reaches "
                    "subscribers only",
                    self.task_id,
                    self._path,
                    error,
                )
                self.release_file()
        self._lines += 1
        self._events.emit("server-task-progress", self.task_id, line, account=self._account)

    def _append(self, line: str) -> None:
        if self._file is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("a", encoding="utf-8")
        self._file.write(line)
        self._file.flush()

    @property
    def accepting(self) -> bool:
        """Whether the next update is written: a run keeps its first ``MAX_LINES`` lines, and a
        closed log (a task that did not stop when aborted) takes no more."""
        return not self._closed and self._lines < MAX_LINES

    def release_file(self) -> None:
        """Close the log file, whose directory may be moved; later lines reach subscribers only."""
        self._file_released = True
        self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.close()
            except OSError:  # its last lines could not be written; they were logged as lost
                log.warning("Could not close the log of task %d (%s)", self.task_id, self._path)

    def close(self) -> None:
        self._closed = True
        self._close_file()


def write_task_log(path: Path, lines: Iterable[tuple[int, float | None, str | None]]) -> None:
    """A whole log at once from ``(time, percent, message)`` lines, without events."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for written, percent, message in itertools.islice(lines, MAX_LINES):
            update = orjson.dumps(progress_update(percent, message)).decode()
            handle.write(f"{iso_ms(written)} {update}\n")


def progress_update(percent: float | None, message: str | None) -> list[Any]:
    """An update as a log line holds it: ``[]``, ``[percent]`` or ``[percent, message]``."""
    update: list[Any] = [] if percent is None and message is None else [percent]
    if message is not None:
        update.append(message)
    return update


def read_task_log(path: Path, max_chars: int) -> str:
    with path.open(encoding="utf-8") as handle:
        return handle.read(max_chars)
