"""An explorer that lags behind the RPC node loses no transaction: a sync leaves the newest
blocks (the chain's ``confirmations``) for a later sync."""

from privatefolio_daemon.sources.connection_source import ConnectionSpec
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.sources.evm.wallet_scene import CONNECTION_ID, Scene, day

ETHEREUM_CONFIRMATIONS = 12


def default_spec(scene: Scene) -> ConnectionSpec:
    """The scene's connection without its ``confirmations: 0``: Ethereum's default applies."""
    spec = scene.spec()
    del spec.options["confirmations"]
    return spec


async def test_a_deposit_the_explorer_does_not_show_yet_arrives_with_a_later_sync(
    scene: Scene, source: EvmWalletSource
) -> None:
    scene.node.mine_blocks(ETHEREUM_CONFIRMATIONS)
    scene.etherscan.lag_behind(2)
    messages: list[str | None] = []
    spec = default_spec(scene)

    def progress(percent: float | None, message: str | None) -> None:
        messages.append(message)

    first = await source.sync(spec, 0, progress)
    assert len(first.logs) == 9
    head = scene.node.block_number()
    assert first.cursor == head - ETHEREUM_CONFIRMATIONS + 1
    assert messages[-1] == (
        f"Synced up to block {head - ETHEREUM_CONFIRMATIONS}; "
        f"blocks {head - ETHEREUM_CONFIRMATIONS + 1} to {head} wait for a later sync"
    )

    deposit = scene.at(day(9)).node.send_eth(scene.bob, scene.alice, 2 * 10**16)
    while_lagging = await source.sync(spec, first.cursor, progress)
    assert while_lagging.logs == []
    assert while_lagging.cursor == scene.node.block_number() - ETHEREUM_CONFIRMATIONS + 1

    scene.node.mine_blocks(ETHEREUM_CONFIRMATIONS)
    later = await source.sync(spec, while_lagging.cursor, progress)

    tx_id = f"{CONNECTION_ID}_{deposit}_NORMAL_0"
    assert [(log.id, log.change) for log in later.logs] == [(f"{tx_id}_VALUE_0", "0.02")]
    assert later.cursor == scene.node.block_number() - ETHEREUM_CONFIRMATIONS + 1


async def test_the_confirmations_option_sets_how_many_blocks_wait(
    scene: Scene, source: EvmWalletSource
) -> None:
    head = scene.node.block_number()

    result = await source.sync(scene.spec(confirmations=3), 0, lambda *_: None)

    assert result.cursor == head - 3 + 1
    assert scene.hashes["failed"] not in {log.id.split("_")[1] for log in result.logs}


async def test_an_explorer_further_behind_than_the_confirmations_holds_the_cursor_back(
    scene: Scene, source: EvmWalletSource
) -> None:
    """Blocks it has not indexed would read as empty, and the cursor would pass them for good."""
    spec = scene.spec(confirmations=1)
    everything = await source.sync(spec, 0, lambda *_: None)
    scene.etherscan.lag_behind(3)
    messages: list[str | None] = []
    head = scene.node.block_number()
    indexed = head - 3

    first = await source.sync(spec, 0, lambda _, message: messages.append(message))

    assert first.cursor == indexed + 1
    assert messages[-1] == (
        f"Synced up to block {indexed}; blocks {indexed + 1} to {head} wait for a later sync "
        "(the explorer has not indexed them yet)"
    )
    scene.etherscan.lag_behind(0)
    later = await source.sync(spec, first.cursor, lambda *_: None)
    assert len(first.logs) < len(everything.logs)
    assert sorted(log.id for log in [*first.logs, *later.logs]) == sorted(
        log.id for log in everything.logs
    )
