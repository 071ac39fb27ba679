"""Which request ids a call may carry: a string, a number or null, that can be echoed exactly.

orjson reads integers of up to 64 bits exactly and larger ones as floats, which would be echoed
as, say, ``1.2345678901234568e+29``: a client could not match its answer. Such ids are refused.
"""

from typing import Any

_EXACT_MAGNITUDE = 2.0**63


def request_id_problem(request_id: Any) -> str | None:
    """What is wrong with ``request_id`` as the wire would say it, or ``None``."""
    if request_id is None or isinstance(request_id, str):
        return None
    if isinstance(request_id, bool) or not isinstance(request_id, int | float):
        return 'Invalid request: "id" must be a string, a number or null'
    if isinstance(request_id, float) and not abs(request_id) < _EXACT_MAGNITUDE:
        return 'Invalid request: "id" is a number too large to echo exactly'
    return None
