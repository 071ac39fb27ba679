"""A transfer from the wallet to itself moves nothing: only its gas fee leaves."""

from decimal import Decimal

from privatefolio_daemon.sources.connection_source import SyncResult
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.sources.evm.wallet_scene import CONNECTION_ID, ETH, Scene, day, sync


def sums(result: SyncResult) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for log in result.logs:
        totals[log.assetId] = totals.get(log.assetId, Decimal(0)) + Decimal(log.change)
    return totals


def make_self_transfers(scene: Scene) -> None:
    """Day 7: Alice sends herself 0.5 ETH; day 8: she sends herself 100 TUSD."""
    alice = scene.alice
    scene.hashes["self_eth"] = scene.at(day(7)).node.send_eth(alice, alice, 5 * 10**17)
    scene.hashes["self_tusd"] = scene.at(day(8)).node.transfer_token(
        scene.token, alice, alice, 100 * 10**6
    )


async def test_a_self_transfer_books_only_its_fee_with_an_explorer(
    scene: Scene, source: EvmWalletSource
) -> None:
    make_self_transfers(scene)

    result = await sync(source, scene.spec(), 0)

    assert sums(result)[scene.tusd] == Decimal(node_tokens(scene)) / 10**6
    for name in ("self_eth", "self_tusd"):
        tx_hash = scene.hashes[name]
        prefix = f"{CONNECTION_ID}_{tx_hash}_"
        booked = [(log.id[len(prefix) :], log.change) for log in result.logs if tx_hash in log.id]
        fee = "-" + format(Decimal(scene.fee(tx_hash)) / 10**18, "f")
        assert booked == [("NORMAL_0_FEE_0", fee)]
    # The scene's registered internal transfer (0.1 ETH) exists only on the explorer.
    on_chain = Decimal(scene.node.balance(scene.alice)) / 10**18
    assert sums(result)[ETH] == on_chain + Decimal("0.1")


async def test_a_self_transfer_of_tokens_books_nothing_from_logs(
    scene: Scene, source: EvmWalletSource
) -> None:
    make_self_transfers(scene)

    result = await sync(source, scene.spec(explorer=False), 0)

    assert sums(result)[scene.tusd] == Decimal(node_tokens(scene)) / 10**6
    assert not [log for log in result.logs if scene.hashes["self_tusd"] in log.id]


def node_tokens(scene: Scene) -> int:
    return scene.node.token_balance(scene.token, scene.alice)
