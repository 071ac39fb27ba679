"""Parsing a long JSON list without holding up the event loop.

``orjson.loads`` holds the GIL for the whole of one call: parsing a trade's 50 MB list of fees
on a thread would still stop the event loop for a few hundred milliseconds. A long list is
therefore parsed an item at a time, each item one call, so the GIL can pass between them.
"""

import json
from typing import Any

import orjson

#: Texts shorter than this are parsed in one call (a millisecond or two).
CHARACTERS_AT_ONCE = 2**20


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is no JSON")  # NaN and Infinity, which orjson refuses too


_decoder: Any = json.JSONDecoder(parse_constant=_no_constant)  # its scanner is untyped
_scan = _decoder.scan_once


def loads(text: Any) -> Any:
    """``orjson.loads(text)``; a long JSON list (written without spaces, as orjson writes it)
    an item at a time. Anything else is parsed in one call."""
    if type(text) is not str or len(text) < CHARACTERS_AT_ONCE or not text.startswith("["):
        return orjson.loads(text)
    items = _items(text)
    return orjson.loads(text) if items is None else items


def _items(text: str) -> list[Any] | None:
    """The items of a JSON list without spaces between them; None for any other text."""
    last = len(text) - 1
    if text[last] != "]":
        return None
    items: list[Any] = []
    index = 1
    while True:
        try:
            item, index = _scan(text, index)
        except (StopIteration, ValueError):
            return None
        items.append(item)
        if index == last:
            return items
        if text[index] != ",":
            return None
        index += 1
