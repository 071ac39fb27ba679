"""No secret of a connection shows in logs, errors, RPC results, task logs or files on disk.

Syncs that succeed and syncs that fail (a wrong exchange secret, an explorer refusing its key, an
unreachable node whose URL carries a key) run through the daemon; then every place a secret could
leak to is scanned for each secret string.
"""

import json
import logging
from collections.abc import Iterator

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.secrets import KEY_FILE_NAME
from tests.api.importing import wait_for_task
from tests.connections.binance_scene import (
    API_KEY,
    API_SECRET,
    CONNECTION_ID,
    BinanceScene,
    new_connection,
)
from tests.connections.evm_scene import EXPLORER_KEY, RPC_KEY, WalletScene, wallet_scene
from tests.connections.helpers import ACCOUNT, sync
from tests.standins.exchanges.control import unreachable_url

WRONG_SECRET = "Rr5Tt6Yy7Uu8Ii9Oo0Pp1Aa2Ss3Dd4Ff5Gg6Hh7Jj8Kk9Ll0Zz1Xx2Cc3Vv4Bb5Nn"
WRONG_EXPLORER_KEY = "WRONGEXPLORERKEY0a1b2c3d"
DEAD_RPC_KEY = "deadnodekey9f8e7d6c5b4a3"
PASSPHRASE = "Pp4ssphr4se-Kv8Qz2Lm6Xc1"


@pytest.fixture
def scene() -> Iterator[WalletScene]:
    with wallet_scene() as built:
        built.make_first_history()
        yield built


async def test_no_secret_leaks_anywhere(
    daemon: Daemon,
    client: DaemonClient,
    scene: WalletScene,
    binance: BinanceScene,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [API_KEY, API_SECRET, WRONG_SECRET, EXPLORER_KEY, WRONG_EXPLORER_KEY, RPC_KEY]
    secrets.extend([DEAD_RPC_KEY, PASSPHRASE])
    wallet = scene.new_connection()
    refused = {**wallet, "address": scene.bob, "apiKey": WRONG_EXPLORER_KEY}
    dead_node = {
        **wallet,
        "platformId": "chain.base",
        "options": {"rpcUrls": [f"{unreachable_url()}/v3/{DEAD_RPC_KEY}"]},
    }
    connections = await client.call("upsertConnections", ACCOUNT, [wallet, refused, dead_node])
    ok_wallet, refused_wallet, dead_wallet = (c["id"] for c in connections)

    assert (await sync(client, ok_wallet))["status"] == "completed"
    failed = await sync(client, refused_wallet)
    assert failed["errorMessage"] == "Error: The explorer rejected the API key: Invalid API Key"
    failed = await sync(client, dead_wallet)
    assert failed["status"] == "failed"
    assert failed["errorMessage"].startswith(
        "Error: Base: No RPC node answered in 4 attempts (127.0.0.1:"
    )

    with_passphrase = {**new_connection(), "apiPassphrase": PASSPHRASE}
    await client.call("upsertConnections", ACCOUNT, [with_passphrase])
    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    await client.call("upsertConnections", ACCOUNT, [new_connection(secret=WRONG_SECRET)])
    assert (await sync(client, CONNECTION_ID))["status"] == "failed"
    verify = await client.call("enqueueVerifyBalances", ACCOUNT, "user")
    assert (await wait_for_task(client, verify))["status"] == "completed"
    await client.call("setEncryptedValue", ACCOUNT, "assistant_openai_key", API_SECRET)
    exports = [
        await client.call("enqueueExportTransactions", ACCOUNT, "user"),
        await client.call("enqueueExportAuditLogs", ACCOUNT, "user"),
    ]

    exposed = [caplog.text, *(record.getMessage() for record in caplog.records)]
    exposed.append(json.dumps(await client.call("getConnections", ACCOUNT)))
    exposed.append(json.dumps(exports))
    for connection_id in (ok_wallet, refused_wallet, dead_wallet, CONNECTION_ID):
        exposed.append(json.dumps(await client.call("getConnection", ACCOUNT, connection_id)))
    tasks = await client.call("getServerTasks", ACCOUNT)
    exposed.append(json.dumps(tasks))
    for task in tasks:
        if task["status"] != "cancelled":
            exposed.append(await client.call("getServerTaskLog", ACCOUNT, task["id"]))
    exposed.append(await daemon.accounts.get(ACCOUNT).read(lambda c: "\n".join(c.iterdump())))
    assert {"Sync connection #4", "Verify balances"} <= {task["name"] for task in tasks}
    for text in exposed:
        for secret in secrets:
            assert secret not in text

    # Nothing on disk holds one in plain text: databases, their WAL, task and server logs, the
    # CSV exports.
    files = [p for p in daemon.config.data_dir.rglob("*") if p.is_file()]
    assert any(p.parent.name == "server-logs" for p in files)
    exported = daemon.accounts.files_dir(ACCOUNT) / str(exports[0]["id"])
    assert exported in files and scene.hashes["fund"] in exported.read_text()
    for path in files:
        if path.name != KEY_FILE_NAME:
            content = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in content, path
