"""Which markets to ask for trades when the exchange answers trades one market at a time.

Asking every market of Binance (thousands) for every sync would take hours of rate limit. The
account itself says where to look: a currency it holds now, moved in or out, or traded before
(in an earlier sync of the connection, or in the trades this sync already found) can only have
been traded on its markets. Those are its spot markets against the common quote currencies and
against the other currencies in play, both ways round (holding only USDT still finds BTC/USDT).
Markets listed in the connection's ``symbols`` option are added, written as ccxt writes them
(``SOL/USDT``) or as the exchange does (``SOLUSDT``).

A currency bought and sold away entirely, never deposited or withdrawn, leaves no trace here
unless it is a common quote currency; the ``symbols`` option is the way to name such markets,
and every sync says in its task log which markets it read.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from privatefolio_daemon.sources.exchanges.profiles import COMMON_QUOTES

#: The connection option that names extra markets to read.
SYMBOLS_OPTION = "symbols"


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


def named_markets(
    markets: Mapping[str, Mapping[str, Any]], option: Any
) -> tuple[list[str], list[str]]:
    """The unified symbols of the markets the ``symbols`` option names, and the names that are
    no market of the exchange. The option is a list or a comma-separated string; a name is a
    unified symbol or the exchange's market id, in any case."""
    by_name: dict[str, str] = {}
    for symbol, market in markets.items():
        by_name.setdefault(str(market.get("id") or "").upper(), symbol)
        by_name[symbol.upper()] = symbol
    by_name.pop("", None)
    found: set[str] = set()
    unknown: list[str] = []
    for name in _names(option):
        known = by_name.get(name.upper())
        if known is None:
            unknown.append(name)
        else:
            found.add(known)
    return sorted(found), unknown


def traded_currencies(
    trades: Iterable[Mapping[str, Any]], markets: Mapping[str, Mapping[str, Any]]
) -> set[str]:
    """The currencies ``trades`` moved: each market's base and quote, and each fee's currency."""
    found: set[str] = set()
    for trade in trades:
        market = markets.get(str(trade.get("symbol"))) or {}
        fee = trade.get("fee") or {}
        for code in (market.get("base"), market.get("quote"), fee.get("currency")):
            if code:
                found.add(str(code))
    return found


def _names(option: Any) -> list[str]:
    if isinstance(option, str):
        option = re.split(r"[,\s]+", option)
    if not isinstance(option, list | tuple):
        return []
    return [str(name).strip() for name in option if str(name).strip()]


def _pairs_with(base: Any, quote: Any, in_play: set[str], common: set[str]) -> bool:
    if base in in_play:
        return quote in in_play or quote in common
    return quote in in_play and base in common
