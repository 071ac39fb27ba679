"""Accounts, key-value and settings over RPC, as a client sees them."""

import asyncio
import collections
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.held_reads import hold_a_reader
from tests.api.manual_entries import until
from tests.conftest import Connect


def files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


async def test_create_list_rename_delete(client: DaemonClient, daemon: Daemon) -> None:
    assert await client.call("createAccount", "main") is None
    assert await client.call("createAccount", "savings") is None
    assert await client.call("createAccount", "main") is None
    assert await client.call("getAccountNames") == ["main", "savings"]
    await client.call("renameAccount", "savings", "pension")
    assert await client.call("getAccountNames") == ["main", "pension"]
    databases = daemon.config.data_dir / "databases"
    assert (databases / "pension.sqlite").exists() and not (databases / "savings.sqlite").exists()
    await client.call("deleteAccount", "pension")
    assert await client.call("getAccountNames") == ["main"]
    assert not (databases / "pension.sqlite").exists()
    with pytest.raises(RpcCallError) as caught:
        await client.call("deleteAccount", "pension")
    assert (caught.value.code, caught.value.message) == (-32002, 'Account "pension" does not exist')


BAD_NAMES = [
    ("a/b", "Account name contains invalid characters."),
    ("..\\evil", "Account name contains invalid characters."),
    ("tab\there", "Account name contains invalid characters."),
    ("", "Account name cannot be empty."),
    ("x" * 256, "Account names can be at most 200 bytes long (UTF-8); this one is 256."),
    ("..", "Account name cannot start or end with a space, nor end with a dot."),
    (" main", "Account name cannot start or end with a space, nor end with a dot."),
    ("CON", '"CON" is a reserved name and cannot be used as an account name.'),
    ("lpt1.txt", '"lpt1.txt" is a reserved name and cannot be used as an account name.'),
    ("COM0", '"COM0" is a reserved name and cannot be used as an account name.'),
    ("com\u00b9", '"com\u00b9" is a reserved name and cannot be used as an account name.'),
    ("conout$", '"conout$" is a reserved name and cannot be used as an account name.'),
    ("AUX .log", '"AUX .log" is a reserved name and cannot be used as an account name.'),
]


@pytest.mark.parametrize(("name", "message"), BAD_NAMES)
async def test_bad_account_name_is_refused_and_creates_no_file(
    client: DaemonClient, daemon: Daemon, name: str, message: str
) -> None:
    before = files_under(daemon.config.data_dir)
    with pytest.raises(RpcCallError) as caught:
        await client.call("createAccount", name)
    assert caught.value.code == -32602
    assert caught.value.message.startswith(message)
    assert files_under(daemon.config.data_dir) == before
    assert await client.call("getAccountNames") == []


async def test_account_events_reach_subscribers(client: DaemonClient) -> None:
    events: list[tuple[str, str]] = []
    subscription = await client.call(
        "subscribeToAccounts", lambda cause, name: events.append((cause, name))
    )
    await client.call("createAccount", "main")
    await client.call("resetAccount", "main")
    await client.call("deleteAccount", "main")
    await client.call("unsubscribe", subscription, False)
    await client.call("createAccount", "after")
    await client.call("ping")
    assert events == [
        ("created", "main"),
        ("deleted", "main"),
        ("reset", "main"),
        ("deleted", "main"),
    ]


