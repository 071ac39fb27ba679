"""Profit and loss of trades (data-model §8.3–8.4), as big.js decimal strings.

A trade's rows: a zero "genesis" row the day before it opened, then one per priced day of its
asset while it is open (to its closing day, or today). On day D, counting everything up to the
next midnight E: the position is the price times the asset's balance after its last log at or
before E, and cost, proceeds, fees and deposits are the sums of the trade's USD columns up to E.
``pnl = position + cost + proceeds + fees − deposits``.

The account's PnL, at each day any trade has a row, sums each trade's latest row so far.
"""

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple, TypedDict

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.domain.trades_engine import Trade, TradeRow


class PnlRow(NamedTuple):
    id: str
    trade_id: str
    timestamp: int
    position_value: str
    cost: str
    proceeds: str
    fees: str
    deposits: str
    pnl: str

    def to_wire(self) -> dict[str, object]:
        return {
            "id": self.id,
            "tradeId": self.trade_id,
            "timestamp": self.timestamp,
            "positionValue": self.position_value,
            "cost": self.cost,
            "proceeds": self.proceeds,
            "fees": self.fees,
            "deposits": self.deposits,
            "pnl": self.pnl,
        }


class AccountPnl(TypedDict):
    timestamp: int
    positionValue: str
    cost: str
    proceeds: str
    fees: str
    deposits: str
    pnl: str


BalanceAt = Callable[[int], Decimal]
"""The asset's balance after its last log at or before a moment (ms), or 0."""


def trade_pnl_rows(
    trade: Trade, prices: Sequence[tuple[int, Decimal]], balance_at: BalanceAt, today: int
) -> list[PnlRow]:
    """``prices``: the asset's ``(day, price)`` in ascending order."""
    opened = day_start(trade.created_at)
    genesis = opened - DAY_MS
    rows = [PnlRow(f"{trade.id}_{genesis}", trade.id, genesis, *(["0"] * 6))]
    last = day_start(trade.closed_at) if trade.closed_at is not None else today
    for day, price in prices:
        if not opened <= day <= last:
            continue
        end = day + DAY_MS
        position = decimals.multiply(price, balance_at(end))
        cost, proceeds = _usd_sum(trade.cost, end), _usd_sum(trade.proceeds, end)
        fees, deposits = _usd_sum(trade.fees, end), _usd_sum(trade.deposits, end)
        pnl = decimals.add(decimals.add(decimals.add(position, cost), proceeds), fees)
        pnl = decimals.add(pnl, deposits.copy_negate())
        values = [position, cost, proceeds, fees, deposits, pnl]
        rows.append(PnlRow(f"{trade.id}_{day}", trade.id, day, *map(decimals.to_string, values)))
    return rows


def _usd_sum(rows: Iterable[TradeRow], end: int) -> Decimal:
    total = Decimal(0)
    for row in rows:
        if row[-1] <= end:
            total = decimals.add(total, decimals.parse(row[2]))
    return total


def account_pnl(rows: Iterable[PnlRow]) -> list[AccountPnl]:
    """Per distinct timestamp (ascending), the sum over trades of each one's latest row."""
    latest: dict[str, PnlRow] = {}
    result: list[AccountPnl] = []
    ordered = sorted(rows, key=lambda row: row.timestamp)
    for index, row in enumerate(ordered):
        latest[row.trade_id] = row
        if index + 1 < len(ordered) and ordered[index + 1].timestamp == row.timestamp:
            continue
        sums = [Decimal(0)] * 6
        for kept in latest.values():
            sums = [
                decimals.add(total, decimals.parse(value))
                for total, value in zip(sums, kept[3:], strict=True)
            ]
        position, cost, proceeds, fees, deposits, pnl = map(decimals.to_string, sums)
        result.append(
            AccountPnl(
                timestamp=row.timestamp,
                positionValue=position,
                cost=cost,
                proceeds=proceeds,
                fees=fees,
                deposits=deposits,
                pnl=pnl,
            )
        )
    return result
