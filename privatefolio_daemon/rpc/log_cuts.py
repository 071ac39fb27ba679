"""Failed calls are logged with their tracebacks, whose messages may quote a call's arguments:
each part of a traceback is cut to a few hundred characters, saying how much was cut."""

import logging
import traceback

MAX_LOGGED_CHARACTERS = 500


def cut(text: str, limit: int = MAX_LOGGED_CHARACTERS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} characters cut)\n"


class CutTracebacks(logging.Filter):
    """Formats a record's traceback once, each frame and message cut, for every handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            parts = traceback.format_exception(record.exc_info[1])
            record.exc_text = "".join(cut(part) for part in parts).rstrip("\n")
        return True
