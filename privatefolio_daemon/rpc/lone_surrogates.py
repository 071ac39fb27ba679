"""Frames that hold half of a UTF-16 surrogate pair, escaped (``"\\ud83d"``).

A browser's ``JSON.stringify`` writes a lone surrogate that way (an emoji cut in half by
``String.slice``, say). That is valid JSON, but no valid Unicode: orjson refuses it, and SQLite
could not store it. Such a frame is read with the standard library's parser instead, and each
lone half becomes U+FFFD, as the browser's own UTF-8 encoder would have written it unescaped.
"""

import json
import math
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def is_lone_surrogate_error(message: str) -> bool:
    """orjson's refusal of an escaped surrogate, not of bytes that are not UTF-8."""
    return "surrogate" in message and "UTF-8" not in message


_INT_RANGE = range(-(2**63), 2**64)


def loads_replacing_lone_surrogates(text: bytes | str) -> Any:
    """The frame's value, lone surrogates replaced, its numbers read as orjson reads them;
    raises ``ValueError`` where ``json.loads`` or orjson would refuse it."""
    try:
        decoded = text.decode() if isinstance(text, bytes) else text  # UTF-8 only, strictly
        value = json.loads(
            decoded, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_integer
        )
        return _replaced(value)
    except RecursionError:
        raise ValueError("too deeply nested") from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError("number is infinity when parsed as double")
    return number


def _integer(text: str) -> int | float:
    """Within 64 bits an integer, beyond them a float (orjson's reading)."""
    number = int(text)
    return number if number in _INT_RANGE else _finite(text)


def _replaced(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_replaced(item) for item in value]
    if isinstance(value, dict):
        return {_text(key): _replaced(item) for key, item in value.items()}
    return value


def _text(text: str) -> str:
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
