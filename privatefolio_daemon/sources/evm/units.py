"""On-chain integers (wei, token base units) as the decimal strings records carry."""

from decimal import Decimal

from privatefolio_daemon.domain.decimals import to_fixed

NATIVE_DECIMALS = 18


def units_text(raw: int | str, decimals: int) -> str:
    """An integer amount of base units as whole units, exactly: ``(1500, 3)`` → ``"1.5"``."""
    return to_fixed(Decimal(f"{int(raw)}e-{decimals}"))
