"""Rows whose ids hash alike are all imported, so the balances hold every one of them."""

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file
from tests.api.test_exports import settle
from tests.api.test_parallel_import import GENERIC_HEADER
from tests.id_collisions import colliding_endings


async def test_two_deposits_whose_ids_hash_alike_are_both_in_the_balance(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    first, later = (
        "2024-03-01,deposit,USD,fiat,1,,,,,Broker,",
        "2024-03-02,deposit,USD,fiat,1000,,,,,Broker,",
    )
    note_1, note_2 = colliding_endings(f"0_{first}", f"1_{later}")
    content = "\n".join([GENERIC_HEADER, first + note_1, later + note_2]).encode()
    task = await import_file(daemon, client, "cash.csv", content)
    assert task["status"] == "completed"
    assert await client.call("countTransactions", "main") == 2
    assert await client.call("countAuditLogs", "main") == 2
    await settle(client)
    [balance] = await client.call("getBalancesAt", "main")
    assert (balance["assetId"], balance["balance"]) == ("fiat:USD", "1001")
