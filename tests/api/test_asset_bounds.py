"""An asset's id and stored texts have bounds (id 200 characters, logo URL 2,048, name 200, no
control characters; a logo is a web address or an image), through patchAsset, upsertAsset and the
asset.patch sync event; a refused patch changes nothing (decision 0011)."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.api.refusals import LONG, refusal_of_call, refusal_of_event, synced_state

LONG_ID = "Asset id is too long: 1000000 characters (at most 200)"
LONG_LOGO = "Logo URL is too long: 1000000 characters (at most 2048)"

CALLS = [
    (("patchAsset", "main", "stock:AAPL", {"logoUrl": LONG}), LONG_LOGO),
    (("patchAsset", "main", LONG, {"favorite": True}), LONG_ID),
    (("upsertAsset", "main", {"id": LONG}), LONG_ID),
    (("upsertAsset", "main", {"id": "stock:AAPL", "logoUrl": LONG}), LONG_LOGO),
    (
        ("patchAsset", "main", "stock:AAPL", {"name": "Apple" * 41}),
        "Asset name is too long: 205 characters (at most 200)",
    ),
    (
        ("patchAsset", "main", "stock:AA\x00PL", {"favorite": True}),
        "Asset id has a control character, U+0000, at position 9",
    ),
    (
        ("patchAsset", "main", "stock:AAPL", {"coingeckoId": "x" * 201}),
        "CoinGecko id is too long: 201 characters (at most 200)",
    ),
    (
        ("patchAsset", "main", "stock:AAPL", {"logoUrl": "javascript:alert(1)"}),
        "The logo URL must be an http(s) address or a data:image URL, not 'javascript:alert(1)'",
    ),
    (
        ("upsertAsset", "main", {"id": "stock:AAPL", "logoUrl": "file:///etc/passwd"}),
        "The logo URL must be an http(s) address or a data:image URL, not 'file:///etc/passwd'",
    ),
    (
        ("patchAsset", "main", "stock:AAPL", {"logoUrl": "data:text/html,<b>"}),
        "The logo URL must be an http(s) address or a data:image URL, not 'data:text/html,<b>'",
    ),
]

EVENTS = [
    ("stock:AAPL", {"logoUrl": LONG}, LONG_LOGO),
    (LONG, {"favorite": True}, LONG_ID),
    (
        "stock:AAPL",
        {"logoUrl": "https://x.test/\x07.png"},
        "Logo URL has a control character, U+0007, at position 16",
    ),
]


async def account_with_a_favourite(client: DaemonClient) -> dict[str, Any]:
    await client.call("createAccount", "main")
    await client.call("patchAsset", "main", "stock:AAPL", {"favorite": True})
    return await synced_state(client)


@pytest.mark.parametrize(("call", "message"), CALLS)
async def test_an_asset_method_refuses_an_oversized_text(
    client: DaemonClient, call: tuple[Any, ...], message: str
) -> None:
    before = await account_with_a_favourite(client)
    assert await refusal_of_call(client, *call) == (-32602, message)
    assert await synced_state(client) == before


@pytest.mark.parametrize(("record_id", "data", "message"), EVENTS)
async def test_an_asset_patch_event_refuses_an_oversized_text(
    client: DaemonClient, record_id: str, data: dict[str, Any], message: str
) -> None:
    before = await account_with_a_favourite(client)
    assert await refusal_of_event(client, "asset.patch", record_id, data) == (-32602, message)
    assert await synced_state(client) == before


async def test_texts_at_their_bounds_are_stored(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    asset_id = "stock:" + "A" * 194
    logo = "https://x.test/" + "a" * 2033
    await client.call("patchAsset", "main", asset_id, {"logoUrl": logo})
    asset = await client.call("getAsset", "main", asset_id)
    assert (asset["id"], asset["logoUrl"]) == (asset_id, logo)


@pytest.mark.parametrize(
    "logo", ["https://example.com/aapl.png", "data:image/png;base64,iVBORw0K", "/logos/aapl.svg"]
)
async def test_a_logo_may_be_a_web_address_an_image_or_a_frontend_path(
    client: DaemonClient, logo: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("patchAsset", "main", "stock:AAPL", {"logoUrl": logo})
    assert (await client.call("getAsset", "main", "stock:AAPL"))["logoUrl"] == logo


async def test_an_empty_text_is_stored_as_none(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("patchAsset", "main", "stock:AAPL", {"coingeckoId": "apple", "name": "A"})
    await client.call("patchAsset", "main", "stock:AAPL", {"coingeckoId": "", "name": ""})
    snapshot = await client.call("getSnapshot", "main")
    [stored] = [r["record"] for r in snapshot["records"] if r["recordId"] == "stock:AAPL"]
    assert (stored["coingeckoId"], stored["name"]) == (None, None)
    assert "coingeckoId" not in await client.call("getAsset", "main", "stock:AAPL")
