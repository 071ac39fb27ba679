"""An EVM wallet connection synced through the daemon: real RPC, web3 and the local chain."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import wait_for_task
from tests.connections.evm_scene import ETH, PLATFORM, WalletScene, day, ether, wallet_scene
from tests.connections.helpers import (
    ACCOUNT,
    connection_of,
    cursor_of,
    latest_daily_balances,
    ledger_rows,
    logs_of,
    sync,
    task_log,
)


@pytest.fixture
def scene() -> Iterator[WalletScene]:
    with wallet_scene() as built:
        yield built


LogKey = tuple[str, str, str, int, str, str]


def expected_logs(scene: WalletScene, *, later: bool = False) -> dict[str, LogKey]:
    """``{id: (assetId, change, operation, timestamp, wallet, <connection>_<txHash>)}`` of
    Alice's history (the txId's kind is left out: auto-merge may change it to ``MERGED``)."""
    cid, alice = scene.connection_id, scene.alice
    expected: dict[str, LogKey] = {}

    def log(name: str, kind: str, suffix: str, asset: str, change: str, op: str, at: int) -> None:
        tx_id = f"{cid}_{scene.hashes[name]}"
        expected[f"{tx_id}_{kind}_0_{suffix}"] = (asset, change, op, at * 1000, alice, tx_id)

    log("fund", "NORMAL", "VALUE_0", ETH, "3", "Deposit", day(1))
    log("mint", "ERC20", "TRANSFER_0", scene.tusd, "1000", "Deposit", day(2))
    log("send_eth", "NORMAL", "VALUE_0", ETH, "-0.25", "Withdraw", day(3))
    log("send_eth", "NORMAL", "FEE_0", ETH, scene.fee("send_eth"), "Fee", day(3))
    log("send_tusd", "NORMAL", "FEE_0", ETH, scene.fee("send_tusd"), "Fee", day(4))
    log("send_tusd", "ERC20", "TRANSFER_0", scene.tusd, "-200", "Withdraw", day(4))
    log("receive_tusd", "ERC20", "TRANSFER_0", scene.tusd, "50", "Deposit", day(5))
    if later:
        log("receive_eth", "NORMAL", "VALUE_0", ETH, "0.1", "Deposit", day(8))
        log("send_tusd_2", "NORMAL", "FEE_0", ETH, scene.fee("send_tusd_2"), "Fee", day(9))
        log("send_tusd_2", "ERC20", "TRANSFER_0", scene.tusd, "-10", "Withdraw", day(9))
    return expected


def keyed(logs: list[dict[str, Any]]) -> dict[str, LogKey]:
    return {
        log["id"]: (
            log["assetId"],
            log["change"],
            log["operation"],
            log["timestamp"],
            log["wallet"],
            "_".join(log["txId"].split("_")[:2]),
        )
        for log in logs
    }


async def assert_balances_match_chain(
    client: DaemonClient, daemon: Daemon, scene: WalletScene, sync_task: int
) -> None:
    """The side effects of the sync refresh the daily balances; the last day's equal
    ``get_balance`` and ``balanceOf`` at the head."""
    on_chain = {asset: Decimal(value) for asset, value in scene.chain_balances().items()}
    daily = await latest_daily_balances(client, daemon, sync_task)
    assert {asset: Decimal(daily[asset]) for asset in on_chain} == on_chain


async def test_a_wallet_syncs_then_adds_nothing_then_takes_new_transfers(
    daemon: Daemon, client: DaemonClient, scene: WalletScene
) -> None:
    scene.make_first_history()
    audit_events: list[tuple[Any, ...]] = []
    await client.call("subscribeToAuditLogs", ACCOUNT, lambda *args: audit_events.append(args))
    [created] = await client.call("upsertConnections", ACCOUNT, [scene.new_connection()])
    cid = scene.connection_id
    assert created["id"] == cid
    assert created["address"] == scene.alice  # checksummed

    task = await sync(client, cid)
    assert (task["name"], task["status"], task["priority"]) == (
        "Sync connection #1",
        "completed",
        7,
    )
    assert keyed(await logs_of(client, cid)) == expected_logs(scene)
    first_cursor = scene.node.block_number() + 1
    assert await cursor_of(client, cid) == first_cursor
    connection = await connection_of(client, cid)
    assert connection["meta"] == {
        "assetIds": sorted([ETH, scene.tusd]),
        "logs": 7,
        "operations": ["Deposit", "Fee", "Withdraw"],
        "rows": 6,
        "transactions": 6,
        "wallets": [scene.alice],
    }
    assert connection["syncedAt"] >= connection["timestamp"]
    assert ("created", day(1) * 1000, None) in audit_events
    await assert_balances_match_chain(client, daemon, scene, task["id"])

    # Nothing new on the chain: nothing changes, and the cursor stays where it was.
    before = await ledger_rows(daemon)
    events_before = len(audit_events)
    again = await sync(client, cid)
    assert again["status"] == "completed"
    assert await ledger_rows(daemon) == before
    assert await cursor_of(client, cid) == first_cursor
    assert (await connection_of(client, cid))["meta"] == connection["meta"]
    assert len(audit_events) == events_before
    assert (await task_log(client, again["id"]))[-1] == (
        f'[100,"Synced connection #1: it holds 7 audit logs and 6 transactions; '
        f'next sync from {first_cursor}"]'
    )

    scene.make_later_history()
    third = await sync(client, cid)
    assert third["status"] == "completed"
    assert keyed(await logs_of(client, cid)) == expected_logs(scene, later=True)
    assert await cursor_of(client, cid) == scene.node.block_number() + 1
    assert (await connection_of(client, cid))["meta"]["logs"] == 10
    await assert_balances_match_chain(client, daemon, scene, third["id"])


async def test_verify_balances_reports_what_the_chain_has_that_the_ledger_lacks(
    daemon: Daemon, client: DaemonClient, scene: WalletScene
) -> None:
    scene.make_first_history()
    await client.call("upsertConnections", ACCOUNT, [scene.new_connection()])
    assert (await sync(client, scene.connection_id))["status"] == "completed"
    label = f"{scene.alice} on {PLATFORM}"

    matching = await client.call("enqueueVerifyBalances", ACCOUNT, "user")
    task = await wait_for_task(client, matching)
    assert (task["name"], task["status"], task["priority"]) == ("Verify balances", "completed", 3)
    assert (await task_log(client, matching))[1:] == [
        '[0,"Verifying the balances of 1 EVM wallets"]',
        f'[null,"{label}: the balances match the chain"]',
        '[100,"Found 0 differences"]',
    ]

    # A transfer the ledger has not synced yet: 1 TUSD out, and its fee in ETH.
    before = scene.chain_balances()
    scene.hashes["unsynced"] = scene.at(day(7)).transfer_token(
        scene.token, scene.alice, scene.bob, 10**6
    )
    after = scene.chain_balances()
    fee = scene.fee("unsynced")
    differing = await client.call("enqueueVerifyBalances", ACCOUNT, "user")
    assert (await wait_for_task(client, differing))["status"] == "completed"
    assert (await task_log(client, differing))[2:4] == [
        f'[null,"{label}: {ETH}: computed {before[ETH]}, on-chain {after[ETH]}, difference {fee}"]',
        f'[null,"{label}: {scene.tusd}: computed 850, on-chain 849, difference -1"]',
    ]
    assert (await task_log(client, differing))[-1] == '[100,"Found 2 differences"]'


async def test_verify_balances_checks_a_token_whose_symbol_holds_a_colon(
    daemon: Daemon, client: DaemonClient, scene: WalletScene
) -> None:
    pool_token = scene.node.deploy_token("Pool share", "LP:ETH-USDC", 6)
    lp = f"{PLATFORM}:{pool_token}:LP:ETH-USDC"
    scene.hashes["fund"] = scene.at(day(1)).send_eth(scene.node.faucet, scene.alice, 10**18)
    scene.hashes["mint"] = scene.at(day(2)).mint(pool_token, scene.alice, 5 * 10**6)
    await client.call("upsertConnections", ACCOUNT, [scene.new_connection()])
    assert (await sync(client, scene.connection_id))["status"] == "completed"
    assert {log["assetId"] for log in await logs_of(client, scene.connection_id)} == {ETH, lp}

    # Not synced yet: all 5 LP:ETH-USDC go to Bob, and the fee in ETH.
    scene.hashes["unsynced"] = scene.at(day(3)).transfer_token(
        pool_token, scene.alice, scene.bob, 5 * 10**6
    )
    fee = scene.fee("unsynced")
    on_chain = ether(scene.node.balance(scene.alice))
    verify = await client.call("enqueueVerifyBalances", ACCOUNT, "user")
    assert (await wait_for_task(client, verify))["status"] == "completed"
    label = f"{scene.alice} on {PLATFORM}"
    assert sorted((await task_log(client, verify))[2:-1]) == sorted(
        [
            f'[null,"{label}: {ETH}: computed 1, on-chain {on_chain}, difference {fee}"]',
            f'[null,"{label}: {lp}: computed 5, on-chain 0, difference -5"]',
        ]
    )
    assert (await task_log(client, verify))[-1] == '[100,"Found 2 differences"]'
