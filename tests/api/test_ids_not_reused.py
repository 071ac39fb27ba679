"""Tag ids and manual transaction numbers are never given twice in an account's life, a reset
and a restore of an older backup included: an offline device may still hold a record under one."""

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.id_floors import IdFloors
from tests.api.manual_entries import SWAP
from tests.backup.helpers import download, restore_over_rpc, upload


async def test_a_reset_gives_new_ids(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a", "b"])
    await client.call("addTransaction", SWAP, "main")
    await client.call("resetAccount", "main")

    [tag] = await client.call("upsertTags", "main", ["c"])
    assert tag == {"id": 3, "name": "c"}
    assert await client.call("addTransaction", SWAP, "main") == "MANUAL_2"


async def test_a_restored_backup_gives_ids_above_those_given_since(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["in the backup"])
    backup = await client.call("enqueueBackup", "main")
    content = await download(daemon, "main", backup["id"])
    await client.call("upsertTags", "main", ["after the backup"])
    await client.call("addTransaction", SWAP, "main")

    uploaded = await upload(client, daemon, "main", content)
    assert await restore_over_rpc(client, "main", uploaded) is None
    [tag] = await client.call("upsertTags", "main", ["after the restore"])
    assert tag == {"id": 3, "name": "after the restore"}
    assert await client.call("addTransaction", SWAP, "main") == "MANUAL_2"


def test_a_reset_marker_written_before_id_floors_still_reads() -> None:
    assert IdFloors.from_json({"seq": 7}) == IdFloors(seq=7, tag=0, manual=0)
