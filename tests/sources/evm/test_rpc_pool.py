"""RPC failover: a failing node is cooled down and the next URL serves the sync."""

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.evm.rpc_pool import RpcPool, RpcUnavailable
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter
from tests.sources.evm.wallet_scene import ETH, Scene, sync
from tests.standins.evm_node import EvmNode


@pytest.fixture
async def source() -> AsyncIterator[EvmWalletSource]:
    wallet_source = EvmWalletSource(rpc_retry_delay_s=0.001, rpc_max_retry_after_s=0.001)
    yield wallet_source
    await wallet_source.close()


def dead_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def host(url: str) -> str:
    return url.split("/")[2]


async def block_number(web3: Any) -> int:
    return int(await web3.eth.block_number)


async def test_a_503_fails_over_to_the_next_url_and_cools_the_first_down(scene: Scene) -> None:
    primary, backup = scene.node.url, scene.node.url + "backup"
    pool = RpcPool([primary, backup], 1, HostRateLimiter(1000, 1000))
    scene.node.fail_next_requests(1, 503)
    try:
        first = await pool.run(block_number)
        served_before = len(scene.node.requests())
        second = await pool.run(block_number)
    finally:
        await pool.close()

    assert first == second == scene.node.block_number()
    assert pool.is_cooled_down(primary) and not pool.is_cooled_down(backup)
    assert len(scene.node.requests()) == served_before + 1  # straight to the backup


async def test_an_unreachable_first_url_does_not_stop_a_sync(
    scene: Scene, source: EvmWalletSource
) -> None:
    result = await sync(source, scene.spec(rpcUrls=[dead_url(), scene.node.url]), 0)

    assert len(result.logs) == 9
    assert result.balances is not None and ETH in result.balances


async def test_when_every_node_fails_the_error_names_hosts_not_urls(
    scene: Scene, source: EvmWalletSource
) -> None:
    dead = dead_url()
    scene.node.fail_next_requests(100, 429)
    urls = [scene.node.url + "key-in-path-abc", dead]

    with pytest.raises(SyncError) as caught:
        await sync(source, scene.spec(rpcUrls=urls), 0)

    assert str(caught.value) == (
        f"Ethereum: No RPC node answered in 4 attempts ({host(scene.node.url)}: HTTP 429; "
        f"{host(dead)}: connection failed)"
    )


async def test_a_node_of_another_chain_is_skipped(scene: Scene, source: EvmWalletSource) -> None:
    with EvmNode.start(chain_id=10) as optimism:
        result = await sync(source, scene.spec(rpcUrls=[optimism.url, scene.node.url]), 0)
        with pytest.raises(SyncError) as caught:
            await sync(source, scene.spec(rpcUrls=[optimism.url]), 0)

    assert len(result.transactions) == 8
    assert str(caught.value) == (
        f"Ethereum: No RPC node answered ({host(optimism.url)}: serves chain 10, expected 1)"
    )


async def test_the_chain_id_is_asked_once_per_node(scene: Scene, source: EvmWalletSource) -> None:
    await sync(source, scene.spec(), 0)
    await sync(source, scene.spec(), 0)

    methods = [m for r in scene.node.requests() for m in r]
    assert methods.count("eth_chainId") == 1
    assert methods.count("eth_blockNumber") == 2


async def test_a_pool_without_answers_raises_rpc_unavailable() -> None:
    dead = dead_url()
    pool = RpcPool([dead], 1, HostRateLimiter(1000, 1000), retry_delay_s=0.001)
    try:
        with pytest.raises(RpcUnavailable) as caught:
            await pool.run(block_number)
    finally:
        await pool.close()

    assert str(caught.value) == (
        f"No RPC node answered in 4 attempts ({host(dead)}: connection failed)"
    )


async def test_a_node_that_never_answers_is_described_as_timed_out() -> None:
    with socket.socket() as silent:  # connections queue in its backlog, and nothing answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        pool = RpcPool([url], 1, HostRateLimiter(1000, 1000), timeout_s=0.2, retry_delay_s=0.001)
        try:
            with pytest.raises(RpcUnavailable) as caught:
                await pool.run(block_number)
        finally:
            await pool.close()

    assert str(caught.value) == f"No RPC node answered in 4 attempts ({host(url)}: timed out)"
