"""``eth_getLogs`` ranges adapt to the node's limits without losing or repeating a transfer."""

from collections.abc import AsyncIterator

import pytest
from web3.exceptions import Web3RPCError

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.evm.rpc_pool import RpcPool
from privatefolio_daemon.sources.evm.transfer_logs import (
    RawTransfer,
    TransferLogScanner,
    _range_refusal,
)
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter
from tests.sources.evm.wallet_scene import Scene, sync, wire


@pytest.fixture
async def pool(scene: Scene) -> AsyncIterator[RpcPool]:
    rpc_pool = RpcPool([scene.node.url], 1, HostRateLimiter(1000, 1000))
    yield rpc_pool
    await rpc_pool.close()


def expected_transfers(scene: Scene) -> list[RawTransfer]:
    h, node, token, alice, bob = scene.hashes, scene.node, scene.token, scene.alice, scene.bob
    zero = "0x0000000000000000000000000000000000000000"

    def block(tx_hash: str) -> int:
        return int(node.receipt(tx_hash)["blockNumber"], 16)

    return [
        RawTransfer(h["mint"], block(h["mint"]), 0, token, zero, alice, 10**9),
        RawTransfer(h["send_tusd"], block(h["send_tusd"]), 0, token, alice, bob, 250 * 10**6),
        RawTransfer(h["receive_tusd"], block(h["receive_tusd"]), 0, token, bob, alice, 10**8),
    ]


async def test_a_refused_range_shrinks_to_the_limit_in_the_error(
    scene: Scene, pool: RpcPool
) -> None:
    scene.node.limit_logs(max_block_range=3)
    scanner = TransferLogScanner(pool, initial_range=100, grow_after=100)

    transfers = await scanner.scan(scene.alice, 0, scene.node.block_number())

    assert transfers == expected_transfers(scene)
    assert scanner.range == 3
    # 2 refused queries, then blocks 0-2, 3-5, 6-8, 9-10 with two queries each.
    assert sum(r.count("eth_getLogs") for r in scene.node.requests()) == 2 + 4 * 2


async def test_too_many_results_shrinks_to_the_suggested_range(scene: Scene, pool: RpcPool) -> None:
    scene.node.limit_logs(max_results=1)
    scanner = TransferLogScanner(pool, initial_range=100, grow_after=100)

    transfers = await scanner.scan(scene.alice, 0, scene.node.block_number())

    assert transfers == expected_transfers(scene)
    assert scanner.range < 100


async def test_the_range_grows_again_after_successes(scene: Scene, pool: RpcPool) -> None:
    scanner = TransferLogScanner(pool, initial_range=1, grow_after=1)

    transfers = await scanner.scan(scene.alice, 0, scene.node.block_number())

    assert transfers == expected_transfers(scene)
    assert scene.node.block_number() == 10
    assert scanner.range == 16  # blocks 0, 1-2, 3-6, 7-10


async def test_a_single_refused_block_is_a_sync_error(scene: Scene, pool: RpcPool) -> None:
    scene.node.limit_logs(max_results=0)
    scanner = TransferLogScanner(pool, initial_range=4)

    with pytest.raises(SyncError) as caught:
        await scanner.scan(scene.alice, 0, scene.node.block_number())

    assert str(caught.value) == "The RPC node refuses eth_getLogs even for a single block"


async def test_a_limited_node_gives_the_records_of_an_unlimited_one(scene: Scene) -> None:
    source, fresh = EvmWalletSource(), EvmWalletSource()
    try:
        unlimited = await sync(source, scene.spec(explorer=False), 0)
        scene.node.limit_logs(max_block_range=2, max_results=1)
        limited = await sync(fresh, scene.spec(explorer=False), 0)
    finally:
        await source.close()
        await fresh.close()

    assert wire(limited) == wire(unlimited)
    assert len(limited.logs) == 3


def test_an_alchemy_style_suggestion_is_understood() -> None:
    message = (
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block "
        "range and no limit on the response size, or you can request any block range with a cap "
        "of 10K logs in the response. Based on your parameters, this block range should work: "
        "[0x10, 0x2f]"
    )
    error = Web3RPCError(message, rpc_response={"error": {"code": -32602, "message": message}})

    refusal = _range_refusal(error)

    assert refusal is not None and refusal.suggested == 32


def test_other_errors_are_not_range_refusals() -> None:
    error = Web3RPCError("boom", rpc_response={"error": {"code": -32000, "message": "boom"}})

    assert _range_refusal(error) is None
