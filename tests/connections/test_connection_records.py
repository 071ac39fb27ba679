"""Connections as records: the id recipe, numbering, validation, and secrets kept encrypted."""

from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.connections import Connections
from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.domain.secrets import SecretBox
from tests.api.importing import wait_for_task
from tests.connections.helpers import ACCOUNT, cursor_of, sync

ALICE = "0x52908400098527886e0f7030069857d2e4169ee7"
ALICE_CHECKSUMMED = "0x52908400098527886E0F7030069857D2E4169EE7"
KEY = "Zq3RkT8sLw0VnB6yHc2JdF9gXm4PaE7uQi1oNt5rYs0Kb3Wv8Lh2Gj6Cx9Mz4Df1"
SECRET = "Tg7Yp2Kd9Qw4Lm1Xc8Vb3Nr6Hs0Jf5Az2Ue7Io4Pk9Ly1Mt3Gw8Rb6Dn0Sq5Fh2Ej"


def wallet(platform: str, **fields: Any) -> dict[str, Any]:
    return {
        "extensionId": "etherscan-connection",
        "platformId": platform,
        "address": ALICE,
        **fields,
    }


async def test_one_address_on_several_chains_gets_ids_numbers_and_events(
    client: DaemonClient,
) -> None:
    events: list[tuple[Any, ...]] = []
    await client.call("subscribeToConnections", ACCOUNT, lambda *args: events.append(args))
    saved = await client.call(
        "upsertConnections", ACCOUNT, [wallet("chain.ethereum"), wallet("chain.base")]
    )
    assert [(c["id"], c["connectionNumber"], c["address"]) for c in saved] == [
        (string_hash(f"etherscan-connection_chain.ethereum_{ALICE}"), 1, ALICE_CHECKSUMMED),
        (string_hash(f"etherscan-connection_chain.base_{ALICE}"), 2, ALICE_CHECKSUMMED),
    ]
    assert await client.call("getValue", ACCOUNT, "connection_seq") == 2
    assert events == [("created",), ("created", saved[0]), ("created", saved[1])]
    listed = await client.call("getConnections", ACCOUNT, "SELECT * FROM connections ORDER BY 2")
    assert listed == saved
    assert await client.call("countConnections", ACCOUNT) == 2

    # Upserting again keeps the number, and the next sync starts from scratch.
    await client.call("setValue", ACCOUNT, f"connection_cursor_{saved[0]['id']}", 99)
    [again] = await client.call("upsertConnections", ACCOUNT, [wallet("chain.ethereum")])
    assert (again["connectionNumber"], again["timestamp"]) == (1, saved[0]["timestamp"])
    assert await cursor_of(client, saved[0]["id"]) == 0
    [third] = await client.call("upsertConnections", ACCOUNT, [wallet("chain.optimistic-ethereum")])
    assert third["connectionNumber"] == 3


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        (wallet("chain.ethereum", address="0x1234"), "Invalid EVM address: 0x1234"),
        (wallet("chain.nowhere"), "Unsupported EVM platform: chain.nowhere"),
        (
            {"extensionId": "binance-connection", "platformId": "ex.kraken", "apiKey": KEY},
            "The platform of a binance-connection connection is ex.binance, not ex.kraken",
        ),
        (
            {"extensionId": "Fancy", "platformId": "ex.fancy", "apiKey": KEY},
            "Unsupported connection extension: Fancy",
        ),
        (
            {"extensionId": "kraken-connection", "platformId": "ex.kraken"},
            "A connection needs an address or an API key",
        ),
        (
            wallet("chain.ethereum", options={"rpcUrls": ["ftp://node"]}),
            "Option 'rpcUrls' must hold http(s) URLs",
        ),
    ],
)
async def test_a_bad_connection_is_refused_and_nothing_is_stored(
    client: DaemonClient, connection: dict[str, Any], message: str
) -> None:
    with pytest.raises(RpcCallError) as failure:
        await client.call("upsertConnections", ACCOUNT, [connection])
    assert str(failure.value) == message
    assert await client.call("getConnections", ACCOUNT) == []


async def test_secrets_are_encrypted_at_rest_and_never_returned(
    daemon: Daemon, client: DaemonClient
) -> None:
    rpc_url = "https://eth.example.com/v3/0123456789abcdef0123"
    saved, evm = await client.call(
        "upsertConnections",
        ACCOUNT,
        [
            {
                "extensionId": "kraken-connection",
                "platformId": "ex.kraken",
                "apiKey": KEY,
                "apiSecret": SECRET,
            },
            wallet("chain.ethereum", options={"rpcUrls": [rpc_url], "sinceLimit": 5}),
        ],
    )
    assert saved["apiKey"] == "Zq3R…4Df1" and "apiSecret" not in saved
    assert await client.call("getConnections", ACCOUNT, "SELECT * FROM connections ORDER BY 2") == [
        saved,
        evm,
    ]
    assert evm["options"] == {"rpcUrls": ["https://eth.example.com/***"], "sinceLimit": 5}

    box = SecretBox(daemon.config.data_dir / "auth")
    assert box.key_file.stat().st_mode & 0o777 == 0o600
    stored = await client.call("getValue", ACCOUNT, f"connection_api_secret_{saved['id']}")
    iv, tag, _ = stored.split(":")
    assert (len(iv), len(tag)) == (16, 24)  # base64 of 12 and 16 bytes
    assert box.decrypt(stored) == SECRET
    assert (
        box.decrypt(await client.call("getValue", ACCOUNT, f"connection_api_key_{saved['id']}"))
        == KEY
    )
    assert (
        box.decrypt(await client.call("getValue", ACCOUNT, f"connection_rpc_urls_{evm['id']}"))
        == f'["{rpc_url}"]'
    )


