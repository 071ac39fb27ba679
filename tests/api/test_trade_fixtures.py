"""Trades and account PnL of the Privatefolio fixtures, computed through the daemon, are exactly
the expected ones (../shared/fixtures/privatefolio/expected): every trade, row, id and string,
and the progress lines. The listed assets are those the fixtures' README names."""

from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.store.trades import TRADES_FULL_SQL
from tests.api.derived import price_settings, wait_for_side_effects
from tests.api.importing import import_0xf98, import_file
from tests.shared_fixtures import expected, require_shared_fixtures

BINANCE_LISTED = ["IOTA", "ETF", "XLM", "QTUM", "MANA"]  # ETH is in the starter list
TOKENS_0XF98 = {
    "xdata": "0x0Cf0Ee63788A0849fE5297F3407f701E122cC023",
    "loom-network": "0xA4e8C3Ec456107eA67d3075bF9e3DF3A75823DB0",
    "livepeer": "0x58b6A8A3302369DAEc383334672404Ee733aB239",
}


@pytest.fixture
def fixtures() -> Path:
    return require_shared_fixtures()


@pytest.fixture
async def main(daemon: Daemon, client: DaemonClient) -> DaemonClient:
    daemon.price_settings = price_settings()
    await client.call("createAccount", "main")
    return client


async def recompute(daemon: Daemon) -> list[list[Any]]:
    """Balances from scratch (until the last active day), then trades; the trades' progress."""
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=0)
    lines: list[list[Any]] = []
    trades = daemon.features.trades("main")
    await trades.recompute(lambda p=None, m=None: lines.append([p, m]), CancelToken())
    return lines


async def assert_trades(main: DaemonClient, fixtures: Path, scenario: str) -> None:
    trades = expected(fixtures, scenario, "trades.json")
    assert await main.call("getTrades", "main", TRADES_FULL_SQL) == trades["rows"]
    assert await main.call("countTrades", "main") == trades["count"]
    pnl = expected(fixtures, scenario, "account-pnl.json")
    assert await main.call("getAccountPnL", "main") == pnl["rows"]


async def test_binance_statement(daemon: Daemon, main: DaemonClient, fixtures: Path) -> None:
    daemon.features.asset_catalog.use_coin_list(
        [{"id": ticker.lower(), "symbol": ticker, "name": ticker} for ticker in BINANCE_LISTED]
    )
    await import_file(daemon, main, "binance.csv", (fixtures / "binance.csv").read_bytes())
    await wait_for_side_effects(main)

    lines = await recompute(daemon)

    scenario = expected(fixtures, "binance-import", "scenario.json")
    assert lines == scenario["progress"]["computeTrades"]
    await assert_trades(main, fixtures, "binance-import")


async def test_etherscan_0xf98(daemon: Daemon, main: DaemonClient, fixtures: Path) -> None:
    daemon.features.asset_catalog.use_coin_list(
        [
            {"id": coin, "symbol": coin[:4], "name": coin, "platforms": {"ethereum": contract}}
            for coin, contract in TOKENS_0XF98.items()
        ]
    )
    await import_0xf98(daemon, main, fixtures)
    await wait_for_side_effects(main)

    lines = await recompute(daemon)

    assert lines == expected(fixtures, "0xf98", "scenario.json")["progress"]["computeTrades"]
    await assert_trades(main, fixtures, "0xf98")
