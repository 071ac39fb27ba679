"""Manual transactions and small waiting helpers shared by the ledger API tests."""

import asyncio
from typing import Any

from privatefolio_daemon.client import DaemonClient

T = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC

SWAP = {
    "type": "Swap",
    "timestamp": T,
    "wallet": "Binance Spot",
    "platformId": "ex.binance",
    "incoming": "100",
    "incomingAsset": "ex.binance:MANA",
    "outgoing": "0.010954",
    "outgoingAsset": "ex.binance:ETH",
    "fee": "0.1",
    "feeAsset": "ex.binance:MANA",
    "notes": "first, and only",
}

STOCK_BUY = {
    "type": "Buy",
    "timestamp": T + 1000,
    "wallet": "Broker",
    "platformId": "app.generic",
    "incoming": "10",
    "incomingAsset": "stock:AAPL",
    "outgoing": "1705.00",
    "outgoingAsset": "fiat:USD",
}


async def until(condition: Any, timeout: float = 5) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def record_events(client: DaemonClient) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    await client.call("subscribeToTransactions", "main", lambda *a: seen.append(("tx", *a)))
    await client.call("subscribeToAuditLogs", "main", lambda *a: seen.append(("logs", *a)))
    return seen
