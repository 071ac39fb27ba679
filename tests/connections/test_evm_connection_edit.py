"""An EVM wallet connection edited after its sync (an option changed) syncs again from its start:
the transactions auto-merge had merged are written again, and the ledger ends as it was."""

from collections.abc import Iterator

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.connections.evm_scene import WalletScene, wallet_scene
from tests.connections.helpers import (
    ACCOUNT,
    connection_of,
    cursor_of,
    ledger_rows,
    side_effects_done,
    sync,
)


@pytest.fixture
def scene() -> Iterator[WalletScene]:
    with wallet_scene() as built:
        built.make_first_history()
        yield built


async def synced_and_merged(client: DaemonClient, connection_id: str) -> None:
    task = await sync(client, connection_id)
    assert task["status"] == "completed"
    await side_effects_done(client, task["id"])


async def wallet_synced_and_merged(client: DaemonClient, scene: WalletScene) -> tuple[str, str]:
    """The scene's wallet added and synced; its id and that of its merged token send."""
    cid = scene.connection_id
    await client.call("upsertConnections", ACCOUNT, [scene.new_connection()])
    await synced_and_merged(client, cid)
    return cid, f"{cid}_{scene.hashes['send_tusd']}_MERGED"


async def test_an_edited_wallet_synced_again_keeps_its_ledger_and_merges(
    daemon: Daemon, client: DaemonClient, scene: WalletScene
) -> None:
    cid, merged_id = await wallet_synced_and_merged(client, scene)
    await client.call("assignTagToTransaction", ACCOUNT, merged_id, "checked")
    before = await ledger_rows(daemon)
    meta = (await connection_of(client, cid))["meta"]
    assert await client.call("countTransactions", ACCOUNT) == 5

    edited = scene.new_connection()
    edited["options"]["confirmations"] = 1
    await client.call("upsertConnections", ACCOUNT, [edited])
    assert await cursor_of(client, cid) == 0
    await synced_and_merged(client, cid)

    assert await client.call("countTransactions", ACCOUNT) == 5
    assert await ledger_rows(daemon) == before
    assert (await connection_of(client, cid))["meta"] == meta
    tags = await client.call("getTagsForTransaction", ACCOUNT, merged_id)
    assert [tag["name"] for tag in tags] == ["checked"]


async def test_an_edited_wallet_synced_again_keeps_the_merges_it_shares_with_another(
    daemon: Daemon, client: DaemonClient, scene: WalletScene
) -> None:
    """Alice's and Bob's wallets both hold their transfers to each other: merged across the two
    connections, and merged the same way after Alice's connection is edited."""
    bob = {**scene.new_connection(), "address": scene.bob.lower()}
    [_, bob_connection] = await client.call(
        "upsertConnections", ACCOUNT, [scene.new_connection(), bob]
    )
    await synced_and_merged(client, scene.connection_id)
    await synced_and_merged(client, bob_connection["id"])
    for tx in await client.call("getTransactions", ACCOUNT):
        await client.call("patchTransaction", ACCOUNT, tx["id"], {"notes": f"seen {tx['id']}"})
    before = await ledger_rows(daemon)
    count = await client.call("countTransactions", ACCOUNT)

    edited = scene.new_connection()
    edited["options"]["confirmations"] = 1
    await client.call("upsertConnections", ACCOUNT, [edited])
    await synced_and_merged(client, scene.connection_id)

    assert await client.call("countTransactions", ACCOUNT) == count
    assert await ledger_rows(daemon) == before


async def test_an_edited_wallet_synced_again_keeps_the_notes_a_user_wrote(
    daemon: Daemon, client: DaemonClient, scene: WalletScene
) -> None:
    cid, merged_id = await wallet_synced_and_merged(client, scene)
    [funding] = [
        tx["id"]
        for tx in await client.call("getTransactions", ACCOUNT)
        if tx["metadata"]["txHash"] == scene.hashes["fund"]
    ]
    await client.call("patchTransaction", ACCOUNT, merged_id, {"notes": "rent for Bob"})
    await client.call("patchTransaction", ACCOUNT, funding, {"notes": "from the faucet"})

    edited = scene.new_connection()
    edited["options"]["confirmations"] = 1
    await client.call("upsertConnections", ACCOUNT, [edited])
    await synced_and_merged(client, cid)

    notes = {tx["id"]: tx.get("notes") for tx in await client.call("getTransactions", ACCOUNT)}
    assert {tx_id: note for tx_id, note in notes.items() if note} == {
        merged_id: "rent for Bob",
        funding: "from the faucet",
    }


async def test_an_edited_wallet_synced_again_keeps_the_fields_a_user_patched(
    client: DaemonClient, scene: WalletScene
) -> None:
    """On the merged token send, and on a transaction no merge stands for."""
    cid, merged_id = await wallet_synced_and_merged(client, scene)
    sent = await client.call("getTransaction", ACCOUNT, merged_id)
    [funding] = [
        tx
        for tx in await client.call("getTransactions", ACCOUNT)
        if tx["metadata"]["txHash"] == scene.hashes["fund"]
    ]
    sent_patch = {
        "type": "Gift",
        "price": "0.98",
        "role": "payer",
        "metadata": sent["metadata"] | {"memo": "rent for Bob"},
    }
    await client.call("patchTransaction", ACCOUNT, merged_id, sent_patch)
    await client.call("patchTransaction", ACCOUNT, funding["id"], {"role": "faucet"})
    before = await client.call("getTransactions", ACCOUNT)

    edited = scene.new_connection()
    edited["options"]["confirmations"] = 1
    await client.call("upsertConnections", ACCOUNT, [edited])
    await synced_and_merged(client, cid)

    assert await client.call("getTransaction", ACCOUNT, merged_id) == sent | sent_patch
    assert await client.call("getTransaction", ACCOUNT, funding["id"]) == funding | {
        "role": "faucet"
    }
    assert await client.call("getTransactions", ACCOUNT) == before
