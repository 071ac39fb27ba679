"""Exact amounts from ccxt's unified structures.

The client sets ``exchange.number = str``, so ccxt hands back the exchange's own decimal text
(``"0.01000000"``) or strings it computed with its exact string arithmetic (``Precise``). Should a
float slip through anyway, ``repr`` gives its shortest round-trip text, which is the decimal the
exchange sent whenever that had at most 15 significant digits; ``str(Decimal(float))`` would
instead expand the binary value (``0.1`` → ``0.1000000000000000055…``).
"""

from decimal import Decimal
from typing import Any

from privatefolio_daemon.domain import decimals


def amount(value: Any) -> Decimal | None:
    """The exact amount of a ccxt field, or None when it is missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str | int | Decimal):
        return None
    try:
        return decimals.parse(value)
    except decimals.InvalidAmount:
        return None


def positive(value: Any) -> Decimal:
    """``|amount|``, with a missing amount as zero."""
    parsed = amount(value)
    return Decimal(0) if parsed is None else parsed.copy_abs()
