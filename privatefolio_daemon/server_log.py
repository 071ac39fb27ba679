"""The server log: JSON lines in ``<data>/server-logs/YYYY-MM-DD.log`` (UTC), one file a day.

A ``logging`` handler writes the lines; ``query_server_logs`` pages through one day's file for
the frontend's log viewer.
"""

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

RETENTION_DAYS = 30


def day_file(directory: Path, when: datetime) -> Path:
    return directory / f"{when.strftime('%Y-%m-%d')}.log"


class ServerLogHandler(logging.Handler):
    """Writes each record as one JSON line; tells ``on_write`` (at most once a second)."""

    def __init__(self, directory: Path, on_write: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.directory = directory
        self._on_write = on_write
        self._file: IO[str] | None = None
        self._path: Path | None = None
        self._last_notice = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            moment = datetime.fromtimestamp(record.created, tz=UTC)
            path = day_file(self.directory, moment)
            if path != self._path:
                self._open(path)
            assert self._file is not None
            properties: dict[str, Any] = dict(getattr(record, "properties", {}))
            entry: dict[str, Any] = {
                "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "level": record.levelname.lower(),
                "message": record.getMessage(),
                "categories": [record.name],
                "properties": properties,
            }
            if record.exc_info:
                properties["error"] = self.format(record)
            self._file.write(orjson.dumps(entry).decode() + "\n")
            self._file.flush()
            now = time.monotonic()
            if self._on_write is not None and now - self._last_notice >= 1.0:
                self._last_notice = now
                self._on_write()
        except Exception:
            self.handleError(record)

    def _open(self, path: Path) -> None:
        if self._file is not None:
            self._file.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._path = path

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()


def remove_old_logs(directory: Path, keep_days: int = RETENTION_DAYS) -> int:
    """Delete day files older than ``keep_days``; returns how many went."""
    cutoff = time.time() - keep_days * 86_400
    removed = 0
    for path in directory.glob("*.log"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def query_server_logs(
    directory: Path,
    *,
    level: str | None,
    search: str | None,
    rows_per_page: int,
    page: int,
    order: str,
    order_by: str,
    date: str,
) -> tuple[list[dict[str, Any]], int]:
    path = directory / f"{date}.log"
    if not path.is_file():
        return [], 0
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(entry, dict):
                continue
            if level and entry.get("level") != level.lower():
                continue
            if search and search.lower() not in str(entry.get("message", "")).lower():
                continue
            rows.append({"id": f"{date}_row{index}", **entry})
    key = "level" if order_by == "level" else "timestamp"
    rows.sort(key=lambda row: str(row.get(key, "")), reverse=order == "desc")
    start = page * rows_per_page
    return rows[start : start + rows_per_page], len(rows)
