"""The dividends a trade's PnL counts (decision 0023): those paid in cash that a trades run linked
to it, as rows of ``[asset, amount, usd, txId, ts]`` valued like the trade's other rows, at the
price of their cash on their day. Read once for a PnL pass: the dividends after the earliest
moment a priced trade goes on from."""

import sqlite3
from collections.abc import Callable, Mapping
from decimal import Decimal

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.timeutil import day_start
from privatefolio_daemon.domain.trades_engine import TradeRow, TradeTransaction
from privatefolio_daemon.store import trades as store

PricesOf = Callable[[str], Mapping[int, Decimal]]
"""An asset's daily prices by day."""


class DividendIncome:
    def __init__(
        self, conn: sqlite3.Connection, counted_after: Mapping[str, int], prices: PricesOf
    ) -> None:
        """``counted_after``: by trade id, the moment after which its dividends are added up (a
        trade not there has none to count)."""
        self._conn = conn
        self._after = counted_after
        self._prices = prices
        first = min(counted_after.values(), default=None)
        self._paid = {} if first is None else store.dividends_after(conn, first)

    def rows(self, trade_id: str, asset_id: str) -> list[TradeRow]:
        """The trade's dividends after the moment it counts them from."""
        after = self._after.get(trade_id)
        if after is None:
            return []
        paid = [tx for tx in self._paid.get(asset_id, ()) if tx.timestamp > after]
        return self._linked_rows(trade_id, paid) if paid else []

    def _linked_rows(self, trade_id: str, paid: list[TradeTransaction]) -> list[TradeRow]:
        linked = store.linked_among(self._conn, trade_id, [tx.id for tx in paid])
        rows: list[TradeRow] = []
        for tx in paid:
            cash = tx.incoming_asset
            if tx.id not in linked or tx.incoming is None or cash is None or not _in_cash(cash):
                continue
            price = self._prices(cash).get(day_start(tx.timestamp))
            amount = decimals.parse(tx.incoming)
            usd = "0" if price is None else decimals.to_string(decimals.multiply(price, amount))
            rows.append([cash, tx.incoming, usd, tx.id, tx.timestamp])
        return rows


def _in_cash(asset_id: str) -> bool:
    """A dividend paid in a stock (reinvested, or another company's shares) is in a position
    already: only cash is income besides it."""
    return asset_id.startswith("fiat:")
