"""Which markets to ask for trades when the exchange answers trades one market at a time.

Asking every market of Binance (thousands) for every sync would take hours of rate limit. The
account itself says where to look: a currency it holds now or moved in or out can only have been
traded on its markets. Those are its spot markets against the common quote currencies and against
the other currencies in play, both ways round (holding only USDT still finds BTC/USDT). Markets
listed in the connection's ``symbols`` option are added.

A currency bought and sold away entirely, never deposited or withdrawn, leaves no trace here; the
``symbols`` option is the way to name such markets.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from privatefolio_daemon.sources.exchanges.profiles import COMMON_QUOTES


def markets_to_scan(
    markets: Mapping[str, Mapping[str, Any]],
    currencies: Iterable[str],
    extra_symbols: Iterable[str] = (),
) -> list[str]:
    """Sorted unified symbols of the spot markets worth reading for ``currencies``."""
    in_play = set(currencies)
    common = set(COMMON_QUOTES)
    chosen = {
        symbol
        for symbol, market in markets.items()
        if market.get("spot")
        and _pairs_with(market.get("base"), market.get("quote"), in_play, common)
    }
    chosen.update(symbol for symbol in extra_symbols if symbol in markets)
    return sorted(chosen)


def _pairs_with(base: Any, quote: Any, in_play: set[str], common: set[str]) -> bool:
    if base in in_play:
        return quote in in_play or quote in common
    return quote in in_play and base in common
