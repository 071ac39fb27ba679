"""Kiosk mode: with an account's ``kioskMode`` on, a client without credentials may read."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.conftest import http_url, make_config, running_daemon, ws_url

UNAUTHORIZED = {"closed": 1008, "reason": "Unauthorized"}
ORIGIN_NEEDS_A_LOGIN = {
    "closed": 1008,
    "reason": "Unauthorized: this Origin needs a login; kiosk mode admits only local pages, the "
    "daemon's own page and ALLOWED_ORIGINS",
}
CALLBACK = {"functionId": "f1", "__isFunction": True}


async def guest_call(
    daemon: Daemon, method: str, *params: object, origin: str | None = None, path: str = "/"
) -> dict[str, object]:
    headers = {"Origin": origin} if origin is not None else {}
    url = f"{ws_url(daemon).rstrip('/')}{path}"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, headers=headers) as ws,
    ):
        await ws.send_json({"id": 0, "method": method, "params": list(params)})
        message = await ws.receive(timeout=5)
        if message.type != aiohttp.WSMsgType.TEXT:
            return {"closed": ws.close_code, "reason": message.extra}
        answer: dict[str, object] = message.json()
        return answer


async def setup_status(daemon: Daemon) -> dict[str, object]:
    """What the frontend reads before it shows the login or, in kiosk mode, the accounts."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(http_url(daemon, "/api/setup-status")) as response,
    ):
        answer: dict[str, object] = await response.json()
        return answer


@contextlib.asynccontextmanager
async def guest_in_kiosk_mode(
    client: DaemonClient, daemon: Daemon
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """The account "main" with kiosk mode on, and a socket opened without credentials."""
    await client.call("createAccount", "main")
    await client.call("updateSettings", "main", {"kioskMode": True})
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(daemon)) as ws:
        yield ws


