"""JavaScript number semantics for the few figures the original computes with JS floats.

A Python ``float`` is the same IEEE-754 binary64 value as a JS number, and ``+ - * /`` round
identically, so only the library functions need emulating.
"""

import math
from decimal import Decimal


def js_round(value: float) -> float:
    """``Math.round``: the nearest integer, ties towards +∞ (``js_round(-2.5) == -2``).

    ``value - floor(value)`` is exact for every double, so no tie is lost to rounding (unlike
    ``floor(value + 0.5)``, which turns 0.49999999999999994 into 1).
    """
    if not math.isfinite(value):
        return value
    floor = math.floor(value)
    rounded = floor + 1 if value - floor >= 0.5 else floor
    return float(rounded) + 0.0  # + 0.0 turns -0.0 into 0.0, as SQLite stores it


def round2(value: float) -> float:
    """``Math.round(value * 100) / 100``, the original's two-decimal rounding."""
    return js_round(value * 100) / 100


def js_number_text(value: float) -> str:
    """``String(number)`` in JS: shortest round-trip digits, ``1e+21`` / ``1e-7`` exponent forms."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    count = len(digits)
    point = exponent + count  # value = 0.digits × 10^point
    prefix = "-" if sign else ""
    if count <= point <= 21:
        return prefix + digits + "0" * (point - count)
    if 0 < point <= 21:
        return f"{prefix}{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    mantissa = digits if count == 1 else f"{digits[0]}.{digits[1:]}"
    power = point - 1
    return f"{prefix}{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"