async def test_set_encrypted_value_stores_cipher_text(daemon: Daemon, client: DaemonClient) -> None:
    await client.call("setEncryptedValue", ACCOUNT, "assistant_openai_key", "sk-abc")
    stored = await client.call("getValue", ACCOUNT, "assistant_openai_key")
    assert stored != "sk-abc" and stored.count(":") == 2
    assert SecretBox(daemon.config.data_dir / "auth").decrypt(stored) == "sk-abc"
    await client.call("setEncryptedValue", ACCOUNT, "assistant_openai_key", "")
    assert await client.call("getValue", ACCOUNT, "assistant_openai_key") is None


async def test_unknown_connections_are_not_found(client: DaemonClient) -> None:
    assert await client.call("getConnection", ACCOUNT, "123") is None
    for method in ("enqueueSyncConnection", "enqueueResetConnection", "enqueueDeleteConnection"):
        with pytest.raises(RpcCallError) as failure:
            await client.call(method, ACCOUNT, "user", "123")
        assert str(failure.value) == "Connection 123 does not exist"


async def test_a_connection_sent_back_as_listed_keeps_its_secrets(
    daemon: Daemon, client: DaemonClient
) -> None:
    rpc_url = "https://eth.example.com/v3/0123456789abcdef0123"
    kraken = {"extensionId": "kraken-connection", "platformId": "ex.kraken", "apiKey": KEY}
    evm = wallet("chain.ethereum", options={"rpcUrls": [rpc_url]})
    await client.call("upsertConnections", ACCOUNT, [{**kraken, "apiSecret": SECRET}, evm])
    listed = await client.call("getConnections", ACCOUNT)
    assert await client.call("upsertConnections", ACCOUNT, listed) == listed
    box = SecretBox(daemon.config.data_dir / "auth")
    stored = {
        name: box.decrypt(await client.call("getValue", ACCOUNT, f"connection_{name}_{cid}"))
        for name, cid in (
            ("api_key", string_hash(f"kraken-connection_ex.kraken_{KEY}")),
            ("api_secret", string_hash(f"kraken-connection_ex.kraken_{KEY}")),
            ("rpc_urls", string_hash(f"etherscan-connection_chain.ethereum_{ALICE}")),
        )
    }
    assert stored == {"api_key": KEY, "api_secret": SECRET, "rpc_urls": f'["{rpc_url}"]'}


PASSPHRASE = "Pp4ssphr4se-Kv8Qz2Lm6Xc1"


def okx(**fields: Any) -> dict[str, Any]:
    return {"extensionId": "okx-connection", "platformId": "ex.okx", "apiKey": KEY, **fields}


async def test_a_passphrase_is_encrypted_kept_handed_to_the_sync_and_removed(
    daemon: Daemon, client: DaemonClient
) -> None:
    [saved] = await client.call(
        "upsertConnections", ACCOUNT, [okx(apiSecret=SECRET, apiPassphrase=PASSPHRASE)]
    )
    assert saved == {
        "id": string_hash(f"okx-connection_ex.okx_{KEY}"),
        "connectionNumber": 1,
        "apiKey": "Zq3R…4Df1",
        "options": {},
        "extensionId": "okx-connection",
        "platformId": "ex.okx",
        "timestamp": saved["timestamp"],
    }
    key = f"connection_api_passphrase_{saved['id']}"
    box = SecretBox(daemon.config.data_dir / "auth")
    assert box.decrypt(await client.call("getValue", ACCOUNT, key)) == PASSPHRASE
    # Sent back as listed (without the passphrase), the connection keeps it.
    assert await client.call("upsertConnections", ACCOUNT, [saved]) == [saved]
    connections = Connections(ACCOUNT, daemon.accounts.get(ACCOUNT), daemon.events, box)
    spec = await connections.spec(saved)
    assert (spec.api_key, spec.api_secret, spec.options) == (
        KEY,
        SECRET,
        {"apiPassphrase": PASSPHRASE},
    )
    removal = await client.call("enqueueDeleteConnection", ACCOUNT, "user", saved["id"])
    assert (await wait_for_task(client, removal))["status"] == "completed"
    assert await client.call("getValue", ACCOUNT, key) is None


async def test_a_passphrase_is_not_taken_as_a_plain_option(client: DaemonClient) -> None:
    with pytest.raises(RpcCallError) as failure:
        await client.call("upsertConnections", ACCOUNT, [okx(options={"apiPassphrase": "x"})])
    assert str(failure.value) == "Send the API passphrase as 'apiPassphrase', not as an option"
    assert await client.call("getConnections", ACCOUNT) == []


async def test_an_exchange_that_needs_a_passphrase_fails_clearly_without_one(
    client: DaemonClient,
) -> None:
    [saved] = await client.call("upsertConnections", ACCOUNT, [okx(apiSecret=SECRET)])
    task = await sync(client, saved["id"])
    assert (task["status"], task["errorMessage"]) == (
        "failed",
        "Error: The OKX connection needs the API key's passphrase.",
    )
