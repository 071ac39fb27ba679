"""SQL of task-history retention: which finished ``server_tasks`` rows have expired, and their
deletion. The rule that picks the cutoff lives in ``relayer/task_history.py``."""

import sqlite3

import orjson

FINISHED_STATUSES = ("completed", "failed", "aborted", "cancelled")

_FINISHED = "(" + ", ".join(f"'{status}'" for status in FINISHED_STATUSES) + ")"

#: Tasks an unread notification tells of (a failed cron, say): the user may still open them.
_TOLD_UNREAD = (
    "SELECT json_extract(metadata, '$.taskId') FROM notifications "
    "WHERE status = 0 AND json_valid(metadata) AND json_extract(metadata, '$.taskId') IS NOT NULL"
)

# ``+status`` keeps the planner off the status index: walking the rowid from the oldest task
# finds the expired ones first and needs no sort.
_EXPIRED_WHERE = (
    f"+status IN {_FINISHED} AND COALESCE(completedAt, startedAt, createdAt) < ? AND id < ? "
    f"AND id NOT IN ({_TOLD_UNREAD})"
)


def _first_kept_id(connection: sqlite3.Connection, keep_newest: int) -> int:
    """The lowest id among the newest ``keep_newest`` finished tasks: only ids below it may
    expire."""
    if keep_newest <= 0:
        return 2**63 - 1
    row = connection.execute(
        f"SELECT id FROM server_tasks WHERE +status IN {_FINISHED} "
        "ORDER BY id DESC LIMIT 1 OFFSET ?",
        (keep_newest - 1,),
    ).fetchone()
    return 0 if row is None else int(row[0])


def expired_task_ids(
    connection: sqlite3.Connection,
    *,
    ended_before: int,
    keep_newest: int,
    after_id: int,
    limit: int,
) -> list[int]:
    """Up to ``limit`` ids after ``after_id`` of finished tasks that ended before
    ``ended_before`` (ms), oldest first, leaving out the newest ``keep_newest`` finished tasks."""
    first_kept = _first_kept_id(connection, keep_newest)
    rows = connection.execute(
        f"SELECT id FROM server_tasks WHERE {_EXPIRED_WHERE} AND id > ? ORDER BY id LIMIT ?",
        (ended_before, first_kept, after_id, limit),
    ).fetchall()
    return [int(row[0]) for row in rows]


def count_expired_tasks(
    connection: sqlite3.Connection, *, ended_before: int, keep_newest: int
) -> int:
    first_kept = _first_kept_id(connection, keep_newest)
    row = connection.execute(
        f"SELECT COUNT(*) FROM server_tasks WHERE {_EXPIRED_WHERE}", (ended_before, first_kept)
    ).fetchone()
    return int(row[0])


def delete_finished_tasks(connection: sqlite3.Connection, task_ids: list[int]) -> int:
    """Delete these tasks, if finished (a queued or running task is never deleted); returns how
    many went."""
    cursor = connection.execute(
        f"DELETE FROM server_tasks WHERE status IN {_FINISHED} "
        "AND id IN (SELECT value FROM json_each(?))",
        (orjson.dumps(task_ids).decode(),),
    )
    return cursor.rowcount
