"""Without an explorer the native coin cannot be booked; the task log says so and how to fix it."""

from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.sources.evm.wallet_scene import ETH, Scene


async def test_the_log_gives_the_native_balance_the_ledger_cannot_hold(
    scene: Scene, source: EvmWalletSource
) -> None:
    messages: list[str | None] = []

    def progress(percent: float | None, message: str | None) -> None:
        messages.append(message)

    result = await source.sync(scene.spec(explorer=False), 0, progress)

    assert result.balances is not None
    balance = result.balances[ETH]
    assert {log.assetId for log in result.logs} == {scene.tusd}
    assert (
        f"Without an explorer, ETH transfers cannot be listed, so the ledger holds none of this "
        f"wallet's ETH: its on-chain balance is {balance} ETH at block "
        f"{scene.node.block_number()}. Configure an explorer (its API URL and an API key) to book "
        "ETH transfers and fees"
    ) in messages


async def test_with_an_explorer_the_log_does_not_warn(
    scene: Scene, source: EvmWalletSource
) -> None:
    messages: list[str | None] = []

    await source.sync(scene.spec(), 0, lambda _, message: messages.append(message))

    assert not [m for m in messages if m and m.startswith("Without an explorer")]
