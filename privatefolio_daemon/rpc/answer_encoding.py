"""Encoding answers as JSON, a large one a part at a time.

orjson holds the GIL for the whole of one call, so a large answer encoded in one call would stop
the event loop even on a thread. A large answer is therefore encoded on a thread in parts, each
one orjson call (the GIL can pass to the loop between two calls), and the parts are joined into
the very bytes one call would give.

An answer is large when its lists and objects hold more than ``LARGE_ELEMENTS`` elements in
all, or it holds a text longer than ``TEXT_CHARACTERS_AT_ONCE``. Telling costs at most that many
steps on the loop: the count stops once it passes.
"""

from decimal import Decimal
from typing import Any

import orjson

from privatefolio_daemon.large_lists import empty_in_parts
from privatefolio_daemon.rpc.callbacks import RemoteCallback
from privatefolio_daemon.rpc.owned_results import OwnedList

#: Elements (list items, object values) an answer may hold before it is encoded on a thread.
LARGE_ELEMENTS = 5000
#: Items of a long list, or values of a large object, encoded per orjson call.
ITEMS_ENCODED_AT_ONCE = 500
#: Characters of a long text encoded per orjson call.
TEXT_CHARACTERS_AT_ONCE = 2**20
#: How deep the count looks (what lies deeper is encoded with what holds it).
DEPTH_LOOKED_AT = 8


def to_json(value: Any) -> Any:
    """Encode what orjson does not know: decimals as strings, callbacks as references."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, RemoteCallback):
        return {"__isFunction": True, "functionId": value.function_id}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def is_large(value: Any) -> bool:
    return _left_after(value, LARGE_ELEMENTS, 0) < 0


def _left_after(value: Any, budget: int, depth: int) -> int:
    """``budget`` less the elements ``value`` holds; negative once they are too many (the count
    stops there), or when it holds a long text."""
    if isinstance(value, str):
        return -1 if len(value) > TEXT_CHARACTERS_AT_ONCE else budget
    if depth >= DEPTH_LOOKED_AT:
        return budget
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list | tuple):
        children = value
    else:
        return budget
    budget -= len(value)
    for child in children:
        if budget < 0:
            break
        budget = _left_after(child, budget, depth + 1)
    return budget


def encoded(value: Any) -> bytes:
    """``orjson.dumps(value)``, a large value in parts (run it on a thread). An ``OwnedList``
    is emptied afterwards, a part at a time."""
    return _encoded(value, 0)


def _encoded(value: Any, depth: int) -> bytes:
    if depth >= DEPTH_LOOKED_AT or not is_large(value):
        return orjson.dumps(value, default=to_json)
    if isinstance(value, str):
        return _encoded_text(value)
    if isinstance(value, dict):
        pairs = list(value.items())
        return b"{" + b",".join(_encoded_pairs(pairs, depth)) + b"}"
    if isinstance(value, list | tuple):
        parts = _encoded_items(value, depth)
        if isinstance(value, OwnedList):
            empty_in_parts(value)
        return b"[" + b",".join(parts) + b"]"
    return orjson.dumps(value, default=to_json)


def _encoded_items(items: list[Any] | tuple[Any, ...], depth: int) -> list[bytes]:
    """The items' JSON, a part per call: a long list's items ``ITEMS_ENCODED_AT_ONCE`` at a
    time; a short list's, each large item on its own and the others together."""
    if len(items) > ITEMS_ENCODED_AT_ONCE:
        return [
            orjson.dumps(items[start : start + ITEMS_ENCODED_AT_ONCE], default=to_json)[1:-1]
            for start in range(0, len(items), ITEMS_ENCODED_AT_ONCE)
        ]
    parts: list[bytes] = []
    small: list[Any] = []
    for item in items:
        if is_large(item):
            if small:
                parts.append(orjson.dumps(small, default=to_json)[1:-1])
                small = []
            parts.append(_encoded(item, depth + 1))
        else:
            small.append(item)
    if small:
        parts.append(orjson.dumps(small, default=to_json)[1:-1])
    return parts


def _encoded_pairs(pairs: list[tuple[Any, Any]], depth: int) -> list[bytes]:
    """An object's members' JSON, a part per call, as ``_encoded_items`` does for items."""
    if len(pairs) > ITEMS_ENCODED_AT_ONCE:
        return [
            orjson.dumps(dict(pairs[start : start + ITEMS_ENCODED_AT_ONCE]), default=to_json)[1:-1]
            for start in range(0, len(pairs), ITEMS_ENCODED_AT_ONCE)
        ]
    parts: list[bytes] = []
    small: dict[Any, Any] = {}
    for key, value in pairs:
        if is_large(value):
            if small:
                parts.append(orjson.dumps(small, default=to_json)[1:-1])
                small = {}
            member = orjson.dumps({key: None}, default=to_json)[1:-5]  # "key":
            parts.append(member + _encoded(value, depth + 1))
        else:
            small[key] = value
    if small:
        parts.append(orjson.dumps(small, default=to_json)[1:-1])
    return parts


def _encoded_text(text: str) -> bytes:
    """A long text's JSON string, ``TEXT_CHARACTERS_AT_ONCE`` characters per call (a JSON
    string escapes each character alone, so the parts join into the whole)."""
    parts = [
        orjson.dumps(text[start : start + TEXT_CHARACTERS_AT_ONCE])[1:-1]
        for start in range(0, len(text), TEXT_CHARACTERS_AT_ONCE)
    ]
    return b'"' + b"".join(parts) + b'"'
