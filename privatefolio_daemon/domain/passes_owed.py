"""Auto-merge and spam detection owed after new audit logs, kept across a stop.

Both passes follow an import or a sync a moment later, as side effects. A stop in between, or
while they wait in the queue, would lose them: a start runs the refresh chain only. So a change
that creates audit logs marks both passes owed, in the write that lowers the cursors; a pass
that ran takes its mark off in its own write, unless a later change marked it again meanwhile.
"""

import sqlite3

from privatefolio_daemon.domain.derived_steps import AUTO_MERGE, DETECT_SPAM
from privatefolio_daemon.store.key_value import read_value, write_value

#: Each pass's mark: a count of the changes that made it owed, so that a pass takes off only
#: the mark it saw when it started.
OWED_KEYS = {AUTO_MERGE: "autoMergeOwed", DETECT_SPAM: "spamDetectionOwed"}


def mark_passes_owed(connection: sqlite3.Connection) -> None:
    for key in OWED_KEYS.values():
        write_value(connection, key, int(read_value(connection, key) or 0) + 1)


def owed_mark(connection: sqlite3.Connection, step: str) -> int | None:
    """The mark of ``step`` as its run starts: None when it is not owed."""
    value = read_value(connection, OWED_KEYS[step])
    return None if value is None else int(value)


def settle_pass(connection: sqlite3.Connection, step: str, seen: int | None) -> None:
    """Take off the mark ``step`` saw at its start, if no change has raised it since."""
    if seen is not None:
        connection.execute(
            "DELETE FROM key_value WHERE key = ? AND value = ?", (OWED_KEYS[step], seen)
        )


def owed_passes(connection: sqlite3.Connection) -> list[str]:
    """The passes owed, in the order they run (auto-merge first)."""
    return [step for step, key in OWED_KEYS.items() if read_value(connection, key) is not None]