async def test_guests_may_only_read_while_kiosk_mode_is_on(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    assert await guest_call(daemon, "getAccountNames") == UNAUTHORIZED

    assert await setup_status(daemon) == {"needsSetup": True, "kioskMode": False}
    await client.call("updateSettings", "main", {"kioskMode": True})
    assert await setup_status(daemon) == {"needsSetup": True, "kioskMode": True}
    assert await guest_call(daemon, "getAccountNames") == {
        "id": 0,
        "method": "getAccountNames",
        "result": ["main"],
    }
    assert (await guest_call(daemon, "countAuditLogs", "main"))["result"] == 0
    for method, params in (("createAccount", ["sneaky"]), ("enqueueBackup", ["main", "user"])):
        assert await guest_call(daemon, method, *params) == {
            "id": 0,
            "method": method,
            "error": "Login or sign up to continue.",
            "code": -32001,
        }
    assert await client.call("getAccountNames") == ["main"]
    assert await client.call("getServerTasks", "main") == []

    await client.call("updateSettings", "main", {"kioskMode": False})
    assert await guest_call(daemon, "getAccountNames") == UNAUTHORIZED


async def test_kiosk_mode_keeps_foreign_pages_and_files_out(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await client.call("updateSettings", "main", {"kioskMode": True})
    headers = {"Origin": "https://evil.example"}
    async with aiohttp.ClientSession(headers=headers) as session:
        try:
            async with session.ws_connect(ws_url(daemon)):
                raise AssertionError("a foreign page opened a socket")
        except aiohttp.WSServerHandshakeError as error:
            assert error.status == 403
    async with (
        aiohttp.ClientSession() as session,
        session.get(http_url(daemon, "/download?accountName=main&fileId=1")) as answer,
    ):
        assert answer.status == 401  # files stay behind the login


@pytest.mark.parametrize("origin", ["null", "file://", "app://privatefolio"])
async def test_in_kiosk_mode_a_page_any_site_can_open_needs_a_login(
    client: DaemonClient, daemon: Daemon, origin: str
) -> None:
    """A sandboxed frame or a data: URL on any web site sends ``Origin: null``, a page saved to
    disk ``file://``; the desktop shell, which sends those and ``app://``, has the token."""
    await client.call("createAccount", "main")
    await client.call("updateSettings", "main", {"kioskMode": True})

    assert await guest_call(daemon, "getAccountNames", origin=origin) == ORIGIN_NEEDS_A_LOGIN
    token = daemon.credentials.desktop_token()
    headers = {"Origin": origin, "Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_url(daemon), headers=headers) as ws,
    ):
        await ws.send_json({"id": 0, "method": "createAccount", "params": ["desk"]})
        assert await ws.receive_json(timeout=5) == {"id": 0, "method": "createAccount"}


async def test_in_kiosk_mode_local_pages_and_allowed_origins_read_without_a_login(
    tmp_path: Path,
) -> None:
    config = replace(make_config(tmp_path / "data"), allowed_origins=("https://wall.example",))
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        await client.call("updateSettings", "main", {"kioskMode": True})
        for origin in (None, "http://localhost:5173", "https://wall.example"):
            answer = await guest_call(daemon, "getAccountNames", origin=origin)
            assert answer.get("result") == ["main"], origin


async def test_a_guest_socket_open_when_kiosk_mode_is_turned_off_is_closed(
    client: DaemonClient, daemon: Daemon
) -> None:
    async with guest_in_kiosk_mode(client, daemon) as ws:
        await ws.send_json({"id": 0, "method": "getAccountNames", "params": []})
        assert (await ws.receive(timeout=5)).json()["result"] == ["main"]

        await client.call("updateSettings", "main", {"kioskMode": False})
        await ws.send_json({"id": 1, "method": "getAccountNames", "params": []})
        message = await ws.receive(timeout=5)

        assert message.type == aiohttp.WSMsgType.CLOSE
        assert (message.data, message.extra) == (
            1008,
            "Access without login has ended (kiosk mode was turned off)",
        )


async def test_a_guests_subscription_sends_nothing_once_kiosk_mode_is_off(
    client: DaemonClient, daemon: Daemon
) -> None:
    async with guest_in_kiosk_mode(client, daemon) as ws:
        subscribe = {"functionId": "f1", "__isFunction": True}
        await ws.send_json(
            {"id": 0, "method": "subscribeToTransactions", "params": ["main", subscribe]}
        )
        assert "result" in (await ws.receive(timeout=5)).json()

        await client.call("updateSettings", "main", {"kioskMode": False})
        deposit = {"type": "Deposit", "timestamp": 1_700_000_000_000, "platformId": "ex.binance"}
        deposit |= {"wallet": "Spot", "incoming": "1", "incomingAsset": "ex.binance:BTC"}
        await client.call("addTransaction", {**deposit, "notes": "private"}, "main")
        message = await ws.receive(timeout=5)

        assert message.type == aiohttp.WSMsgType.CLOSE, message.data
        assert (message.data, message.extra) == (
            1008,
            "Access without login has ended (kiosk mode was turned off)",
        )


async def test_a_guest_stays_while_the_kiosk_account_is_restored(
    client: DaemonClient, daemon: Daemon
) -> None:
    """Closed for its swap, the account's settings cannot be read: that is not kiosk mode off."""
    async with guest_in_kiosk_mode(client, daemon) as ws:
        await client.call("createAccount", "other")
        subscribe = {"functionId": "f1", "__isFunction": True}
        params = ["other", "lastTx", subscribe]
        await ws.send_json({"id": 0, "method": "subscribeToKV", "params": params})
        assert "result" in (await ws.receive(timeout=5)).json()

        async with daemon.accounts.exclusive("main") as closed:  # as a restore's swap holds it
            await client.call("setValue", "other", "lastTx", 1)
            pushed = await ws.receive(timeout=5)
            await closed.reopen()
        await ws.send_json({"id": 1, "method": "getAccountNames", "params": []})
        answered = await ws.receive(timeout=5)

    assert pushed.json() == {"functionId": "f1", "params": [1]}
    assert answered.json()["result"] == ["main", "other"]


def refused(method: str) -> dict[str, object]:
    return {"id": 0, "method": method, "error": "Login or sign up to continue.", "code": -32001}


async def test_a_guest_reads_the_portfolio_but_not_the_owners_private_records(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await client.call("updateSettings", "main", {"kioskMode": True})
    await client.call("setValue", "main", "address_book", '{"0xabc": "Savings"}')
    await client.call("setValue", "main", "assistant_openai_key", "iv:tag:secret")

    assert (await guest_call(daemon, "getValue", "main", "address_book"))["result"] == (
        '{"0xabc": "Savings"}'
    )
    assert (await guest_call(daemon, "getSettings", "main"))["result"] == {
        "assistantModel": "gpt-4.1-mini",
        "backupInterval": 0,
        "kioskMode": True,
        "metadataRefreshInterval": 10080,
        "networthRefreshInterval": 60,
    }
    query = "SELECT COUNT (*) FROM audit_logs WHERE wallet = ?"
    assert (await guest_call(daemon, "countAuditLogs", "main", query, ["Spot"]))["result"] == 0
    private = [
        ("getServerLogs",),
        ("subscribeToServerLog", CALLBACK),
        ("subscribeToServerLogs", CALLBACK),
        ("getServerTaskLog", "main", 1),
        ("getServerTasks", "main"),
        ("getPushDevices", "main"),
        ("getVapidPublicKey",),
        ("getChatHistory", "main"),
        ("getConnections", "main"),
        ("getValue", "main", "assistant_openai_key"),
        ("readSql", "main", "SELECT * FROM key_value"),
        ("getChanges", "main"),
        ("getSystemInfo",),
        ("getServerInfo",),
        ("getDiskUsage", "main"),
        ("getServerFiles", "main"),
        ("getNotifications", "main"),
        ("rpc.discover",),
    ]
    for method, *params in private:
        assert await guest_call(daemon, method, *params) == refused(method), method


async def test_a_guests_sql_reads_only_the_portfolios_tables(
    client: DaemonClient, daemon: Daemon
) -> None:
    """The tables' methods take the frontend's SQL: the owner's may read any table."""
    await client.call("createAccount", "main")
    await client.call("updateSettings", "main", {"kioskMode": True})
    await client.call("setValue", "main", "assistant_openai_key", "iv:tag:secret")
    spying = [
        ("getTags", "main", "SELECT 1, value FROM key_value"),
        ("countAuditLogs", "main", "SELECT COUNT(*) FROM chat_history"),
        (
            "getAuditLogs",
            "main",
            "SELECT * FROM audit_logs WHERE (SELECT value FROM key_value LIMIT 1) LIKE ?",
            ["iv%"],
        ),
        ("getWallets", "main", "WITH k AS (SELECT key FROM key_value) SELECT key FROM k"),
        ("getFileImports", "main", "SELECT * FROM connections"),
    ]
    for method, *params in spying:
        assert await guest_call(daemon, method, *params) == refused(method), params

    secret = "SELECT 1, value FROM key_value WHERE key = 'assistant_openai_key'"
    assert await client.call("getTags", "main", secret) == [{"id": 1, "name": "iv:tag:secret"}]
    tagged = "SELECT tags.* FROM tags JOIN audit_log_tags ON tags.id = audit_log_tags.tag_id"
    assert (await guest_call(daemon, "getTags", "main", tagged))["result"] == []


async def test_a_guest_subscribes_to_the_displays_keys_only(
    client: DaemonClient, daemon: Daemon
) -> None:
    async with guest_in_kiosk_mode(client, daemon) as ws:
        for request_id, key in enumerate(("lastTx", "push_devices")):
            params = ["main", key, {"functionId": f"f{request_id}", "__isFunction": True}]
            await ws.send_json({"id": request_id, "method": "subscribeToKV", "params": params})
        answers = [await ws.receive_json(timeout=5) for _ in range(2)]
        answers.sort(key=lambda answer: answer["id"])

        await client.call("setValue", "main", "push_devices", "[]")
        await client.call("setValue", "main", "lastTx", 5)
        pushed = await ws.receive_json(timeout=5)

    assert "result" in answers[0]
    assert answers[1] == {
        "id": 1,
        "method": "subscribeToKV",
        "error": "Login or sign up to continue.",
        "code": -32001,
    }
    assert pushed == {"functionId": "f0", "params": [5]}
