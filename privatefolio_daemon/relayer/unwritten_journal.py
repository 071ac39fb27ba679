"""A file that names the task rows handed to a busy writer until it has written them.

A task queued while the account's writer is busy has its id at once and its row once the writer
is free (decision 0018). Should the process die in between, the next start writes the rows this
file holds, and restart recovery ends them as it ends any queued task ("Server restarted."): the
id the caller holds then names that task, and is never given to another. One JSON array per line,
a row in column order; the last line for an id is its latest state. The file goes once every row
it names is written.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import orjson

from privatefolio_daemon.store.database import Row

log = logging.getLogger(__name__)

JOURNAL_NAME = "unwritten_tasks.jsonl"


class UnwrittenJournal:
    def __init__(self, logs_dir: Path) -> None:
        self.path = logs_dir / JOURNAL_NAME

    def note(self, rows: Sequence[Row]) -> None:
        """Add ``rows``; a failure is logged (the rows are still written, unless the process
        dies first)."""
        lines = b"".join(orjson.dumps(row) + b"\n" for row in rows)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as journal:
                journal.write(lines)
        except OSError:
            log.exception("Could not note %d unwritten task rows in %s", len(rows), self.path)

    def read(self) -> list[Row]:
        """The latest state of each row named, in the order first named; a line cut short (the
        process died while writing it) is left out."""
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError:
            log.exception("Could not read %s", self.path)
            return []
        rows: dict[object, Row] = {}
        for line in text.splitlines():
            try:
                row = tuple(orjson.loads(line))
            except orjson.JSONDecodeError:
                log.warning("Skipped a line cut short in %s", self.path)
                continue
            rows[row[0]] = row
        return list(rows.values())

    def clear(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            log.exception("Could not remove %s", self.path)
