"""Trades of one asset: opening, closing at the end of a tick, a crossing that opens the
opposite trade, and the rows each linked transaction adds, with USD values where prices exist."""

from decimal import Decimal

import pytest

from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.domain.trades_engine import (
    MissingTransaction,
    Trade,
    TradeLog,
    TradeTransaction,
    trades_of_asset,
)

A, B = "ex.binance:A", "ex.binance:B"
T1, T2, T3, T4 = (1_700_006_400_000 + n * DAY_MS for n in range(4))
TRANSACTIONS = {
    "d1": TradeTransaction("d1", "Deposit", A, "2", None, None, None, None, T1),
    "s1": TradeTransaction("s1", "Swap", B, "50", A, "1", A, "0.01", T2),
    "w1": TradeTransaction("w1", "Withdraw", None, None, A, "3", None, None, T3),
    "d2": TradeTransaction("d2", "Deposit", A, "2", None, None, None, None, T4),
}
PRICES = {(A, T1): Decimal(10), (B, T2): Decimal(2), (A, T2): Decimal(11), (A, T3): Decimal(12)}


def run(logs: list[TradeLog], open_trade: Trade | None = None) -> list[Trade]:
    return trades_of_asset(
        logs, open_trade, TRANSACTIONS.get, lambda asset, day: PRICES.get((asset, day))
    )


def test_a_long_that_crosses_zero_closes_and_opens_a_short() -> None:
    logs = [
        TradeLog("l1", A, "2", T1, "d1"),
        TradeLog("l2", A, "-1", T2, "s1"),
        TradeLog("l3", A, "-0.01", T2, "s1"),
        TradeLog("l4", A, "-3", T3, "w1"),
        TradeLog("l5", A, "2.01", T4, "d2"),
    ]

    long, short = run(logs)

    assert (long.trade_type, long.status, long.created_at, long.closed_at) == (
        "Long",
        "closed",
        T1,
        T3,
    )
    # The amount is the largest position seen, the crossing's included (as the original counts).
    assert (long.amount, long.balance, long.duration) == (
        Decimal("2.01"),
        Decimal("-2.01"),
        2 * DAY_MS,
    )
    assert long.deposits == [[A, "2", "20", "d1", T1], [A, "-3", "-36", "w1", T3]]
    assert long.proceeds == [[B, "50", "100", "1", "s1", T2]]
    assert long.fees == [[A, "0.01", "0.11", "s1", T2]]
    assert long.cost == []
    assert long.audit_log_ids == ["l1", "l2", "l3", "l4"]
    assert long.tx_ids == ["d1", "s1", "w1"]
    assert (short.trade_type, short.status, short.created_at, short.closed_at) == (
        "Short",
        "closed",
        T3,
        T4,
    )
    assert (short.amount, short.balance) == (Decimal("2.01"), Decimal(0))
    # The crossing's withdrawal is linked to the new trade but adds no row to it.
    assert short.deposits == [[A, "2", "0", "d2", T4]]
    assert short.audit_log_ids == ["l4", "l5"]
    assert short.tx_ids == ["w1", "d2"]
    assert long.id != short.id


def test_within_one_tick_the_side_follows_the_sign_and_nothing_closes() -> None:
    logs = [TradeLog("l1", A, "1", T1, None), TradeLog("l2", A, "-3", T1, None)]

    [trade] = run(logs)

    assert (trade.trade_type, trade.status, trade.balance, trade.amount) == (
        "Short",
        "open",
        Decimal(-2),
        Decimal(2),
    )


def test_an_open_trade_goes_on_from_its_balance() -> None:
    [first] = run([TradeLog("l1", A, "2", T1, "d1")])
    first.trade_number = 1

    [continued] = run([TradeLog("l5", A, "-2", T4, None)], first)

    assert continued is first
    assert (continued.status, continued.closed_at, continued.trade_number) == ("closed", T4, 1)


def test_a_missing_transaction_is_named() -> None:
    with pytest.raises(MissingTransaction, match="Transaction with id nope not found"):
        run([TradeLog("l1", A, "2", T1, "nope")])


def test_a_position_of_the_largest_amounts_closes_exactly_at_zero() -> None:
    """Amounts may hold 80 digits before the point and 80 after: the running position keeps all
    of them, so a withdrawal of the whole deposit closes the trade."""
    whole = (
        "123456789012345678901234567890123456789012345."
        + "123456789012345678901234567890123456789012345"
    )
    transactions = {
        "d": TradeTransaction("d", "Deposit", A, whole, None, None, None, None, T1),
        "w": TradeTransaction("w", "Withdraw", None, None, A, whole, None, None, T2),
    }
    logs = [TradeLog("l1", A, whole, T1, "d"), TradeLog("l2", A, f"-{whole}", T2, "w")]

    (trade,) = trades_of_asset(logs, None, transactions.get, lambda asset, day: Decimal("2"))

    assert (trade.status, trade.closed_at, trade.balance) == ("closed", T2, Decimal(0))
    assert trade.deposits[0][2] == (
        "2.4691357802469135780246913578024691357802469024691357802469135780246913578024691357802469e+44"
    )  # every digit, in big.js's toString form
