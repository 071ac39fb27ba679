"""A manual transaction's note has at most 10,000 characters (line breaks and tabs allowed, no
other control character), its wallet and platform at most 200, its asset ids at most 200, through
addTransaction, updateTransaction, patchTransaction and the transaction.* sync events; a refused
edit changes nothing (decision 0011)."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import STOCK_BUY
from tests.api.refusals import LONG, refusal_of_call, refusal_of_event, synced_state

LONG_NOTE = "Note is too long: 1000000 characters (at most 10000)"
NUL_NOTE = "Note has a control character, U+0000, at position 3"

CALLS = [
    (("addTransaction", {**STOCK_BUY, "notes": LONG}, "main"), LONG_NOTE),
    (("updateTransaction", "main", "MANUAL_1", {**STOCK_BUY, "notes": LONG}), LONG_NOTE),
    (("patchTransaction", "main", "MANUAL_1", {"notes": LONG}), LONG_NOTE),
    (("patchTransaction", "main", "MANUAL_1", {"notes": "ok\x00"}), NUL_NOTE),
    (
        ("patchTransaction", "main", "MANUAL_1", {"notes": "x" * 10_001}),
        "Note is too long: 10001 characters (at most 10000)",
    ),
    (
        ("addTransaction", {**STOCK_BUY, "wallet": "w" * 201}, "main"),
        "Wallet is too long: 201 characters (at most 200)",
    ),
    (
        ("patchTransaction", "main", "MANUAL_1", {"incomingAsset": LONG}),
        "Incoming asset is too long: 1000000 characters (at most 200)",
    ),
    (
        ("patchTransaction", "main", "MANUAL_1", {"metadata": {"x": "y" * 70_000}}),
        "Transaction metadata is too large: 70008 bytes (at most 65536)",
    ),
]

EVENTS = [
    ("transaction.add", None, {**STOCK_BUY, "notes": LONG}, LONG_NOTE),
    ("transaction.update", "MANUAL_1", {**STOCK_BUY, "notes": LONG}, LONG_NOTE),
    ("transaction.patch", "MANUAL_1", {"notes": LONG}, LONG_NOTE),
    ("transaction.patch", "MANUAL_1", {"notes": "ok\x00"}, NUL_NOTE),
    (
        "transaction.add",
        None,
        {**STOCK_BUY, "platformId": "p" * 201},
        "Platform is too long: 201 characters (at most 200)",
    ),
]


async def account_with_a_transaction(client: DaemonClient) -> dict[str, Any]:
    await client.call("createAccount", "main")
    await client.call("addTransaction", {**STOCK_BUY, "notes": "first"}, "main")
    return await synced_state(client)


@pytest.mark.parametrize(("call", "message"), CALLS)
async def test_a_transaction_method_refuses_an_oversized_text(
    client: DaemonClient, call: tuple[Any, ...], message: str
) -> None:
    before = await account_with_a_transaction(client)
    assert await refusal_of_call(client, *call) == (-32602, message)
    assert await synced_state(client) == before
    assert await client.call("countTransactions", "main") == 1


@pytest.mark.parametrize(("kind", "record_id", "data", "message"), EVENTS)
async def test_a_transaction_event_refuses_an_oversized_text(
    client: DaemonClient, kind: str, record_id: str | None, data: dict[str, Any], message: str
) -> None:
    before = await account_with_a_transaction(client)
    assert await refusal_of_event(client, kind, record_id, data) == (-32602, message)
    assert await synced_state(client) == before


async def test_a_note_of_10000_characters_with_line_breaks_is_kept(
    client: DaemonClient,
) -> None:
    await account_with_a_transaction(client)
    note = ("line\tone\r\n" * 1000)[:10_000]
    await client.call("patchTransaction", "main", "MANUAL_1", {"notes": note})
    assert (await client.call("getTransaction", "main", "MANUAL_1"))["notes"] == note
