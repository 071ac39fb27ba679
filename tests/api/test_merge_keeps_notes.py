"""A user's notes on EVM transactions survive auto-merge, a merge again under another id, an
undone merge and an import again, as their tags do."""

import dataclasses
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file
from tests.api.test_merge_keeps_tags import ETHEREUM, USER
from tests.api.test_merge_undone_on_removal import HASH, SALE, ledger, merge, remove


async def imported(daemon: Daemon, client: DaemonClient, name: str) -> str:
    """Import one file of the sale and merge; returns its file import id."""
    context = ETHEREUM | {"userAddress": USER}
    task = await import_file(daemon, client, name, SALE[name].encode(), context=context)
    assert task["status"] == "completed", task
    await merge(client)
    records = await client.call("getFileImports", "main")
    return str(next(record["id"] for record in records if record["name"] == name))


async def notes(client: DaemonClient) -> dict[str, Any]:
    return {tx["id"]: tx.get("notes") for tx in await client.call("getTransactions", "main")}


async def tags(client: DaemonClient, tx_id: str) -> list[str]:
    return [tag["name"] for tag in await client.call("getTagsForTransaction", "main", tx_id)]


async def noted_call(daemon: Daemon, client: DaemonClient) -> dict[str, Any]:
    """A new account with one imported transaction, on which the user wrote "my note"."""
    await client.call("createAccount", "main")
    await imported(daemon, client, "call.csv")
    [call] = await client.call("getTransactions", "main")
    await client.call("patchTransaction", "main", call["id"], {"notes": "my note"})
    return dict(call)


async def test_notes_survive_merges_a_merge_again_and_an_undone_merge(
    daemon: Daemon, client: DaemonClient
) -> None:
    call = await noted_call(daemon, client)
    await client.call("assignTagToTransaction", "main", call["id"], "my-tag")
    assert await notes(client) == {call["id"]: "my note"}

    token = await imported(daemon, client, "token.csv")
    first_merge = f"{token}_{HASH}_MERGED"
    assert await notes(client) == {first_merge: "my note"}
    assert await tags(client, first_merge) == ["my-tag"]

    await client.call("patchTransaction", "main", first_merge, {"notes": "note on merged"})
    assert await notes(client) == {first_merge: "note on merged"}

    internal = await imported(daemon, client, "internal.csv")
    second_merge = f"{internal}_{HASH}_MERGED"
    assert await notes(client) == {second_merge: "note on merged"}
    assert await tags(client, second_merge) == ["my-tag"]
    merged_ledger = await ledger(client)

    await remove(client, internal)
    assert await notes(client) == {first_merge: "note on merged"}
    assert await tags(client, first_merge) == ["my-tag"]

    await imported(daemon, client, "internal.csv")
    assert await ledger(client) == merged_ledger


async def test_the_transaction_an_undone_merge_leaves_alone_keeps_its_notes(
    daemon: Daemon, client: DaemonClient
) -> None:
    call = await noted_call(daemon, client)
    token = await imported(daemon, client, "token.csv")
    merged = f"{token}_{HASH}_MERGED"
    await client.call("patchTransaction", "main", merged, {"notes": "my note\nsold LOOM"})

    await remove(client, token)

    assert await notes(client) == {call["id"]: "my note\nsold LOOM"}


async def test_unedited_long_notes_survive_an_undone_merge_whole_and_an_import_again(
    daemon: Daemon, client: DaemonClient
) -> None:
    """Both transactions noted before their merge, which cuts the joined notes. The token sent
    goes: the ETH received keeps every character of both notes, and the token imported again
    merges to the notes the merged transaction had."""
    daemon.relayer.settings = dataclasses.replace(daemon.relayer.settings, debounce_seconds=60)
    await client.call("createAccount", "main")  # its imports merge when the test says so
    context = ETHEREUM | {"userAddress": USER}
    for name in ("internal.csv", "token.csv"):
        task = await import_file(daemon, client, name, SALE[name].encode(), context=context)
        assert task["status"] == "completed", task
    for tx in await client.call("getTransactions", "main"):
        note = ("t" if tx["type"] == "Withdraw" else "e") * 6_000
        await client.call("patchTransaction", "main", tx["id"], {"notes": note})
    await merge(client)
    [merged_notes] = (await notes(client)).values()
    assert merged_notes == "t" * 6_000 + "\n" + "e" * 3_998 + "…"

    token = next(
        r["id"] for r in await client.call("getFileImports", "main") if r["name"] == "token.csv"
    )
    await remove(client, token)
    assert list((await notes(client)).values()) == ["t" * 6_000 + "\n" + "e" * 6_000]

    await imported(daemon, client, "token.csv")
    assert list((await notes(client)).values()) == [merged_notes]
