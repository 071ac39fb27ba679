"""Date-time texts of the CSV formats, read as UTC milliseconds (file-formats §1.2).

A wall-clock text without an offset is UTC; fractions of a second are dropped. Parsing is on the
hot path of every import, so the common ``YYYY-MM-DD HH:MM:SS`` shape is read from three tables:
the days already parsed, and every valid ``HH:MM`` and ``SS`` (a text not in them is not valid).
"""

import calendar
import re
import time
from datetime import datetime, timedelta

from privatefolio_daemon.sources.importers.base import ImportFormatError

_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000
_day_cache: dict[str, int] = {}
_DAY_CACHE_LIMIT = 100_000

_ISO_LIKE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?Z?", re.ASCII
)
_US_DATE_TIME = re.compile(
    r"\s*(\d{1,2})/(\d{1,2})/(\d{4}),?\s+(\d{1,2}):(\d{2}):(\d{2})\s*([AaPp][Mm])\s*", re.ASCII
)
_DOTTED_DATE_TIME = re.compile(r"(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})", re.ASCII)
_DATE_ONLY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_HOUR_MINUTE_MS = {f"{h:02d}:{m:02d}": (h * 60 + m) * 60_000 for h in range(24) for m in range(60)}
_SECOND_MS = {f"{s:02d}": s * 1000 for s in range(60)}
# The shapes an error names when a text is not of its column's shape.
_UTC_DATETIME = "YYYY-MM-DD HH:MM:SS"
_UTC_DATE = "YYYY-MM-DD"
_US_DATETIME = "M/D/YYYY h:mm:ss AM or PM"
_DOTTED_DATETIME = "DD.MM.YYYY HH:MM:SS"
_UNIX_SECONDS = "whole seconds since 1970"


def timestamp_error(detail: str, column: str | None) -> ImportFormatError:
    """``Invalid timestamp in column "<column>": <detail>``."""
    where = f' in column "{column}"' if column else ""
    return ImportFormatError(f"Invalid timestamp{where}: {detail}", column=column)


def invalid_timestamp(
    text: str, column: str | None = None, expected: str | None = None
) -> ImportFormatError:
    """``expected`` names the shape of the column when the text is not of it (a spreadsheet that
    rewrote the dates, say); a text of that shape is an impossible date or time."""
    reason = f"expected {expected}" if expected else "there is no such date or time"
    return timestamp_error(f"{text} ({reason})", column)


def _days_from_civil(year: int, month: int, day: int) -> int:
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _civil_day_ms(year: int, month: int, day: int) -> int | None:
    """Midnight UTC of the date, whenever it is, or None when there is no such date."""
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return _days_from_civil(year, month, day) * _DAY_MS


def _day_ms(year: int, month: int, day: int, column: str | None) -> int | None:
    midnight = _civil_day_ms(year, month, day)
    if midnight is None:
        return None
    return _in_span(midnight, f"{year:04d}-{month:02d}-{day:02d}", column)


def _in_span(timestamp: int, text: str, column: str | None) -> int:
    """``timestamp`` if it is from 1970 on and at most a day ahead of now (a typo otherwise)."""
    if timestamp < 0:
        raise timestamp_error(f"{text} is before 1970", column)
    if timestamp > time.time() * 1000 + _DAY_MS:
        raise timestamp_error(f"{text} is in the future", column)
    return timestamp


def _time_ms(hours: int, minutes: int, seconds: int) -> int | None:
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return (hours * 3600 + minutes * 60 + seconds) * 1000


def _cached_day_ms(date_text: str, column: str | None) -> int | None:
    day = _day_cache.get(date_text)
    if day is None:
        match = _DATE_ONLY.fullmatch(date_text)
        if match is None:
            return None
        day = _day_ms(int(match[1]), int(match[2]), int(match[3]), column)
        if day is None:
            return None
        if len(_day_cache) >= _DAY_CACHE_LIMIT:
            _day_cache.clear()
        _day_cache[date_text] = day
    return day


def parse_utc_datetime(text: str, column: str | None = None) -> int:
    """``YYYY-MM-DD HH:MM:SS`` (also with ``T``, fractions or ``Z``) as UTC milliseconds."""
    if len(text) == 19 and text[10] in " T" and text[16] == ":":
        day = _day_cache.get(text[:10])
        hour_minute = _HOUR_MINUTE_MS.get(text[11:16])
        second = _SECOND_MS.get(text[17:])
        if day is not None and hour_minute is not None and second is not None:
            return day + hour_minute + second
    return parse_utc_datetime_exact(text, column)


def parse_utc_datetime_exact(text: str, column: str | None = None) -> int:
    """:func:`parse_utc_datetime` without its clock tables (the reference for tests)."""
    if len(text) == 19 and text[13] == ":" and text[16] == ":" and text[10] in " T":
        clock = text[11:13] + text[14:16] + text[17:19]
        day = _cached_day_ms(text[:10], column)
        if day is not None and clock.isascii() and clock.isdigit():
            time = _time_ms(int(clock[:2]), int(clock[2:4]), int(clock[4:]))
            if time is not None:
                return day + time
        shape = None if _ISO_LIKE.fullmatch(text) else _UTC_DATETIME
        raise invalid_timestamp(text, column, shape)
    match = _ISO_LIKE.fullmatch(text.strip())
    if match is None:
        raise invalid_timestamp(text, column, _UTC_DATETIME)
    day = _cached_day_ms(f"{match[1]}-{match[2]}-{match[3]}", column)
    time = _time_ms(int(match[4]), int(match[5]), int(match[6] or 0))
    if day is None or time is None:
        raise invalid_timestamp(text, column)
    return day + time


