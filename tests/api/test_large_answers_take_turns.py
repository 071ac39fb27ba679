"""Large answers take turns in the daemon's budget for answers (decision 0021): one that would
pass it waits until those before it are sent, and is then sent whole; small calls never wait.

Each test first holds a large answer in the budget: a client stops reading (a first answer of
600 KB left unread pauses aiohttp, and a small receive buffer keeps the system from taking in
much), then asks for a page whose frame (16 MB) is far more than the system buffers hold, so
the answer stays being written until the client reads again.
"""

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.settings import Limits
from tests.conftest import make_config, running_daemon, ws_url

LOGS = 40_000
#: About 600 KB of JSON: it pauses the client that leaves it unread.
PAUSING_PAGE = 1_500
SMALL_BUDGET = 4 * 2**20
PAGES: dict[str, tuple[str, list[Any]]] = {
    "filter": ("getAuditLogs", ["main", {"limit": LOGS}]),
    "frontend SQL": ("getAuditLogs", ["main", "SELECT * FROM audit_logs ORDER BY id"]),
    "readSql": ("readSql", ["main", "SELECT * FROM audit_logs ORDER BY id"]),
}


async def _seed_logs(daemon: Daemon) -> None:
    """Audit logs of about 400 bytes of JSON each."""
    rows = [
        (
            f"{index:08d}-{'a' * 40}",
            "ex.binance:BTC",
            "1",
            index,
            1_700_000_000_000 + index,
            f"Binance Spot {'w' * 60}",
            f"0x{index:064x}",
        )
        for index in range(LOGS)
    ]
    await daemon.accounts.get("main").execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet, txId) VALUES (?, ?, ?, ?, 'Deposit', 'ex.binance', ?, ?, ?)",
        rows,
    )


@asynccontextmanager
async def _daemon(tmp_path: Path, budget: int) -> AsyncIterator[tuple[Daemon, DaemonClient]]:
    limits = Limits(rpc_large_answers_max_bytes=budget)
    config = replace(make_config(tmp_path / "data"), limits=limits)
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        await _seed_logs(daemon)
        yield daemon, client


Socket = aiohttp.ClientWebSocketResponse


@asynccontextmanager
async def _sockets(daemon: Daemon, count: int) -> AsyncIterator[list[Socket]]:
    headers = {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        sockets = [
            await stack.enter_async_context(
                session.ws_connect(ws_url(daemon), headers=headers, max_msg_size=0)
            )
            for _ in range(count)
        ]
        yield sockets


async def _ask(ws: Socket, request_id: int, method: str, params: list[Any]) -> None:
    await ws.send_bytes(orjson.dumps({"id": request_id, "method": method, "params": params}))


async def _answer(ws: Socket) -> Any:
    message = await ws.receive(timeout=60)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return orjson.loads(message.data)


async def _hold_a_large_answer(ws: Socket, method: str, params: list[Any]) -> None:
    ws.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2**16)
    await _ask(ws, 1, "getAuditLogs", ["main", {"limit": PAUSING_PAGE}])
    await _ask(ws, 2, method, params)


async def _until_stats(
    client: DaemonClient, holds: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The daemon's stats once ``holds`` is true of them (checked every 20 ms, for a minute)."""
    for _ in range(3000):
        stats = await client.call("getServerStats")
        if holds(stats):
            return dict(stats)
        await asyncio.sleep(0.02)
    raise AssertionError(f"The stats never got there: {stats}")


async def _resume(ws: Socket) -> Any:
    """Read again: the pausing answer, then the large one."""
    assert len((await _answer(ws))["result"]) == PAUSING_PAGE
    return await _answer(ws)


@pytest.mark.parametrize("page", PAGES)
async def test_four_large_reads_wait_for_the_one_being_sent_then_get_it_whole(
    tmp_path: Path, page: str
) -> None:
    method, params = PAGES[page]
    async with _daemon(tmp_path, SMALL_BUDGET) as (daemon, client), _sockets(daemon, 5) as wss:
        first, *others = wss
        await _hold_a_large_answer(first, method, params)
        await _until_stats(client, lambda stats: stats["largeAnswerBytes"] > SMALL_BUDGET)
        for ws in others:
            await _ask(ws, 7, method, params)
        answers = [asyncio.ensure_future(_answer(ws)) for ws in others]

        stats = await _until_stats(client, lambda stats: stats["largeAnswersWaiting"] == 4)

        assert await client.call("ping") == "pong"
        assert len(await client.call("getAuditLogs", "main", {"limit": 10})) == 10
        assert await client.call("readSql", "main", "SELECT COUNT(*) FROM audit_logs") == [[LOGS]]
        assert not any(answer.done() for answer in answers)
        assert (await client.call("getServerStats"))["largeAnswersWaiting"] == 4
        assert stats["largeAnswersWaited"] == 4

        held = await _resume(first)
        assert held["id"] == 2 and len(held["result"]) == LOGS
        for answer in answers:
            assert await answer == {**held, "id": 7}
        after = await _until_stats(client, lambda stats: not stats["largeAnswerBytes"])
        assert after["largeAnswersWaiting"] == 0


async def test_large_answers_within_the_budget_go_together(tmp_path: Path) -> None:
    method, params = PAGES["filter"]
    async with _daemon(tmp_path, 64 * 2**20) as (daemon, client), _sockets(daemon, 2) as wss:
        first, second = wss
        await _hold_a_large_answer(first, method, params)
        await _until_stats(client, lambda stats: stats["largeAnswerBytes"] > 0)

        await _ask(second, 7, method, params)
        answer = await _answer(second)

        assert len(answer["result"]) == LOGS
        stats = await client.call("getServerStats")
        assert stats["largeAnswerBytes"] > 0  # the first is still being sent
        assert stats["largeAnswersWaited"] == 0
        assert await _resume(first) == {**answer, "id": 2}


async def test_a_client_that_leaves_while_its_read_waits_gives_up_its_turn(
    tmp_path: Path,
) -> None:
    method, params = PAGES["filter"]
    async with _daemon(tmp_path, SMALL_BUDGET) as (daemon, client), _sockets(daemon, 3) as wss:
        first, leaving, staying = wss
        await _hold_a_large_answer(first, method, params)
        await _until_stats(client, lambda stats: stats["largeAnswerBytes"] > SMALL_BUDGET)
        await _ask(leaving, 7, method, params)
        await _until_stats(client, lambda stats: stats["largeAnswersWaiting"] == 1)
        await _ask(staying, 8, method, params)
        await _until_stats(client, lambda stats: stats["largeAnswersWaiting"] == 2)

        await leaving.close()
        await _until_stats(client, lambda stats: stats["largeAnswersWaiting"] == 1)

        held = await _resume(first)
        assert await _answer(staying) == {**held, "id": 8}
