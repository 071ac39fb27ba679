"""RPC nodes that answer something a healthy node does not are failed over, and a node that
refuses for a moment (429, 5xx, no connection) is asked again after a backoff."""

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.evm.rpc_pool import RpcPool, RpcUnavailable
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter
from tests.sources.evm.wallet_scene import Scene, sync
from tests.standins.background_server import serve_in_thread

#: What a broken node answers, and how the error reports it.
BROKEN_ANSWERS = {
    "html": "answered an HTML page",
    "not-json-rpc": "answered eth_chainId with JSON that is not JSON-RPC",
    "bad-hex": 'answered eth_blockNumber with "not-a-number"',
    "null": "answered eth_blockNumber with null",
    "error": "answered eth_blockNumber with JSON-RPC error -32000: internal node failure",
}


def broken_node(mode: str) -> web.Application:
    """A node of chain 1 that answers ``eth_chainId`` well (except for "html" and
    "not-json-rpc") and everything else as ``mode`` says."""

    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        rpc_id, method = body.get("id"), body.get("method")
        if mode == "html":
            return web.Response(text="<html>Bad gateway</html>", content_type="text/html")
        if mode == "not-json-rpc":
            return web.json_response({"status": "ok"})
        if method == "eth_chainId":
            return web.json_response({"jsonrpc": "2.0", "id": rpc_id, "result": "0x1"})
        if mode == "error":
            error = {"code": -32000, "message": "internal node failure"}
            return web.json_response({"jsonrpc": "2.0", "id": rpc_id, "error": error})
        result = "not-a-number" if mode == "bad-hex" else None
        return web.json_response({"jsonrpc": "2.0", "id": rpc_id, "result": result})

    app = web.Application()
    app.router.add_post("/", handle)
    return app


@pytest.fixture
async def source() -> AsyncIterator[EvmWalletSource]:
    wallet_source = EvmWalletSource(rpc_retry_delay_s=0.001, rpc_max_retry_after_s=0.001)
    yield wallet_source
    await wallet_source.close()


def host(url: str) -> str:
    return url.split("/")[2]


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


async def block_number(web3: Any) -> int:
    return int(await web3.eth.block_number)


class Sleeps:
    """An injected ``sleep`` that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.mark.parametrize("mode", sorted(BROKEN_ANSWERS))
async def test_a_node_answering_what_no_healthy_node_answers_is_failed_over(
    scene: Scene, source: EvmWalletSource, mode: str
) -> None:
    with serve_in_thread(broken_node(mode)) as broken:
        result = await sync(source, scene.spec(rpcUrls=[broken + "/", scene.node.url]), 0)
        with pytest.raises(SyncError) as caught:
            await sync(source, scene.spec(rpcUrls=[broken + "/"]), 0)

    assert len(result.logs) == 9
    assert str(caught.value) == (
        f"Ethereum: No RPC node answered ({host(broken + '/')}: {BROKEN_ANSWERS[mode]})"
    )


async def test_one_503_from_the_only_node_is_retried(scene: Scene, source: EvmWalletSource) -> None:
    scene.node.fail_next_requests(1, 503)

    result = await sync(source, scene.spec(), 0)

    assert len(result.logs) == 9


async def test_retries_back_off_honour_retry_after_within_a_cap_and_stop(scene: Scene) -> None:
    sleeps = Sleeps()
    pool = RpcPool(
        [scene.node.url], 1, HostRateLimiter(1000, 1000), max_retry_after_s=30, sleep=sleeps
    )
    try:
        scene.node.fail_next_requests(2, 429, retry_after="7")
        assert await pool.run(block_number) == scene.node.block_number()
        assert sleeps.delays == [7, 7]

        sleeps.delays.clear()
        scene.node.fail_next_requests(1, 503, retry_after="3600")
        assert await pool.run(block_number) == scene.node.block_number()
        assert sleeps.delays == [30]

        sleeps.delays.clear()
        scene.node.fail_next_requests(100, 503)
        with pytest.raises(RpcUnavailable) as caught:
            await pool.run(block_number)
    finally:
        await pool.close()

    assert sleeps.delays == [0.5, 1.0, 2.0]
    assert str(caught.value) == (
        f"No RPC node answered in 4 attempts ({host(scene.node.url)}: HTTP 503)"
    )


async def test_every_node_of_a_round_is_tried_before_waiting(scene: Scene) -> None:
    sleeps = Sleeps()
    dead = dead_url()
    pool = RpcPool([dead, scene.node.url], 1, HostRateLimiter(1000, 1000), sleep=sleeps)
    scene.node.fail_next_requests(1, 502)
    try:
        assert await pool.run(block_number) == scene.node.block_number()
    finally:
        await pool.close()

    assert sleeps.delays == [0.5]


async def test_a_node_that_is_not_json_rpc_is_not_asked_again_and_again() -> None:
    sleeps = Sleeps()
    with serve_in_thread(broken_node("html")) as broken:
        pool = RpcPool([broken + "/"], 1, HostRateLimiter(1000, 1000), sleep=sleeps)
        try:
            with pytest.raises(RpcUnavailable):
                await pool.run(block_number)
        finally:
            await pool.close()

    assert sleeps.delays == []
