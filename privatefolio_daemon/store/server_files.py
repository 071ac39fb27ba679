"""SQL of the ``server_files`` table."""

import sqlite3
from typing import Any

import orjson

COLUMNS = (
    "id",
    "name",
    "description",
    "scheduledAt",
    "status",
    "progress",
    "startedAt",
    "completedAt",
    "deletedAt",
    "metadata",
    "createdBy",
)


def file_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    record = {
        column: value for column, value in zip(COLUMNS, row, strict=False) if value is not None
    }
    metadata = record.get("metadata")
    record["metadata"] = orjson.loads(metadata) if isinstance(metadata, str) else {}
    return record


def insert_file(connection: sqlite3.Connection, record: dict[str, Any]) -> int:
    values = {column: record.get(column) for column in COLUMNS if column != "id"}
    values["metadata"] = orjson.dumps(record.get("metadata") or {}).decode()
    values["status"] = values["status"] or "scheduled"
    columns = list(values)
    if record.get("id") is not None:
        columns.insert(0, "id")
        values = {"id": record["id"], **values}
    cursor = connection.execute(
        f"INSERT OR REPLACE INTO server_files ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})",
        [values[column] for column in columns],
    )
    return int(cursor.lastrowid or 0)


def patch_file(connection: sqlite3.Connection, file_id: int, **fields: Any) -> None:
    if "metadata" in fields:
        fields["metadata"] = orjson.dumps(fields["metadata"]).decode()
    assignments = ", ".join(f"{column} = ?" for column in fields if column in COLUMNS)
    connection.execute(
        f"UPDATE server_files SET {assignments} WHERE id = ?", (*fields.values(), file_id)
    )


def select_file(connection: sqlite3.Connection, file_id: int) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = connection.execute(
        "SELECT * FROM server_files WHERE id = ?", (file_id,)
    ).fetchone()
    return row


def claim_for_upload(connection: sqlite3.Connection, file_id: int, started_at: int) -> bool:
    """Mark the file ``uploading`` if it waits for its bytes; False if it does not (any more)."""
    cursor = connection.execute(
        "UPDATE server_files SET status = 'uploading', startedAt = ?, progress = 0 "
        "WHERE id = ? AND status IN ('scheduled', 'aborted')",
        (started_at, file_id),
    )
    return cursor.rowcount == 1


def abort_uploading(connection: sqlite3.Connection, completed_at: int) -> int:
    """Uploads that a stop or a crash cut off are aborted, so they can be sent again."""
    cursor = connection.execute(
        "UPDATE server_files SET status = 'aborted', completedAt = ? WHERE status = 'uploading'",
        (completed_at,),
    )
    return cursor.rowcount


def abort_creating(connection: sqlite3.Connection, completed_at: int) -> list[int]:
    """Files the daemon was making (exports, backups) when a stop or a crash cut it off are
    aborted, as cut-off uploads are; returns their ids."""
    rows = connection.execute(
        "UPDATE server_files SET status = 'aborted', completedAt = ? WHERE status = 'creating' "
        "RETURNING id",
        (completed_at,),
    ).fetchall()
    return [int(row[0]) for row in rows]
