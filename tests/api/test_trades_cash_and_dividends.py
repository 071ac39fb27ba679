"""A stock investor's trade from a generic CSV (decision 0023): the commissions paid in cash are
the trade's fees and lower its PnL, and the dividends paid in cash on the stock, net of the tax
withheld, raise it, in the trade's PnL rows and in the account's. Cash itself has no trade.

Yahoo's stand-in closes AAPL at 151, 152, … 156 USD from DAY0 to today; a dollar is 1 USD."""

from datetime import UTC, datetime
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.store.trades import TRADES_FULL_SQL
from tests.api.importing import import_file, wait_for_task
from tests.api.test_day_ahead import chain_after
from tests.api.test_generic_fund_prices import HEADER
from tests.api.test_price_fetch import DAY0, TODAY, Standins, main, standins

__all__ = ["main", "standins"]  # the fixtures

USD = "fiat:USD"
DAY1, DAY2, DAY3 = DAY0 + DAY_MS, DAY0 + 2 * DAY_MS, DAY0 + 3 * DAY_MS


def date(day: int) -> str:
    return datetime.fromtimestamp(day / 1000, UTC).strftime("%Y-%m-%d")


STATEMENT = [
    f"{date(DAY0)},deposit,USD,fiat,5000,,,,,Broker,",
    f"{date(DAY0)},buy,AAPL,stock,10,150,USD,3.5,,Broker,commission 3.5",
    f"{date(DAY1)},dividend,AAPL,stock,10,0.25,USD,0.4,USD,Broker,0.40 withheld",
    f"{date(DAY2)},sell,AAPL,stock,4,160,USD,1,USD,Broker,partial sell",
    f"{date(DAY3)},dividend,AAPL,stock,6,0.25,USD,,,Broker,",
]


async def imported(daemon: Daemon, client: DaemonClient, rows: list[str]) -> None:
    content = (HEADER + "\n".join(rows) + "\n").encode()
    task = await import_file(daemon, client, "broker.csv", content)
    assert task["status"] == "completed"
    await chain_after(client, task["id"])


async def transaction_ids(client: DaemonClient) -> dict[tuple[str, int], str]:
    """``(type, timestamp) → id`` of the statement's transactions."""
    return {
        (tx["type"], tx["timestamp"]): tx["id"]
        for tx in await client.call("getTransactions", "main")
    }


def pnl_points(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (row["timestamp"], row["positionValue"], row["cost"], row["proceeds"], row["fees"],
         row["deposits"], row["pnl"])
        for row in rows
    ]  # fmt: skip


