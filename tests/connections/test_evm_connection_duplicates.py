"""The same wallet sent again in another case is refused: it would be a second connection (the id
recipe hashes the address as sent) and every balance would count twice."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.hashing import string_hash
from tests.connections.helpers import ACCOUNT

ALICE = "0x52908400098527886e0f7030069857d2e4169ee7"
ALICE_CHECKSUMMED = "0x52908400098527886E0F7030069857D2E4169EE7"
LOWER_ID = string_hash(f"etherscan-connection_chain.ethereum_{ALICE}")


def wallet(address: str, platform: str = "chain.ethereum") -> dict[str, Any]:
    return {"extensionId": "etherscan-connection", "platformId": platform, "address": address}


async def test_a_wallet_added_again_in_another_case_is_refused(client: DaemonClient) -> None:
    [first] = await client.call("upsertConnections", ACCOUNT, [wallet(ALICE)])

    with pytest.raises(RpcCallError) as failure:
        await client.call("upsertConnections", ACCOUNT, [wallet(ALICE_CHECKSUMMED)])

    assert str(failure.value) == (
        f"Connection #1 ({LOWER_ID}) already syncs {ALICE_CHECKSUMMED} on chain.ethereum: "
        "edit or delete it instead of adding the wallet again"
    )
    assert await client.call("getConnections", ACCOUNT) == [first]


async def test_the_same_wallet_twice_in_one_batch_is_refused(client: DaemonClient) -> None:
    with pytest.raises(RpcCallError) as failure:
        await client.call("upsertConnections", ACCOUNT, [wallet(ALICE), wallet(ALICE_CHECKSUMMED)])

    assert str(failure.value).startswith(f"Connection {LOWER_ID} already syncs")
    assert await client.call("getConnections", ACCOUNT) == []


async def test_the_same_connection_again_and_the_wallet_on_another_chain_are_accepted(
    client: DaemonClient,
) -> None:
    [first] = await client.call("upsertConnections", ACCOUNT, [wallet(ALICE)])

    [again] = await client.call("upsertConnections", ACCOUNT, [wallet(ALICE)])
    [edited] = await client.call(
        "upsertConnections", ACCOUNT, [{**wallet(ALICE_CHECKSUMMED), "id": first["id"]}]
    )
    [base] = await client.call("upsertConnections", ACCOUNT, [wallet(ALICE, "chain.base")])

    assert again["id"] == edited["id"] == first["id"]
    assert base["id"] != first["id"]
    assert await client.call("countConnections", ACCOUNT) == 2
