"""A wallet connection syncs its history from the explorer stand-in with the real web3 client."""

from decimal import Decimal
from typing import Any

from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.sources.evm.wallet_scene import (
    CONNECTION_ID,
    ETH,
    PLATFORM,
    Scene,
    day,
    sync,
    wire,
)


def ether(wei: int) -> str:
    return format((Decimal(wei) / 10**18).normalize(), "f")


def expected_history(scene: Scene) -> tuple[dict[str, Any], dict[str, Any]]:
    h, alice = scene.hashes, scene.alice
    base = {"connectionId": CONNECTION_ID, "platformId": PLATFORM, "wallet": alice}
    logs: dict[str, Any] = {}
    txs: dict[str, Any] = {}

    def tx(suffix: str, tx_hash: str, ts: int, **fields: Any) -> str:
        tx_id = f"{CONNECTION_ID}_{tx_hash}_{suffix}"
        txs[tx_id] = {"id": tx_id, **base, "timestamp": ts * 1000, **fields}
        return tx_id

    def log(tx_id: str, suffix: str, ts: int, **fields: Any) -> None:
        log_id = f"{tx_id}_{suffix}"
        logs[log_id] = {"id": log_id, **base, "timestamp": ts * 1000, "txId": tx_id, **fields}

    def fee(tx_hash: str) -> str:
        return "-" + ether(scene.fee(tx_hash))

    fund = tx(
        "NORMAL_0",
        h["fund"],
        day(1),
        type="Deposit",
        incomingAsset=ETH,
        incoming="2",
        metadata={"method": "Transfer", "txHash": h["fund"]},
    )
    log(fund, "VALUE_0", day(1), assetId=ETH, change="2", importIndex=0, operation="Deposit")

    mint = tx(
        "ERC20_0",
        h["mint"],
        day(2),
        type="Deposit",
        incomingAsset=scene.tusd,
        incoming="1000",
        metadata={"contractAddress": scene.token, "txHash": h["mint"]},
    )
    log(
        mint,
        "TRANSFER_0",
        day(2),
        assetId=scene.tusd,
        change="1000",
        importIndex=0,
        operation="Deposit",
    )

    send = tx(
        "NORMAL_0",
        h["send_eth"],
        day(3),
        type="Withdraw",
        outgoingAsset=ETH,
        outgoing="0.5",
        feeAsset=ETH,
        fee=fee(h["send_eth"]),
        metadata={"method": "Transfer", "txHash": h["send_eth"]},
    )
    log(send, "VALUE_0", day(3), assetId=ETH, change="-0.5", importIndex=0, operation="Withdraw")
    log(
        send,
        "FEE_0",
        day(3),
        assetId=ETH,
        change=fee(h["send_eth"]),
        importIndex=0.1,
        operation="Fee",
    )

    call = tx(
        "NORMAL_0",
        h["send_tusd"],
        day(4),
        type="Unknown",
        feeAsset=ETH,
        fee=fee(h["send_tusd"]),
        metadata={"method": "Transfer", "txHash": h["send_tusd"]},
    )
    log(
        call,
        "FEE_0",
        day(4),
        assetId=ETH,
        change=fee(h["send_tusd"]),
        importIndex=0.1,
        operation="Fee",
    )
    sent = tx(
        "ERC20_0",
        h["send_tusd"],
        day(4),
        type="Withdraw",
        outgoingAsset=scene.tusd,
        outgoing="250",
        metadata={"contractAddress": scene.token, "txHash": h["send_tusd"]},
    )
    log(
        sent,
        "TRANSFER_0",
        day(4),
        assetId=scene.tusd,
        change="-250",
        importIndex=0,
        operation="Withdraw",
    )

    got = tx(
        "ERC20_0",
        h["receive_tusd"],
        day(5),
        type="Deposit",
        incomingAsset=scene.tusd,
        incoming="100",
        metadata={"contractAddress": scene.token, "txHash": h["receive_tusd"]},
    )
    log(
        got,
        "TRANSFER_0",
        day(5),
        assetId=scene.tusd,
        change="100",
        importIndex=0,
        operation="Deposit",
    )
    internal = tx(
        "INTERNAL_0",
        h["receive_tusd"],
        day(5),
        type="Deposit",
        incomingAsset=ETH,
        incoming="0.1",
        metadata={"txHash": h["receive_tusd"]},
    )
    log(internal, "VALUE_0", day(5), assetId=ETH, change="0.1", importIndex=0, operation="Deposit")

    failed = tx(
        "NORMAL_0",
        h["failed"],
        day(6),
        type="Unknown",
        feeAsset=ETH,
        fee=fee(h["failed"]),
        metadata={"failed": True, "method": "Transfer", "txHash": h["failed"]},
    )
    log(
        failed,
        "FEE_0",
        day(6),
        assetId=ETH,
        change=fee(h["failed"]),
        importIndex=0.1,
        operation="Fee",
    )
    return logs, txs


