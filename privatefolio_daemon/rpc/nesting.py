"""How deeply a call's parameters may nest: shallow enough for every later serialisation.

orjson writes at most 254 levels. A parameter is stored inside records and sent back inside
frames (a result, a batch, a callback, an event), each adding a few levels, so a parameter may
nest at most ``MAX_PARAM_DEPTH`` levels and leaves the rest to them. The check serialises the
value under that many spare levels, in orjson's C code: on a 4 MB frame it costs a fraction of
parsing it, where walking the value in Python cost as much as the parse or more.
"""

from typing import Any

import orjson

ORJSON_MAX_DEPTH = 254
MAX_PARAM_DEPTH = 100
_SPARE_LEVELS = ORJSON_MAX_DEPTH - MAX_PARAM_DEPTH

_slot: list[Any] = [None]
_spare_levels: Any = _slot
for _ in range(_SPARE_LEVELS - 1):
    _spare_levels = [_spare_levels]


def nests_too_deeply(value: Any) -> bool:
    """True when ``value`` (as parsed from JSON) nests deeper than ``MAX_PARAM_DEPTH`` levels.

    Called on the event loop only: the spare levels are built once and shared.
    """
    if not isinstance(value, list | dict):
        return False
    _slot[0] = value
    try:
        orjson.dumps(_spare_levels)
    except orjson.JSONEncodeError:  # a value parsed from JSON fails only by its depth
        return True
    finally:
        _slot[0] = None
    return False
