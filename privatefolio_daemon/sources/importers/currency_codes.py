"""The fiat codes and metals an import may name: those the daemon can price.

A misspelt code (``EURO``, ``GOLD``) would otherwise make an asset no provider prices, whose
trades then cost nothing. Fiat codes are ISO 4217's, with those withdrawn since 1999
(``data/iso-4217.json``); metals are those of the metals price provider.
"""

from functools import cache

import orjson

from privatefolio_daemon.resources import static_data_dir
from privatefolio_daemon.sources.prices.metal_symbols import METAL_SYMBOLS

PRICED_METALS = tuple(METAL_SYMBOLS)


@cache
def _fiat_codes() -> frozenset[str]:
    raw = orjson.loads((static_data_dir() / "iso-4217.json").read_bytes())
    return frozenset(raw["currencies"]) | frozenset(raw["withdrawn"])


def is_fiat_code(code: str) -> bool:
    """Whether ``code`` (in upper case) is an ISO 4217 currency code, active or withdrawn since
    1999 (an old row in Deutsche Mark or kuna keeps its history)."""
    return code in _fiat_codes()


def is_priced_metal(symbol: str) -> bool:
    """Whether a metal's symbol, in any case, is one the daemon has prices for."""
    return symbol.upper() in METAL_SYMBOLS