async def test_a_first_sync_books_the_whole_history_as_the_etherscan_importers_do(
    scene: Scene, source: EvmWalletSource
) -> None:
    result = await sync(source, scene.spec(), 0)

    assert wire(result) == expected_history(scene)
    assert {log.fileImportId for log in result.logs} == {None}
    assert result.cursor == scene.node.block_number() + 1
    assert result.balances == {
        ETH: ether(scene.node.balance(scene.alice)),
        scene.tusd: "850",
    }


async def test_a_sync_with_nothing_new_keeps_the_cursor_and_returns_no_records(
    scene: Scene, source: EvmWalletSource
) -> None:
    first = await sync(source, scene.spec(), 0)
    assert first.cursor is not None

    again = await sync(source, scene.spec(), first.cursor)

    assert (again.logs, again.transactions, again.cursor) == ([], [], first.cursor)
    assert again.balances == {ETH: ether(scene.node.balance(scene.alice))}


async def test_new_transfers_arrive_on_the_next_sync_only(
    scene: Scene, source: EvmWalletSource
) -> None:
    first = await sync(source, scene.spec(), 0)
    assert first.cursor is not None
    tx_hash = scene.at(day(9)).node.transfer_token(scene.token, scene.bob, scene.alice, 5 * 10**6)

    later = await sync(source, scene.spec(knownAssetIds=[scene.tusd]), first.cursor)

    tx_id = f"{CONNECTION_ID}_{tx_hash}_ERC20_0"
    assert [log.id for log in later.logs] == [f"{tx_id}_TRANSFER_0"]
    assert [(log.change, log.timestamp) for log in later.logs] == [("5", day(9) * 1000)]
    assert [tx.id for tx in later.transactions] == [tx_id]
    assert later.cursor == scene.node.block_number() + 1
    assert later.balances is not None and later.balances[scene.tusd] == "855"


async def test_incremental_syncs_give_the_same_records_as_one_sync_from_scratch(
    scene: Scene, source: EvmWalletSource
) -> None:
    first = await sync(source, scene.spec(), 0)
    assert first.cursor is not None
    scene.at(day(10)).node.send_eth(scene.alice, scene.bob, 10**18)
    scene.at(day(11)).node.transfer_token(scene.token, scene.bob, scene.alice, 7 * 10**6)
    second = await sync(source, scene.spec(), first.cursor)

    from_scratch = await sync(source, scene.spec(), 0)

    first_logs, first_txs = wire(first)
    second_logs, second_txs = wire(second)
    assert (len(second_logs), len(second_txs)) == (3, 2)
    assert wire(from_scratch) == ({**first_logs, **second_logs}, {**first_txs, **second_txs})
    assert from_scratch.cursor == second.cursor == scene.node.block_number() + 1


async def test_without_an_explorer_erc20_records_come_from_logs_and_match_the_explorer(
    scene: Scene, source: EvmWalletSource
) -> None:
    from_explorer = await sync(source, scene.spec(), 0)
    logs_source = EvmWalletSource()
    try:
        from_logs = await sync(logs_source, scene.spec(explorer=False), 0)
    finally:
        await logs_source.close()

    logs, txs = wire(from_explorer)
    assert wire(from_logs) == (
        {k: v for k, v in logs.items() if "_ERC20_" in k},
        {k: v for k, v in txs.items() if "_ERC20_" in k},
    )
    assert from_logs.balances == from_explorer.balances
    explorer_calls = [q["action"] for q in scene.etherscan.requests()]
    assert explorer_calls == ["getblocknobytime", "txlist", "txlistinternal", "tokentx"]


async def test_explorer_pages_are_followed_to_the_end(
    scene: Scene, source: EvmWalletSource
) -> None:
    paged = await sync(source, scene.spec(explorerPageSize=2), 0)

    assert wire(paged) == expected_history(scene)
    pages = [(q["action"], q["page"]) for q in scene.etherscan.requests() if q["module"] != "block"]
    assert pages == [
        ("txlist", "1"),
        ("txlist", "2"),
        ("txlist", "3"),
        ("txlistinternal", "1"),
        ("tokentx", "1"),
        ("tokentx", "2"),
    ]
