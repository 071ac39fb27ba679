"""On-chain integers (wei, token base units) as the decimal strings records carry."""

from decimal import ROUND_DOWN, Context, Decimal

from privatefolio_daemon.domain.decimals import MAX_DIGITS, to_fixed

NATIVE_DECIMALS = 18
_SMALLEST_AMOUNT = Decimal(f"1e-{MAX_DIGITS}")
_WIDE = Context(prec=400)


def units_text(raw: int | str, decimals: int) -> str:
    """An integer amount of base units as whole units, exactly: ``(1500, 3)`` → ``"1.5"``.

    A token that claims more places than an amount may hold (spam does) is cut to that many.
    """
    value = Decimal(f"{int(raw)}e-{decimals}")
    if decimals > MAX_DIGITS:
        value = value.quantize(_SMALLEST_AMOUNT, ROUND_DOWN, context=_WIDE)
    return to_fixed(value)
