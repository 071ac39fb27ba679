"""Explorer refusals: a bad API key is a clear error without the key, rate limits are retried."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from aiohttp import web

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.sources.evm.test_rpc_pool import dead_url, host
from tests.sources.evm.wallet_scene import Scene, sync

WRONG_KEY = "WRONGKEY987"


@asynccontextmanager
async def explorer_answering(
    answer: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """The URL of an explorer on loopback that answers every call with ``answer``."""
    app = web.Application()
    app.router.add_get("/v2/api", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/v2/api"
    finally:
        await runner.cleanup()


@pytest.fixture
async def source() -> AsyncIterator[EvmWalletSource]:
    wallet_source = EvmWalletSource(explorer_retry_delay_s=0.001)
    yield wallet_source
    await wallet_source.close()


async def test_an_invalid_api_key_is_a_sync_error_that_never_shows_the_key(
    scene: Scene, source: EvmWalletSource
) -> None:
    bad = replace(scene.spec(), api_key=WRONG_KEY)

    with pytest.raises(SyncError) as caught:
        await source.sync(bad, 0, lambda *_: None)

    assert str(caught.value) == "The explorer rejected the API key: Invalid API Key"
    assert WRONG_KEY not in repr(caught.value) and caught.value.__cause__ is None


async def test_a_rate_limit_is_retried_until_the_explorer_answers(
    scene: Scene, source: EvmWalletSource
) -> None:
    scene.etherscan.rate_limit_next(2)

    result = await sync(source, scene.spec(), 0)

    assert (len(result.logs), len(result.transactions)) == (9, 8)
    actions = [q["action"] for q in scene.etherscan.requests()]
    assert actions == [*["getblocknobytime"] * 3, "txlist", "txlistinternal", "tokentx"]


async def test_a_rate_limit_that_never_ends_is_a_sync_error(
    scene: Scene, source: EvmWalletSource
) -> None:
    scene.etherscan.rate_limit_next(100)

    with pytest.raises(SyncError) as caught:
        await sync(source, scene.spec(), 0)

    assert str(caught.value) == "Explorer txlist: still rate limited after 6 attempts"


async def test_an_unreachable_explorer_is_named_by_host_only(
    scene: Scene, source: EvmWalletSource
) -> None:
    dead = dead_url() + "v2/api"

    with pytest.raises(SyncError) as caught:
        await sync(source, scene.spec(explorerApiUrl=dead), 0)

    assert str(caught.value) == f"Explorer txlist: {host(dead)} unreachable (ClientConnectorError)"
    assert "SECRETKEY123" not in str(caught.value)


async def test_records_the_sync_cannot_read_are_a_clear_error(
    scene: Scene, source: EvmWalletSource
) -> None:
    async def answer(request: web.Request) -> web.Response:
        if request.query.get("module") == "block":
            return web.json_response({"status": "1", "message": "OK", "result": "100"})
        return web.json_response({"status": "1", "message": "OK", "result": [{"foo": "bar"}]})

    async with explorer_answering(answer) as url:
        with pytest.raises(SyncError) as caught:
            await sync(source, scene.spec(explorerApiUrl=url), 0)
    port = url.split(":")[2].split("/")[0]

    assert str(caught.value) == (
        f"The explorer at 127.0.0.1:{port} answered records this sync cannot read (no field "
        "'contractAddress'): is it an Etherscan-compatible API?"
    )


async def test_an_explorer_that_cannot_say_how_far_it_has_indexed_still_syncs(
    scene: Scene, source: EvmWalletSource
) -> None:
    async def answer(request: web.Request) -> web.Response:
        if request.query.get("module") == "block":
            return web.Response(status=404, text="Not Found")
        return web.json_response({"status": "0", "message": "No transactions found", "result": []})

    async with explorer_answering(answer) as url:
        result = await sync(source, scene.spec(explorerApiUrl=url), 0)

    assert (result.logs, result.transactions) == ([], [])
    assert result.cursor == scene.node.block_number() + 1
