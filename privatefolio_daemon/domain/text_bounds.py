"""Bounds on the texts users put in their records (decision 0011): each record's module names its
limits and calls these, so a classic method and the sync event that shares its domain function
refuse the same input with the same message."""

import re
from typing import Any

import orjson

from privatefolio_daemon.domain.errors import InvalidInputError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def bounded_text(what: str, text: str, limit: int, *, lines: bool = False) -> str:
    """``text`` if it has at most ``limit`` characters and no control character (tabs and line
    breaks allowed with ``lines``); else an error that names ``what``."""
    if len(text) > limit:
        raise InvalidInputError(f"{what} is too long: {len(text)} characters (at most {limit})")
    control = (_CONTROL_BUT_LINES if lines else _CONTROL).search(text)
    if control is not None:
        raise InvalidInputError(
            f"{what} has a control character, U+{ord(control.group()):04X}, "
            f"at position {control.start() + 1}"
        )
    return text


def cut_to(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, its last one ``…``, if it is longer: a text the daemon
    makes of others (a merge's notes) stays one that a user can save back."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def bounded_size(what: str, value: Any, limit: int) -> bytes:
    """``value`` as stored (a text in UTF-8, anything else as JSON), if at most ``limit`` bytes
    long; else an error that names ``what``."""
    encoded = value.encode() if isinstance(value, str) else orjson.dumps(value)
    if len(encoded) > limit:
        raise InvalidInputError(f"{what} is too large: {len(encoded)} bytes (at most {limit})")
    return encoded
