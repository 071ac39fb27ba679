"""What ``upsertConnections`` refuses at once, with -32602 and the parameter named, rather than
storing a connection whose first sync could only fail (or sync another wallet)."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.connections.helpers import ACCOUNT

CHECKSUMMED = "0x52908400098527886E0F7030069857D2E4169EE7"
MISTYPED = "0x52908400098527886e0F7030069857D2E4169EE7"  # one letter in the wrong case


def wallet(address: str, **options: Any) -> dict[str, Any]:
    return {
        "extensionId": "etherscan-connection",
        "platformId": "chain.ethereum",
        "address": address,
        "options": options,
    }


async def refusal(client: DaemonClient, item: dict[str, Any]) -> str:
    with pytest.raises(RpcCallError) as failure:
        await client.call("upsertConnections", ACCOUNT, [item])
    assert failure.value.code == -32602
    assert await client.call("getConnections", ACCOUNT) == []
    return failure.value.message


async def test_a_mixed_case_address_with_a_wrong_checksum_is_refused(client: DaemonClient) -> None:
    assert await refusal(client, wallet(MISTYPED)) == (
        f"Invalid 'address' {MISTYPED}: its mixed case is not its EIP-55 checksum, so a "
        "character may be mistyped; check it, or send it all in lower case"
    )


@pytest.mark.parametrize(
    "address", [CHECKSUMMED, CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper()]
)
async def test_an_address_with_its_checksum_or_in_one_case_is_accepted(
    client: DaemonClient, address: str
) -> None:
    [saved] = await client.call("upsertConnections", ACCOUNT, [wallet(address)])
    assert saved["address"] == CHECKSUMMED


ADDRESS = "0x0000000000000000000000000000000000000001"
KEY = "kkkkkkkkkkkkkkkkkkkkk"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"extensionId": "etherscan-connection", "platformId": "chain.ethereum", "apiKey": KEY},
            "An etherscan-connection connection needs 'address'",
        ),
        (
            {"extensionId": "binance-connection", "platformId": "ex.binance", "address": ADDRESS},
            "A binance-connection connection needs 'apiKey'",
        ),
        (
            {"extensionId": "binance-connection", "platformId": "ex.binance", "apiKey": KEY},
            "A binance-connection connection needs 'apiSecret'",
        ),
        (
            {
                "extensionId": "notanexchange-connection",
                "platformId": "ex.notanexchange",
                "apiKey": KEY,
                "apiSecret": "s",
            },
            "Unknown exchange in 'extensionId': notanexchange (not a ccxt id)",
        ),
        (
            {
                "extensionId": "notanexchange-connection",
                "platformId": "ex.binance",
                "apiKey": KEY,
                "apiSecret": "s",
            },
            "Unknown exchange in 'extensionId': notanexchange (not a ccxt id)",
        ),
        (
            wallet(ADDRESS, confirmations=-1),
            "Option 'confirmations' must be a non-negative integer, received: -1",
        ),
        (
            wallet(ADDRESS, multicall3="0xzz"),
            "Option 'multicall3' must be an EVM address, received: '0xzz'",
        ),
        (
            wallet(ADDRESS, explorerPageSize="10"),
            "Option 'explorerPageSize' must be a positive integer, received: '10'",
        ),
    ],
)
async def test_a_connection_no_sync_could_use_is_refused(
    client: DaemonClient, item: dict[str, Any], message: str
) -> None:
    assert await refusal(client, item) == message


async def test_an_exchange_connection_saved_again_without_its_secret_keeps_it(
    client: DaemonClient,
) -> None:
    first = {"extensionId": "binance-connection", "platformId": "ex.binance", "apiKey": KEY}
    [created] = await client.call("upsertConnections", ACCOUNT, [{**first, "apiSecret": "s"}])
    [again] = await client.call("upsertConnections", ACCOUNT, [{**first, "options": {"a": 1}}])
    assert again["id"] == created["id"]
    assert again["options"] == {"a": 1}
