"""A trade held through tens of thousands of transactions stores lists longer than a value of a
client query may be (8 MiB): the trades page (its default query and its ``SELECT *`` page) and
the trade's own page still show it whole, while other queries keep the cap."""

from decimal import Decimal
from typing import Any

import orjson
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.trades_engine import Trade
from privatefolio_daemon.store.client_sql import MAX_VALUE_BYTES
from privatefolio_daemon.store.trades import save_trades

ETH = "chain.ethereum:0x0000000000000000000000000000000000000000:ETH"
T0 = 1609459200000
WITHDRAWALS = 55_000
PAGE = "SELECT * FROM trades ORDER BY createdAt DESC LIMIT 25 OFFSET 0"
TOO_BIG = (
    "The statement failed: string or blob too big (a query may return at most 100 columns and "
    "values of at most 8 MiB)"
)


def tx_hash(number: int) -> str:
    return f"0x{number:064x}"


def large_trade() -> Trade:
    """1M ETH in, then ``WITHDRAWALS`` withdrawals that each pay a fee, as the engine lists
    them: 9 MB of JSON in fees, as in deposits."""
    moments = [T0 + 60_000 * number for number in range(WITHDRAWALS + 1)]
    deposits: list[Any] = [[ETH, "1000000", "3000000000", tx_hash(0), moments[0]]]
    deposits += [[ETH, "-0.001", "-3", tx_hash(n), moments[n]] for n in range(1, WITHDRAWALS + 1)]
    fees = [[ETH, "-0.0001", "-0.3", tx_hash(n), moments[n]] for n in range(1, WITHDRAWALS + 1)]
    return Trade(
        id="1001",
        asset_id=ETH,
        created_at=T0,
        trade_type="Long",
        amount=Decimal(1000000),
        balance=Decimal("999945"),
        trade_number=1,
        fees=fees,
        deposits=deposits,
    )


def small_trade() -> Trade:
    row = ["ex.binance:USDT", "-10", "-10", "t1", T0 + 1]
    return Trade(
        id="1002",
        asset_id="ex.binance:BTC",
        created_at=T0 + 1,
        trade_type="Long",
        amount=Decimal("0.5"),
        balance=Decimal("0.5"),
        trade_number=2,
        cost=[[*row[:3], "0.5", *row[3:]]],
    )


def wire(trade: Trade, amount: str, balance: str) -> dict[str, Any]:
    return {
        "id": trade.id,
        "tradeNumber": trade.trade_number,
        "assetId": trade.asset_id,
        "amount": amount,
        "balance": balance,
        "createdAt": trade.created_at,
        "tradeStatus": "open",
        "tradeType": "Long",
        "cost": trade.cost,
        "fees": trade.fees,
        "proceeds": [],
        "deposits": trade.deposits,
    }


@pytest.fixture
async def main(daemon: Daemon, client: DaemonClient) -> tuple[DaemonClient, list[dict[str, Any]]]:
    await client.call("createAccount", "main")
    large, small = large_trade(), small_trade()
    assert len(orjson.dumps(large.fees)) > MAX_VALUE_BYTES
    await daemon.accounts.get("main").transaction(lambda conn: save_trades(conn, [large, small]))
    return client, [wire(small, "0.5", "0.5"), wire(large, "1000000", "999945")]


async def test_the_trades_page_shows_a_trade_of_many_transactions_whole(
    main: tuple[DaemonClient, list[dict[str, Any]]],
) -> None:
    client, newest_first = main
    assert await client.call("countTrades", "main") == 2
    assert await client.call("getTrades", "main") == newest_first
    assert await client.call("getTrades", "main", PAGE) == newest_first
    older = "SELECT * FROM trades WHERE createdAt < ? ORDER BY createdAt DESC LIMIT 25"
    assert await client.call("getTrades", "main", older, [T0 + 1]) == newest_first[1:]
    assert await client.call("getTrade", "main", "1001") == newest_first[1]


async def test_queries_that_filter_by_the_long_lists_or_read_them_elsewhere_keep_the_cap(
    main: tuple[DaemonClient, list[dict[str, Any]]],
) -> None:
    client, _ = main
    by_fees = "SELECT * FROM trades WHERE length(fees) > 2 ORDER BY createdAt DESC"
    for method, sql in (("getTrades", by_fees), ("readSql", "SELECT fees FROM trades")):
        with pytest.raises(RpcCallError) as caught:
            await client.call(method, "main", sql)
        assert (caught.value.code, caught.value.message) == (-32602, TOO_BIG)
