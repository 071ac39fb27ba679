"""UTC timestamps in milliseconds, the only time representation the daemon stores."""

import time
from datetime import UTC, datetime

DAY_MS = 86_400_000
#: The times a client may ask about: the years 1 to 9999, which dates can print.
EARLIEST_MS, LATEST_MS = -62_135_596_800_000, 253_402_300_799_999


LATEST_TIMESTAMP = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z, the last moment a date can show."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def client_ms(value: float) -> int:
    """A time in ms that a client sent, held to the years 1 to 9999 (a bound beyond them selects
    the same rows)."""
    return min(max(int(value), EARLIEST_MS), LATEST_MS)


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
