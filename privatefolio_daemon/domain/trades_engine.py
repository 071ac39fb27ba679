"""Trades (data-model §8.1–8.2): each asset's position, from the moment it leaves zero until it
returns to zero or changes sign, with the cost, proceeds, fees and deposits of its transactions.

The running position is exact (``Decimal``) and counts every wallet. A trade opens on the first
log that moves an asset's position away from zero, as a Long or a Short by its sign. It closes
at the end of a tick (the last log of a timestamp) when the position is back at zero or has
crossed it; a crossing opens the opposite trade at once, from the same log (whose transaction is
linked to the new trade but not counted in it, as the original does).

A transaction linked to a trade of asset A adds rows of ``[asset, amount, usd, …, txId, ts]``:
a deposit or withdrawal of A, a cost (A came in for something), proceeds (A went out for
something) and a fee paid in A. USD values use the price of the row's asset on the
transaction's day, as big.js strings, or "0" without a price.

Cash (a fiat currency that has no trades of its own) is counted where Privatefolio's formats
never bring it (decision 0023): a fee paid in cash on a transaction whose only other side is
cash, or none, is a fee row of the trade, in the cash asset; and a dividend of A paid in cash
(a Reward whose ``dividendOf`` names A) is linked to the trade that holds A when it is paid,
before that moment's own logs, with its fee in cash (a withholding tax) as a fee row. The
dividend itself adds no row here: its PnL counts it as proceeds (``trade_pnl``).
"""

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.domain.timeutil import day_start

TradeRow = list[Any]
"""A cost, proceeds, fee or deposit row, as the ``trades`` JSON columns hold it."""


class TradeLog(NamedTuple):
    id: str
    asset_id: str
    change: str
    timestamp: int
    tx_id: str | None


class TradeTransaction(NamedTuple):
    id: str
    type: str
    incoming_asset: str | None
    incoming: str | None
    outgoing_asset: str | None
    outgoing: str | None
    fee_asset: str | None
    fee: str | None
    timestamp: int


@dataclass(slots=True)
class Trade:
    id: str
    asset_id: str
    created_at: int
    trade_type: str
    amount: Decimal
    balance: Decimal
    trade_number: int = -1
    status: str = "open"
    closed_at: int | None = None
    cost: list[TradeRow] = field(default_factory=list)
    fees: list[TradeRow] = field(default_factory=list)
    proceeds: list[TradeRow] = field(default_factory=list)
    deposits: list[TradeRow] = field(default_factory=list)
    audit_log_ids: list[str] = field(default_factory=list)
    """Logs linked by this run (earlier links are stored already)."""
    tx_ids: list[str] = field(default_factory=list)
    """Transactions linked by this run."""
    linked_tx_ids: set[str] = field(default_factory=set)
    """The transactions linked so far, stored or new; for a trade taken up again, the stored
    ones among the logs the run goes through."""

    @property
    def duration(self) -> int | None:
        return None if self.closed_at is None else self.closed_at - self.created_at

    def link(self, log: TradeLog) -> bool:
        """Link the log and its transaction; True when the transaction is new to the trade."""
        self.audit_log_ids.append(log.id)
        if log.tx_id is None or log.tx_id in self.linked_tx_ids:
            return False
        self.linked_tx_ids.add(log.tx_id)
        self.tx_ids.append(log.tx_id)
        return True


TransactionOf = Callable[[str], TradeTransaction | None]
PriceOf = Callable[[str, int], Decimal | None]
"""``(assetId, day start) → price`` or None."""
IsCash = Callable[[str], bool]
"""Whether an asset is cash: a fiat currency without trades of its own."""


def _no_cash(asset_id: str) -> bool:
    return False


class MissingTransaction(LookupError):
    def __init__(self, tx_id: str) -> None:
        super().__init__(f"Transaction with id {tx_id} not found")


def trades_of_asset(
    logs: Sequence[TradeLog],
    open_trade: Trade | None,
    transaction_of: TransactionOf,
    price_of: PriceOf,
    dividends: Sequence[TradeTransaction] = (),
    is_cash: IsCash = _no_cash,
) -> list[Trade]:
    """The trades the asset's logs (canonical order) open, continue and close; ``dividends``:
    the asset's dividends over the same time, by time."""
    trades: list[Trade] = [] if open_trade is None else [open_trade]
    current = open_trade
    balance = open_trade.balance if open_trade is not None else Decimal(0)
    unpaid = deque(dividends)
    for index, log in enumerate(logs):
        while unpaid and unpaid[0].timestamp <= log.timestamp:
            _take_dividend(current, unpaid.popleft(), price_of, is_cash)
        balance = decimals.add(balance, decimals.parse(log.change))
        if current is None:
            if not decimals.is_zero(balance):
                current = _open(log, balance)
                trades.append(current)
                if current.link(log):
                    _process(current, log.tx_id, transaction_of, price_of, is_cash)
            continue
        current.balance = balance
        current.amount = max(current.amount, balance.copy_abs())
        if current.link(log):
            _process(current, log.tx_id, transaction_of, price_of, is_cash)
        same_as_previous = index > 0 and logs[index - 1].timestamp == log.timestamp
        if same_as_previous and not decimals.is_zero(balance):
            current.trade_type = _side(balance)
        tick_ends = index + 1 == len(logs) or logs[index + 1].timestamp != log.timestamp
        if tick_ends and _crossed_back(current, balance):
            current.status, current.closed_at = "closed", log.timestamp
            current = None
            if not decimals.is_zero(balance):
                current = _open(log, balance)
                trades.append(current)
                current.link(log)
    for dividend in unpaid:
        _take_dividend(current, dividend, price_of, is_cash)
    return trades


