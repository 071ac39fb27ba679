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
