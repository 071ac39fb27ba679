"""A Binance connection synced again from its start (saved again) writes its transactions again
with the exchange's values, except the fields a user patched, which keep the user's."""

from dataclasses import replace
from typing import Any

from privatefolio_daemon.client import DaemonClient
from tests.api.importing import wait_for_task
from tests.connections.binance_scene import API_KEY, CONNECTION_ID, BinanceScene, new_connection
from tests.connections.helpers import ACCOUNT, sync, transactions_of


async def synced_again(client: DaemonClient) -> None:
    """Saved again, which sends the cursor back to the start, and synced."""
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    assert (await sync(client, CONNECTION_ID))["status"] == "completed"


async def by_type(client: DaemonClient) -> dict[str, dict[str, Any]]:
    return {tx["type"]: tx for tx in await transactions_of(client, CONNECTION_ID)}


def correct_the_trade(binance: BinanceScene, price: str) -> None:
    """The exchange corrects the price of the account's trade (0.01 BTC)."""
    trades = binance.standin.accounts[API_KEY].trades
    trades[0] = replace(trades[0], price=price)


async def test_a_sync_again_keeps_the_patched_fields_and_takes_the_others_from_the_exchange(
    client: DaemonClient, binance: BinanceScene
) -> None:
    await synced_again(client)
    first = await by_type(client)
    deposit, swap, withdrawal = first["Deposit"], first["Swap"], first["Withdraw"]
    assert (swap["price"], swap["outgoing"]) == ("30000", "300")
    deposit_patch = {
        "type": "Gift",
        "price": "1.0002",
        "role": "from mum",
        "metadata": {"reference": "birthday"},
    }
    swap_patch = {"type": "Buy", "role": "maker", "metadata": {"desk": "OTC"}}
    await client.call("patchTransaction", ACCOUNT, deposit["id"], deposit_patch)
    await client.call("patchTransaction", ACCOUNT, swap["id"], swap_patch)
    correct_the_trade(binance, "31000")

    await synced_again(client)

    again = {tx["id"]: tx for tx in await transactions_of(client, CONNECTION_ID)}
    assert again == {
        deposit["id"]: deposit | deposit_patch,
        swap["id"]: swap | swap_patch | {"price": "31000", "outgoing": "310"},
        withdrawal["id"]: withdrawal,
    }


async def test_a_patched_field_is_forgotten_with_its_transaction(
    client: DaemonClient, binance: BinanceScene
) -> None:
    """The connection's ledger deleted (reset) and synced again: the trade is the exchange's,
    and takes the exchange's later correction too."""
    await synced_again(client)
    swap = (await by_type(client))["Swap"]
    await client.call("patchTransaction", ACCOUNT, swap["id"], {"price": "29000"})
    reset = await client.call("enqueueResetConnection", ACCOUNT, "user", CONNECTION_ID)
    assert (await wait_for_task(client, reset))["status"] == "completed"
    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    assert (await by_type(client))["Swap"]["price"] == "30000"
    correct_the_trade(binance, "31000")

    await synced_again(client)

    assert (await by_type(client))["Swap"] == swap | {"price": "31000", "outgoing": "310"}