async def test_commissions_and_dividends_in_cash_count_in_the_trade(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    await imported(daemon, main, STATEMENT)
    ids = await transaction_ids(main)
    buy, sell = ids["Buy", DAY0], ids["Sell", DAY2]
    dividend1, dividend2 = ids["Reward", DAY1], ids["Reward", DAY3]

    [trade] = await main.call("getTrades", "main", TRADES_FULL_SQL)

    assert trade["assetId"] == "stock:AAPL"
    assert trade["cost"] == [[USD, "-1500", "-1500", "10", buy, DAY0]]
    assert trade["proceeds"] == [[USD, "640", "640", "4", sell, DAY2]]
    assert trade["fees"] == [
        [USD, "3.5", "3.5", buy, DAY0],  # the commission
        [USD, "0.4", "0.4", dividend1, DAY1],  # the tax withheld on the dividend
        [USD, "1", "1", sell, DAY2],
    ]
    assert trade["deposits"] == []
    assert sorted(trade["txIds"]) == sorted([buy, dividend1, sell, dividend2])
    rows = await main.call("getTradePnL", "main", trade["id"])
    # day: position (shares × close), cost, proceeds (sales and dividends), fees paid, deposits,
    # pnl = position + cost + proceeds + fees − deposits
    assert pnl_points(rows) == [
        (DAY0 - DAY_MS, "0", "0", "0", "0", "0", "0"),
        (DAY0, "1510", "-1500", "0", "-3.5", "0", "6.5"),
        (DAY1, "1520", "-1500", "2.5", "-3.9", "0", "18.6"),
        (DAY2, "918", "-1500", "642.5", "-4.9", "0", "55.6"),
        (DAY3, "924", "-1500", "644", "-4.9", "0", "63.1"),
        (DAY3 + DAY_MS, "930", "-1500", "644", "-4.9", "0", "69.1"),
        (TODAY, "936", "-1500", "644", "-4.9", "0", "75.1"),
    ]
    account = await main.call("getAccountPnL", "main")
    assert [row["pnl"] for row in account] == ["0", "6.5", "18.6", "55.6", "63.1", "69.1", "75.1"]
    assert account[-1] == {
        "timestamp": TODAY,
        "positionValue": "936",
        "cost": "-1500",
        "proceeds": "644",
        "fees": "-4.9",
        "deposits": "0",
        "pnl": "75.1",
    }


async def test_a_dividend_while_no_trade_holds_the_stock_counts_in_none(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    """Paid after the stock was sold out, or before it was bought, it stays cash."""
    await imported(
        daemon,
        main,
        [
            f"{date(DAY0)},deposit,USD,fiat,5000,,,,,Broker,",
            f"{date(DAY0)},dividend,AAPL,stock,10,0.25,USD,,,Broker,before the buy",
            f"{date(DAY0)},buy,AAPL,stock,10,150,USD,,,Broker,",
            f"{date(DAY2)},sell,AAPL,stock,10,160,USD,,,Broker,",
            f"{date(DAY3)},dividend,AAPL,stock,10,0.25,USD,,,Broker,after the sale",
        ],
    )

    [trade] = await main.call("getTrades", "main", TRADES_FULL_SQL)

    assert len(trade["txIds"]) == 2  # the buy and the sale
    assert trade["fees"] == []
    assert (await main.call("getAccountPnL", "main"))[-1]["pnl"] == "100"  # 1600 − 1500


async def test_a_dividend_paid_on_the_day_of_the_sale_counts_in_the_trade_sold(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    """Both at midnight: the dividend was earned by the shares held until then."""
    await imported(
        daemon,
        main,
        [
            f"{date(DAY0)},buy,AAPL,stock,10,150,USD,,,Broker,",
            f"{date(DAY2)},sell,AAPL,stock,10,160,USD,,,Broker,",
            f"{date(DAY2)},dividend,AAPL,stock,10,0.25,USD,,,Broker,",
        ],
    )

    [trade] = await main.call("getTrades", "main")
    rows = await main.call("getTradePnL", "main", trade["id"])

    assert pnl_points(rows)[-1] == (DAY2, "0", "-1500", "1602.5", "0", "0", "102.5")


async def test_trades_computed_before_count_cash_at_the_next_refresh(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    """An account upgraded with trades that left its cash out: its next refresh starts over."""
    await imported(daemon, main, STATEMENT)
    fresh = await main.call("getTrades", "main", TRADES_FULL_SQL)
    fresh_pnl = await main.call("getAccountPnL", "main")
    db = daemon.accounts.get("main")
    dividends = [
        tx_id for (kind, _), tx_id in (await transaction_ids(main)).items() if kind == "Reward"
    ]
    await db.execute("UPDATE trades SET fees = '[]'")
    await db.execute_many(
        "DELETE FROM trade_transactions WHERE transaction_id = ?", [(tx,) for tx in dividends]
    )
    await db.execute(
        "UPDATE trade_pnl SET proceeds = '640', fees = '0', pnl = '76' WHERE timestamp = ?",
        (TODAY,),
    )
    await db.execute("DELETE FROM key_value WHERE key = 'tradesCountCash'")

    task = await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))

    assert task["status"] == "completed"
    assert await main.call("getTrades", "main", TRADES_FULL_SQL) == fresh
    assert await main.call("getAccountPnL", "main") == fresh_pnl


async def test_a_dividend_reinvested_in_the_stock_is_not_counted_again(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    """Paid in the stock itself, it is in the trade's position already: no proceeds."""
    await imported(
        daemon,
        main,
        [
            f"{date(DAY0)},buy,AAPL,stock,10,150,USD,,,Broker,",
            f"{date(DAY1)},dividend,AAPL,stock,10,0.01,stock:AAPL,,,Broker,reinvested",
        ],
    )

    [trade] = await main.call("getTrades", "main")
    rows = await main.call("getTradePnL", "main", trade["id"])

    assert rows
    assert {row["proceeds"] for row in rows} == {"0"}