def _open(log: TradeLog, balance: Decimal) -> Trade:
    return Trade(
        id=string_hash(f"{log.asset_id}_{log.timestamp}"),
        asset_id=log.asset_id,
        created_at=log.timestamp,
        trade_type=_side(balance),
        amount=balance.copy_abs(),
        balance=balance,
    )


def _side(balance: Decimal) -> str:
    return "Long" if balance > 0 else "Short"


def _crossed_back(trade: Trade, balance: Decimal) -> bool:
    if decimals.is_zero(balance):
        return True
    return (trade.trade_type == "Long" and balance < 0) or (
        trade.trade_type == "Short" and balance > 0
    )


def _process(
    trade: Trade,
    tx_id: str | None,
    transaction_of: TransactionOf,
    price_of: PriceOf,
    is_cash: IsCash,
) -> None:
    """Add the rows of a newly linked transaction (data-model §8.2, and its fee in cash)."""
    assert tx_id is not None
    tx = transaction_of(tx_id)
    if tx is None:
        raise MissingTransaction(tx_id)
    asset = trade.asset_id
    usd = partial(_usd, price_of, day_start(tx.timestamp))

    if tx.incoming_asset == asset and tx.type == "Deposit" and tx.incoming is not None:
        trade.deposits.append([asset, tx.incoming, usd(asset, tx.incoming), tx.id, tx.timestamp])
    if tx.outgoing_asset == asset and tx.type == "Withdraw" and tx.outgoing is not None:
        amount = f"-{tx.outgoing}"
        trade.deposits.append([asset, amount, usd(asset, amount), tx.id, tx.timestamp])
    if tx.incoming_asset == asset and tx.outgoing_asset and tx.outgoing is not None:
        amount = f"-{tx.outgoing}"
        trade.cost.append(
            [
                tx.outgoing_asset,
                amount,
                usd(tx.outgoing_asset, amount),
                tx.incoming,
                tx.id,
                tx.timestamp,
            ]
        )
    if tx.outgoing_asset == asset and tx.incoming_asset and tx.incoming is not None:
        trade.proceeds.append(
            [
                tx.incoming_asset,
                tx.incoming,
                usd(tx.incoming_asset, tx.incoming),
                tx.outgoing,
                tx.id,
                tx.timestamp,
            ]
        )
    if tx.fee_asset == asset and tx.fee is not None:
        trade.fees.append([asset, tx.fee, usd(asset, tx.fee), tx.id, tx.timestamp])
    sides = (tx.incoming_asset, tx.outgoing_asset)
    others = [side for side in sides if side is not None and side != asset]
    if all(map(is_cash, others)):  # bought or sold for cash, deposited or withdrawn
        _add_cash_fee(trade, tx, price_of, is_cash)


def _take_dividend(
    trade: Trade | None, tx: TradeTransaction, price_of: PriceOf, is_cash: IsCash
) -> None:
    """Link a dividend paid in cash to the trade that holds the asset then, with its fee."""
    if trade is None or tx.incoming_asset is None or not is_cash(tx.incoming_asset):
        return
    if tx.id in trade.linked_tx_ids:
        return
    trade.linked_tx_ids.add(tx.id)
    trade.tx_ids.append(tx.id)
    _add_cash_fee(trade, tx, price_of, is_cash)


def _add_cash_fee(trade: Trade, tx: TradeTransaction, price_of: PriceOf, is_cash: IsCash) -> None:
    """A fee row for the transaction's fee when it is paid in cash."""
    if tx.fee_asset is None or tx.fee is None or not is_cash(tx.fee_asset):
        return
    usd = _usd(price_of, day_start(tx.timestamp), tx.fee_asset, tx.fee)
    trade.fees.append([tx.fee_asset, tx.fee, usd, tx.id, tx.timestamp])


def _usd(price_of: PriceOf, day: int, asset: str, amount: str) -> str:
    """The amount's USD value at the asset's price of the day, "0" without one."""
    price = price_of(asset, day)
    if price is None:
        return "0"
    return decimals.to_string(decimals.multiply(price, decimals.parse(amount)))


def reopen(trade: Trade, since: int, position: Decimal) -> Trade:
    """An open trade of an incremental run, at ``position``: the asset's balance across wallets
    after its logs up to ``since`` (the only open trade of an asset holds all of it).

    Its rows after ``since`` are dropped, and so are their links: those logs come again. Data-model
    §8.1 recounts the position from the remaining rows instead, which misses what was sold (a
    proceeds row names the asset received) and counts fees with the wrong sign.
    """
    for rows in (trade.cost, trade.fees, trade.proceeds, trade.deposits):
        trade.linked_tx_ids.difference_update(row[-2] for row in rows if row[-1] > since)
        rows[:] = [row for row in rows if row[-1] <= since]
    trade.balance = position
    trade.amount = max(trade.amount, position.copy_abs())
    if position:  # the side it had then: a later tick may have turned it
        trade.trade_type = _side(position)
    return trade


def largest_position(position: Decimal, changes: Sequence[str]) -> Decimal:
    """A trade's amount at the time its position is ``position``: the largest position after
    each of its logs up to then (``changes``, canonical order, the opening log first). Every log
    of the asset from the opening on is the trade's, so the position after log j is ``position``
    less the changes after it."""
    largest = position.copy_abs()
    after = Decimal(0)
    for change in reversed(changes[1:]):
        after = decimals.add(after, decimals.parse(change))
        largest = max(largest, decimals.add(position, after.copy_negate()).copy_abs())
    return largest
