"""Profit and loss of trades (data-model §8.3–8.4), as big.js decimal strings.

A trade's rows: a zero "genesis" row the day before it opened, then one per priced day of its
asset while it is open (to its closing day, or today: tomorrow when the ledger has a log then,
which today's price values, ``day_ahead``). On day D, counting everything up to the day's last
millisecond E: the position is the price times the asset's balance after its last log at or
before E, and cost, proceeds, fees and deposits are the sums of the trade's USD columns up to E.

Fees paid in the trade's asset are in the position already: they lower the asset's balance.
§8.3 adds the fee tuples' USD values to the PnL as well, as the source stored them: a Binance or
manual fee (stored positive) then raised the PnL by the fee paid, and an Etherscan fee
(negative) counted twice. Here the ``fees`` column tells the USD value of the fees paid so far,
as a negative total, and only the fees paid in another asset (cash, decision 0023) are added to
the PnL, which the position does not hold.

Dividends paid in cash on the trade's asset (decision 0023) are what the position brought in,
as sales are: their USD values on their days count in ``proceeds``. So
``pnl = position + cost + proceeds − deposits + fees paid outside the position``.

Two more changes from data-model §8.3, which counts up to the next midnight and takes the balance
there on the closing day too (decision 0006): a log at the next midnight belongs to the next
day, and a closed trade holds nothing on its closing day. Otherwise a closed trade's last row
would count the position of the asset's next trade, opened later that day or at the midnight
after, and what a refresh computed would depend on whether that trade existed yet.

The account's PnL, at each day any trade has a row, sums each trade's latest row so far: what
the traded positions are worth plus the cash they brought in (sales, dividends), less the cash
they cost (buys, fees paid in cash) and the value deposited into them. Cash has no trade, so
the cash a dividend brings is counted once here, as the trade's income; the net worth counts it
again as cash held, which is another measure (the PnL is no part of the net worth).
"""

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from operator import itemgetter
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


class Sums(NamedTuple):
    """A trade's cost, proceeds, fees, deposits and fees paid outside its position, summed up to
    ``moment`` (a stored row's)."""

    moment: int
    totals: tuple[Decimal, Decimal, Decimal, Decimal, Decimal]


def day_end(day: int) -> int:
    """The last millisecond of the day that starts at ``day``."""
    return day + DAY_MS - 1


def trade_pnl_rows(
    trade: Trade,
    prices: Sequence[tuple[int, Decimal]],
    balance_at: BalanceAt,
    last_day: int,
    first_day: int = 0,
    sums_before: Sums | None = None,
    income: Sequence[TradeRow] = (),
) -> list[PnlRow]:
    """``prices``: the asset's ``(day, price)`` in ascending order; ``last_day``: that of an open
    trade's last row. The zero row, then the rows from ``first_day`` on (each is the same as in
    the trade's full list). ``sums_before``, from a row before ``first_day``, spares adding up
    the trade's earlier rows again. ``income``: the trade's dividends, as rows of
    ``[asset, amount, usd, txId, ts]`` (after ``sums_before``, if given)."""
    opened = day_start(trade.created_at)
    genesis = opened - DAY_MS
    rows = [PnlRow(f"{trade.id}_{genesis}", trade.id, genesis, *(["0"] * 6))]
    first = max(opened, first_day)
    last = day_start(trade.closed_at) if trade.closed_at is not None else last_day
    paid = _paid(trade.fees)
    outside = [row for row in paid if row[0] != trade.asset_id]
    columns = (trade.cost, [*trade.proceeds, *income], paid, trade.deposits, outside)
    if sums_before is None:
        sums = [_RunningSum(column) for column in columns]
    else:
        moment, totals = sums_before
        sums = [_RunningSum(c, moment, t) for c, t in zip(columns, totals, strict=True)]
    for day, price in prices:
        if not first <= day <= last:
            continue
        end = day_end(day)
        closing = trade.closed_at is not None and day == last
        position = Decimal(0) if closing else decimals.multiply(price, balance_at(end))
        cost, proceeds, fees, deposits, paid_outside = (running.up_to(end) for running in sums)
        pnl = decimals.add(decimals.add(position, cost), proceeds)
        pnl = decimals.add(decimals.add(pnl, deposits.copy_negate()), paid_outside)
        values = [position, cost, proceeds, fees, deposits, pnl]
        rows.append(PnlRow(f"{trade.id}_{day}", trade.id, day, *map(decimals.to_string, values)))
    return rows


def paid_outside(row: Sequence[Decimal]) -> Decimal:
    """What the fees paid outside the position added to a stored row's PnL: its PnL less the
    rest (``positionValue, cost, proceeds, fees, deposits, pnl``)."""
    position, cost, proceeds, _fees, deposits, pnl = row
    rest = decimals.add(decimals.add(position, cost), decimals.subtract(proceeds, deposits))
    return decimals.subtract(pnl, rest)


def _paid(fees: Iterable[TradeRow]) -> list[TradeRow]:
    """The fee rows with their USD value as a cost (negative), whatever sign the source stored
    the fee with (data-model §2.3: positive for Binance and manual entries, negative for
    Etherscan)."""
    return [[*row[:2], _negative(row[2]), *row[3:]] for row in fees]


def _negative(usd: str) -> str:
    value = decimals.parse(usd)
    return usd if value <= 0 else decimals.to_string(value.copy_negate())


class _RunningSum:
    """The sum of the rows' USD values (column 2) up to a moment, for moments that only grow:
    each row is added once, so a trade's rows cost one pass over its days, not one per day. The
    sums are exact, so the order they are added in changes nothing."""

    def __init__(
        self, rows: Iterable[TradeRow], after: int | None = None, total: Decimal = Decimal(0)
    ) -> None:
        """``total``: the sum of the rows up to ``after``, which are then left out."""
        kept = rows if after is None else (row for row in rows if row[-1] > after)
        self._rows = sorted(((row[-1], row[2]) for row in kept), key=itemgetter(0))
        self._next = 0
        self._total = total

    def up_to(self, end: int) -> Decimal:
        rows, index, total = self._rows, self._next, self._total
        while index < len(rows) and rows[index][0] <= end:
            total = decimals.add(total, decimals.parse(rows[index][1]))
            index += 1
        self._next, self._total = index, total
        return total


def account_pnl(rows: Iterable[PnlRow]) -> list[AccountPnl]:
    """Per distinct timestamp (ascending), the sum over trades of each one's latest row.

    The sums are kept as running totals: a trade's new row adds its values less those of the
    row it replaces. They are exact, so they equal a fresh sum at every timestamp."""
    latest: dict[str, list[Decimal]] = {}
    totals = [Decimal(0)] * 6
    result: list[AccountPnl] = []
    ordered = sorted(rows, key=lambda row: row.timestamp)
    for index, row in enumerate(ordered):
        values = [decimals.parse(value) for value in row[3:]]
        previous = latest.get(row.trade_id)
        latest[row.trade_id] = values
        for column, value in enumerate(values):
            change = value if previous is None else decimals.subtract(value, previous[column])
            totals[column] = decimals.add(totals[column], change)
        if index + 1 < len(ordered) and ordered[index + 1].timestamp == row.timestamp:
            continue
        position, cost, proceeds, fees, deposits, pnl = map(decimals.to_string, totals)
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