async def test_reset_empties_the_account_but_keeps_it(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("setValue", "main", "address_book", '{"0xabc": "Cold wallet"}')
    await client.call("resetAccount", "main")
    assert await client.call("getAccountNames") == ["main"]
    assert await client.call("getValue", "main", "address_book", "{}") == "{}"


async def test_key_value_round_trip_and_subscription(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    assert await client.call("getValue", "main", "genesis", 0) == 0
    seen: list[object] = []
    await client.call("subscribeToKV", "main", "lastTx", seen.append)
    await client.call("setValue", "main", "genesis", 1512259200000)
    await client.call("setValue", "main", "lastTx", 1514404548000)
    await client.call("setValue", "main", "note", "123")
    assert await client.call("getValue", "main", "genesis") == 1512259200000
    assert await client.call("getValue", "main", "note") == 123  # JSON column: numeric affinity
    await client.call("ping")
    assert seen == [1514404548000]


async def test_settings_defaults_are_stored_and_updates_merge(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    changes: list[dict[str, object]] = []
    await client.call("subscribeToSettings", "main", changes.append)
    defaults = {
        "assistantModel": "gpt-4.1-mini",
        "backupInterval": 0,
        "kioskMode": False,
        "metadataRefreshInterval": 10080,
        "networthRefreshInterval": 60,
    }
    assert await client.call("getSettings", "main") == defaults
    updated = await client.call("updateSettings", "main", {"networthRefreshInterval": 15})
    assert updated == {**defaults, "networthRefreshInterval": 15}
    assert await client.call("getSettings", "main") == updated
    with pytest.raises(RpcCallError) as caught:
        await client.call("updateSettings", "main", {"networthRefreshInterval": 0})
    assert (
        caught.value.message == "networthRefreshInterval must be a whole number of minutes above 0"
    )
    for wrong, message in (
        ({"kioskMode": "yes"}, "kioskMode must be true or false"),
        ({"assistantModel": 4}, "assistantModel must be a string"),
    ):
        with pytest.raises(RpcCallError) as caught:
            await client.call("updateSettings", "main", wrong)
        assert caught.value.message == message
    assert await client.call("getSettings", "main") == updated
    await client.call("ping")
    assert changes == [updated]


async def test_server_settings_and_info(client: DaemonClient, daemon: Daemon) -> None:
    assert await client.call("getServerSettings") == {
        "healthMetricsInterval": 60,
        "systemInfoInterval": 10080,
    }
    assert await client.call("updateServerSettings", {"healthMetricsInterval": 30}) == {
        "healthMetricsInterval": 30,
        "systemInfoInterval": 10080,
    }
    info = await client.call("getServerInfo")
    assert info["dataDir"] == str(daemon.config.data_dir)
    assert await client.call("getSystemInfo") is None
    system = await client.call("refreshSystemInfo")
    assert system["cpuCores"] >= 1 and system["memory"] > 0
    assert await client.call("getSystemInfo") == system


async def test_monitoring_the_server_health_stores_the_system_info_once(
    client: DaemonClient, daemon: Daemon
) -> None:
    assert await client.call("getSystemInfo") is None
    await client.call("monitorServerHealth")
    info = await client.call("getSystemInfo")
    assert info is not None and info["cpuCores"] >= 1
    await daemon.server_state.set_value("system_info", '{"cpuCores": 99}')
    await client.call("monitorServerHealth")
    assert await client.call("getSystemInfo") == {"cpuCores": 99}


async def test_after_200_clients_subscribe_and_leave_nothing_stays_live(
    connect: Connect, daemon: Daemon
) -> None:
    await (await connect()).call("createAccount", "main")
    for _ in range(200):
        client = await DaemonClient.connect(
            f"ws://127.0.0.1:{daemon.port}/", token=daemon.credentials.desktop_token()
        )
        await client.call("subscribeToAccounts", lambda *_: None)
        await client.call("subscribeToKV", "main", "lastTx", lambda *_: None)
        await client.close()
    observer = await connect()
    for _ in range(200):
        stats = await observer.call("getServerStats")
        if stats["connections"] == 2:
            break
        await asyncio.sleep(0.01)
    assert (stats["connections"], stats["subscriptions"], stats["callbacks"]) == (2, 0, 0)
    assert daemon.events.listener_count("accounts") == 0
    assert daemon.events.listener_count("key-value", account="main") == 0
    assert stats["rss"] > 0 and stats["uptime"] >= 0


async def test_subscriptions_to_an_account_end_when_it_is_deleted_or_renamed(
    client: DaemonClient, daemon: Daemon
) -> None:
    # The daemon's own listeners (the relayer's, which keeps when each account's jobs last ran).
    app_wide = daemon.events.listener_count("account-deleted")
    renamed_app_wide = daemon.events.listener_count("account-renamed")
    for name in ("main", "other"):
        await client.call("createAccount", name)
        await client.call("subscribeToTransactions", name, lambda *_: None)
        await client.call("subscribeToKV", name, "lastTx", lambda *_: None)
    assert (await client.call("getServerStats"))["subscriptions"] == 4
    # Each account's subscriptions listen for its end on its own channel: deleting one account
    # goes through its subscriptions alone.
    assert daemon.events.listener_count("account-deleted") == app_wide
    assert daemon.events.listener_count("account-gone", account="main") == 2

    await client.call("deleteAccount", "main")
    stats = await client.call("getServerStats")
    assert (stats["subscriptions"], stats["callbacks"]) == (2, 2)
    await client.call("renameAccount", "other", "renamed")
    stats = await client.call("getServerStats")
    assert (stats["subscriptions"], stats["callbacks"]) == (0, 0)
    assert daemon.events.listener_count("account-deleted") == app_wide
    assert daemon.events.listener_count("account-renamed") == renamed_app_wide


async def test_names_that_differ_only_in_case_are_refused(client: DaemonClient) -> None:
    """They would share their files where file names ignore case (macOS, Windows)."""
    await client.call("createAccount", "alice")
    await client.call("createAccount", "bob")
    twin = (
        'Account "{}" differs from the account "alice" only in case; their files would be the '
        "same on macOS and Windows. Choose another name."
    )
    for method, params in (("createAccount", ["Alice"]), ("renameAccount", ["bob", "ALICE"])):
        with pytest.raises(RpcCallError) as refused:
            await client.call(method, *params)
        assert (refused.value.code, refused.value.message) == (-32602, twin.format(params[-1]))
    await client.call("renameAccount", "alice", "Alice")
    assert await client.call("getAccountNames") == ["Alice", "bob"]


async def test_names_that_differ_only_in_how_accents_are_encoded_are_refused(
    client: DaemonClient,
) -> None:
    """macOS stores "é" and "e" with a combining accent under one file name."""
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    await client.call("createAccount", composed)
    with pytest.raises(RpcCallError) as refused:
        await client.call("createAccount", decomposed.upper())
    assert refused.value.message == (
        f'Account "{decomposed.upper()}" is the account "{composed}" with its accents encoded '
        "another way; their files would be the same on macOS. Choose another name."
    )
    await client.call("renameAccount", composed, decomposed)
    assert await client.call("getAccountNames") == [decomposed]


async def test_calls_on_an_account_being_restored_are_told_to_wait(
    client: DaemonClient, daemon: Daemon
) -> None:
    """Not that it does not exist: a frontend told so may drop the account."""
    await client.call("createAccount", "main")
    await client.call("createAccount", "other")
    waits = []
    async with daemon.accounts.exclusive("main") as closed:  # as a restore's swap holds it
        for method, *params in (("getTags",), ("cancelTask", 1), ("getTaskQueue",)):
            with pytest.raises(RpcCallError) as busy:
                await client.call(method, "main", *params)
            waits.append((method, busy.value.code, busy.value.message))
        assert await client.call("getAccountNames") == ["main", "other"]
        await closed.reopen()
    assert await client.call("getAccountNames") == ["main", "other"]
    assert waits == [
        (method, -32004, 'Account "main" is being restored; try again in a moment')
        for method in ("getTags", "cancelTask", "getTaskQueue")
    ]
    with pytest.raises(RpcCallError) as missing:
        await client.call("getTags", "ghost")
    assert missing.value.message == 'Account "ghost" does not exist'


async def test_calls_on_an_account_being_renamed_are_told_to_wait_under_both_names(
    client: DaemonClient, daemon: Daemon
) -> None:
    """Not that neither name exists: a device told so may think the account deleted. It is
    listed under its old name until the rename is done."""
    await client.call("createAccount", "main")
    await client.call("createAccount", "other")
    # A read in flight holds the rename while the account is closed
    held, release = await hold_a_reader(daemon.accounts.get("main"))
    rename = asyncio.create_task(client.call("renameAccount", "main", "savings"))
    try:
        await until(lambda: not daemon.accounts.exists("main"))  # closed, its close held
        names = await client.call("getAccountNames")
        waits = []
        for name, method, *params in (
            ("main", "getChanges", 0),
            ("savings", "getChanges", 0),
            ("savings", "submitEvents", [{"eventId": "e", "type": "tag.create"}]),
            ("savings", "getTaskQueue"),
        ):
            with pytest.raises(RpcCallError) as busy:
                await client.call(method, name, *params)
            waits.append((method, busy.value.code, busy.value.message))
    finally:
        release.set()
    await held
    await rename

    assert names == ["main", "other"]
    assert waits == [
        (
            "getChanges",
            -32004,
            'Account "main" is being renamed to "savings"; try again in a moment',
        ),
        *[
            (
                method,
                -32004,
                'Account "savings" is being renamed from "main"; try again in a moment',
            )
            for method in ("getChanges", "submitEvents", "getTaskQueue")
        ],
    ]
    assert await client.call("getAccountNames") == ["savings", "other"]
    assert (await client.call("getChanges", "savings", 0))["changes"] == []
    with pytest.raises(RpcCallError) as missing:
        await client.call("getChanges", "main", 0)
    assert (missing.value.code, missing.value.message) == (-32002, 'Account "main" does not exist')


async def test_the_task_queue_of_an_account_being_reset_is_never_said_to_be_missing(
    client: DaemonClient, daemon: Daemon, connect: Connect
) -> None:
    """Its queue stops before the account closes and starts after it opens: in between too."""
    await client.call("createAccount", "main")
    other = await connect()
    answers: collections.Counter[tuple[int, str] | str] = collections.Counter()
    resetting = True

    async def ask(method: str, *params: object) -> None:
        while resetting:
            try:
                await other.call(method, "main", *params)
                answers["answered"] += 1
            except RpcCallError as error:
                answers[(error.code, error.message.split(";")[0])] += 1

    askers = [asyncio.create_task(ask("getTaskQueue")), asyncio.create_task(ask("cancelTask", 9))]
    for _ in range(30):
        await client.call("resetAccount", "main")
    resetting = False
    await asyncio.gather(*askers)

    assert set(answers) <= {
        "answered",
        (-32002, "Task with id 9 not found."),
        (-32004, 'Account "main" is being reset'),
    }, answers
    assert answers[(-32004, 'Account "main" is being reset')] > 0


async def test_the_task_queue_of_an_account_being_deleted_is_not_said_to_come_back(
    client: DaemonClient, connect: Connect
) -> None:
    """Its queue stops first: asked meanwhile, it is going, not "try again in a moment"."""
    other = await connect()
    answers: collections.Counter[int | str] = collections.Counter()
    for number in range(5):
        name = f"going{number}"
        await client.call("createAccount", name)
        await client.call("enqueueSleep", name, 30, 0.5)  # stops within a step
        deleting = asyncio.create_task(client.call("deleteAccount", name))
        while not deleting.done():
            try:
                await other.call("getTaskQueue", name)
                answers["answered"] += 1
            except RpcCallError as error:
                answers[error.code] += 1
        await deleting

    assert set(answers) <= {"answered", -32002}, answers
    assert answers[-32002] > 0


async def test_a_call_that_queues_no_task_keeps_none_of_its_callbacks(
    client: DaemonClient,
) -> None:
    with pytest.raises(RpcCallError) as refused:
        await client.call("enqueueSleep", "ghost", 1, 1, False, lambda *_: None)
    assert (refused.value.code, refused.value.message) == (-32002, 'Account "ghost" does not exist')
    assert (await client.call("getServerStats"))["callbacks"] == 0
