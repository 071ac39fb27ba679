"""UTC timestamps in milliseconds, the only time representation the daemon stores."""

import time
from datetime import UTC, datetime

DAY_MS = 86_400_000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def day_start(timestamp_ms: int) -> int:
    """The start of the UTC day that holds the timestamp."""
    return timestamp_ms - timestamp_ms % DAY_MS


def iso_ms(timestamp_ms: int) -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2025-01-01T00:00:00.000Z``."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{timestamp_ms % 1000:03d}Z"


def human_date(timestamp_ms: int) -> str:
    """The date as progress messages print it, e.g. ``Dec 27, 2017`` (UTC)."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return f"{moment.strftime('%b')} {moment.day:02d}, {moment.year}"


def utc_text(timestamp_ms: int) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC, the CSV export form."""
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
