"""An edit through the usual methods that leaves a synced record as it was keeps its version."""

from privatefolio_daemon.client import DaemonClient


async def test_unchanged_records_keep_their_versions(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    [tag] = await client.call("upsertTags", "main", ["otc"])
    await client.call("setValue", "main", "address_book", '{"0xabc": "me"}')
    await client.call("updateSettings", "main", {"theme": "dark"})
    before = await client.call("getChanges", "main", 0)

    await client.call("updateTag", "main", tag["id"], "otc")
    await client.call("setValue", "main", "address_book", '{"0xabc": "me"}')
    await client.call("updateSettings", "main", {"theme": "dark"})

    after = await client.call("getChanges", "main", 0)
    assert after["lastSeq"] == before["lastSeq"]
    assert after["changes"] == before["changes"]