#: A wall-clock time followed by its offset from UTC: ``+02:00``, ``-0500`` or ``+05``.
_WITH_OFFSET = re.compile(r"(.*\d:\d\d(?::\d\d(?:\.\d+)?)?)([+-])(\d\d):?(\d\d)?", re.ASCII)
#: Offsets in use run from UTC-12:00 to UTC+14:00.
_MAX_OFFSET_MINUTES = 14 * 60


def parse_datetime_with_offset(text: str, column: str | None = None) -> int | None:
    """A date-time with an offset from UTC (``2024-02-29T12:00:00+02:00``) as UTC milliseconds,
    or None when the text carries no offset. The UTC day is checked, not the wall clock's."""
    match = _WITH_OFFSET.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match[3]), int(match[4] or 0)
    if minutes > 59 or hours * 60 + minutes > _MAX_OFFSET_MINUTES:
        raise timestamp_error(f"{text} (the offset from UTC is out of range)", column)
    offset_ms = (hours * 60 + minutes) * 60_000 * (1 if match[2] == "+" else -1)
    utc = _wall_clock_ms(match[1], column) - offset_ms
    midnight = utc - utc % _DAY_MS
    if not 0 <= midnight <= time.time() * 1000 + _DAY_MS:
        _in_span(midnight, _with_utc(text, utc), column)  # raises, naming the time in UTC
    return utc


def _wall_clock_ms(text: str, column: str | None) -> int:
    """:func:`parse_utc_datetime` without its span check, which is for the time in UTC."""
    match = _ISO_LIKE.fullmatch(text)
    if match is None:
        raise invalid_timestamp(text, column, _UTC_DATETIME)
    day = _civil_day_ms(int(match[1]), int(match[2]), int(match[3]))
    time = _time_ms(int(match[4]), int(match[5]), int(match[6] or 0))
    if day is None or time is None:
        raise invalid_timestamp(text, column)
    return day + time


_EPOCH = datetime(1970, 1, 1)


def _with_utc(text: str, utc: int) -> str:
    """``text (YYYY-MM-DD HH:MM:SS UTC)``, for an error about the time in UTC."""
    try:
        moment = _EPOCH + timedelta(milliseconds=utc)
    except OverflowError:  # before the year 1 or after 9999: the text says enough
        return text
    return f"{text} ({moment:%Y-%m-%d %H:%M:%S} UTC)"


def parse_utc_date(text: str, column: str | None = None) -> int:
    """``YYYY-MM-DD`` as midnight UTC."""
    day = _cached_day_ms(text, column)
    if day is None:
        shape = None if _DATE_ONLY.fullmatch(text) else _UTC_DATE
        raise invalid_timestamp(text, column, shape)
    return day


def parse_us_datetime(text: str, column: str | None = None) -> int:
    """``M/D/YYYY h:mm:ss AM|PM`` (Coinmama), with surrounding spaces allowed."""
    match = _US_DATE_TIME.fullmatch(text)
    if match is None:
        raise invalid_timestamp(text, column, _US_DATETIME)
    hours = int(match[4])
    if not 1 <= hours <= 12:
        raise invalid_timestamp(text, column)
    hours = hours % 12 + (12 if match[7].upper() == "PM" else 0)
    day = _day_ms(int(match[3]), int(match[1]), int(match[2]), column)
    time = _time_ms(hours, int(match[5]), int(match[6]))
    if day is None or time is None:
        raise invalid_timestamp(text, column)
    return day + time


def parse_cet_dotted_datetime(text: str, column: str | None = None) -> int:
    """``DD.MM.YYYY HH:MM:SS`` (Blockpit), read as a fixed UTC+1 wall clock. The span is checked
    on the UTC time: 01.01.1970 00:30:00 is 1969-12-31T23:30:00Z, before 1970."""
    match = _DOTTED_DATE_TIME.fullmatch(text.strip())
    if match is None:
        raise invalid_timestamp(text, column, _DOTTED_DATETIME)
    day = _day_ms(int(match[3]), int(match[2]), int(match[1]), column)
    time = _time_ms(int(match[4]), int(match[5]), int(match[6]))
    if day is None or time is None:
        raise invalid_timestamp(text, column)
    return _in_span(day + time - _HOUR_MS, f"{match[0]} (UTC+1)", column)


def parse_unix_seconds(text: str, column: str | None = None) -> int:
    """A ``UnixTimestamp`` column (whole seconds) as milliseconds."""
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()) or len(stripped) > 15:
        raise invalid_timestamp(text, column, _UNIX_SECONDS)
    return _in_span(int(stripped) * 1000, stripped, column)
