"""Settings are at most 64 KiB as JSON; a key-value entry is at most 1 MiB, and the address book
and the assistant's API URL are what the frontend reads. Through updateSettings and setValue, and
the settings.patch and value.set sync events; a refused write changes nothing (decision 0011).
The settings written whole (setValue, executeSql) are checked as updateSettings checks them."""

from typing import Any

import orjson
import pytest

from privatefolio_daemon.client import DaemonClient
from tests.api.refusals import refusal_of_call, refusal_of_event, synced_state

BIG = {"big": "x" * 3_000_000}
NOT_A_BOOK = (
    'The address book must be a JSON object of labels by address, e.g. {"0xabc": "Cold wallet"}, '
    'not "not a book"'
)
HUGE_BOOK = orjson.dumps({"0xabc": "x" * 1_048_576}).decode()
HUGE_BOOK_MESSAGE = 'The value of "address_book" is too large: 1048588 bytes (at most 1048576)'
LONG_URL = "The assistant's API URL is too long: 3000 characters (at most 2048)"


async def account_with_a_book(client: DaemonClient) -> dict[str, Any]:
    await client.call("createAccount", "main")
    await client.call("setValue", "main", "address_book", '{"0xabc": "cold wallet"}')
    await client.call("updateSettings", "main", {"kioskMode": False})
    return await synced_state(client)


async def settings_message(client: DaemonClient) -> str:
    size = len(orjson.dumps({**await client.call("getSettings", "main"), **BIG}))
    return f"Settings JSON is too large: {size} bytes (at most 65536)"


async def test_update_settings_refuses_settings_beyond_64_kib(client: DaemonClient) -> None:
    before = await account_with_a_book(client)
    message = await settings_message(client)
    assert await refusal_of_call(client, "updateSettings", "main", BIG) == (-32602, message)
    assert await synced_state(client) == before


async def test_a_settings_patch_event_beyond_64_kib_is_refused(client: DaemonClient) -> None:
    before = await account_with_a_book(client)
    message = await settings_message(client)
    assert await refusal_of_event(client, "settings.patch", "settings", BIG) == (-32602, message)
    assert await synced_state(client) == before


async def test_set_value_refuses_settings_beyond_64_kib(client: DaemonClient) -> None:
    before = await account_with_a_book(client)
    text = orjson.dumps({"big": "x" * 100_000}).decode()
    assert await refusal_of_call(client, "setValue", "main", "settings", text) == (
        -32602,
        "Settings JSON is too large: 100010 bytes (at most 65536)",
    )
    assert await synced_state(client) == before


BAD_SETTINGS = [
    (
        {"networthRefreshInterval": -1, "kioskMode": 5},
        "networthRefreshInterval must be a whole number of minutes above 0",
    ),
    ({"kioskMode": 5}, "kioskMode must be true or false"),
    (
        {"backupInterval": 1.5},
        "backupInterval must be a whole number of minutes (0 turns scheduled backups off)",
    ),
    ({"assistantModel": 4}, "assistantModel must be a string"),
]


@pytest.mark.parametrize(("settings", "message"), BAD_SETTINGS)
async def test_set_value_and_execute_sql_refuse_settings_as_update_settings_does(
    client: DaemonClient, settings: dict[str, Any], message: str
) -> None:
    """Written whole, the settings record would reach every device through the feed."""
    before = await account_with_a_book(client)
    text = orjson.dumps(settings).decode()
    update = "UPDATE key_value SET value = ? WHERE key = 'settings'"
    assert [
        await refusal_of_call(client, "updateSettings", "main", settings),
        await refusal_of_call(client, "setValue", "main", "settings", text),
        await refusal_of_call(client, "setValue", "main", "settings", settings),
        await refusal_of_call(client, "executeSql", "main", update, [text]),
    ] == [(-32602, message)] * 4
    assert await synced_state(client) == before


async def test_set_value_refuses_settings_that_are_no_object(client: DaemonClient) -> None:
    before = await account_with_a_book(client)
    expected = 'The settings must be a JSON object of settings by name, e.g. {"kioskMode": false}, '
    assert [
        await refusal_of_call(client, "setValue", "main", "settings", value)
        for value in ("dark mode", "[1]", 12)
    ] == [
        (-32602, expected + 'not "dark mode"'),
        (-32602, expected + 'not "[1]"'),
        (-32602, expected + "not 12"),
    ]
    assert await synced_state(client) == before
    await client.call("setValue", "main", "settings", '{"networthRefreshInterval": 15}')
    assert (await client.call("getSettings", "main"))["networthRefreshInterval"] == 15


VALUES = [
    ("address_book", "not a book", NOT_A_BOOK),
    ("address_book", '{"0xabc": 7}', NOT_A_BOOK.replace("not a book", '{"0xabc": 7}')),
    ("address_book", HUGE_BOOK, HUGE_BOOK_MESSAGE),
    ("assistant_custom_api_url", "h" * 3000, LONG_URL),
    (
        "assistant_custom_api_url",
        12,
        "The assistant's API URL must be a text, not 12",
    ),
]


@pytest.mark.parametrize(("key", "value", "message"), VALUES)
async def test_set_value_refuses_a_synced_value_of_the_wrong_kind_or_size(
    client: DaemonClient, key: str, value: Any, message: str
) -> None:
    before = await account_with_a_book(client)
    assert await refusal_of_call(client, "setValue", "main", key, value) == (-32602, message)
    assert await synced_state(client) == before
    assert await client.call("getValue", "main", "address_book") == '{"0xabc": "cold wallet"}'


@pytest.mark.parametrize(("key", "value", "message"), VALUES)
async def test_a_value_set_event_refuses_a_value_of_the_wrong_kind_or_size(
    client: DaemonClient, key: str, value: Any, message: str
) -> None:
    before = await account_with_a_book(client)
    data = {"value": value}
    assert await refusal_of_event(client, "value.set", key, data) == (-32602, message)
    assert await synced_state(client) == before


async def test_any_value_is_at_most_1_mib(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    assert await refusal_of_call(client, "setValue", "main", "draft", "x" * 1_048_577) == (
        -32602,
        'The value of "draft" is too large: 1048577 bytes (at most 1048576)',
    )
    assert await client.call("getValue", "main", "draft") is None


async def test_an_address_book_given_as_an_object_or_cleared_is_fine(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("setValue", "main", "address_book", {"0xabc": "cold wallet"})
    assert await client.call("getValue", "main", "address_book") == '{"0xabc":"cold wallet"}'
    await client.call("setValue", "main", "address_book", None)
    assert await client.call("getValue", "main", "address_book", "{}") == "{}"


async def test_a_key_is_a_name_of_at_most_256_characters(client: DaemonClient) -> None:
    """A subscription keeps its key while it lives: a key of megabytes is refused up front."""
    await client.call("createAccount", "main")
    long_key = "k" * 257
    message = "A key is too long: 257 characters (at most 256)"
    assert await refusal_of_call(client, "setValue", "main", long_key, 1) == (-32602, message)
    assert await refusal_of_call(client, "subscribeToKV", "main", long_key, lambda *_: None) == (
        -32602,
        message,
    )
    assert await refusal_of_call(client, "setValue", "main", "a\nb", 1) == (
        -32602,
        "A key has a control character, U+000A, at position 2",
    )
    await client.call("setValue", "main", "k" * 256, 1)
    assert await client.call("getValue", "main", "k" * 256) == 1
