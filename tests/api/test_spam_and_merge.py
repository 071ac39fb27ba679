"""Auto-merge and spam detection as tasks, on the 0xf98 Etherscan fixture imported through the
daemon: the merged ledger is exactly Privatefolio's, and spam follows the coin list."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file, wait_for_task
from tests.api.test_import_fixtures import expected, sanitised, without_balances
from tests.shared_fixtures import require_shared_fixtures
from tests.standins.background_server import serve_in_thread

USER = "0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3"
#: The coins the expected outputs treat as listed (expected/README.md, quirk 2), by contract.
LISTED_TOKENS = [
    ("xdata", "XDATA", "0x0cf0ee63788a0849fe5297f3407f701e122cc023"),
    ("loom-network", "LOOM", "0xa4e8c3ec456107ea67d3075bf9e3df3a75823db0"),
    ("livepeer", "LPT", "0x58b6a8a3302369daec383334672404ee733ab239"),
]
SPAM_SYMBOLS = ["CAN", "HEALP", "INSP", "VIU", "XNN"]


@pytest.fixture
def fixtures() -> Path:
    return require_shared_fixtures()


@pytest.fixture
def coin_list_url() -> Iterator[str]:
    coins = [
        {"id": coin_id, "symbol": symbol.lower(), "name": symbol, "platforms": {"ethereum": c}}
        for coin_id, symbol, c in LISTED_TOKENS
    ]
    app = web.Application()

    async def coin_list(_: web.Request) -> web.Response:
        return web.json_response(coins)

    app.router.add_get("/coins/list", coin_list)
    with serve_in_thread(app) as url:
        yield f"{url}/coins/list"


async def import_0xf98(
    daemon: Daemon, client: DaemonClient, fixtures: Path, *, erc20_first: bool = False
) -> None:
    folder = fixtures / "0xf98"
    context: dict[str, str] = {"platform": "chain.ethereum"}
    files = [("etherscan.csv", {}), ("etherscan-erc20.csv", {"userAddress": USER})]
    for name, extra in reversed(files) if erc20_first else files:
        task = await import_file(
            daemon, client, f"0xf98/{name}", (folder / name).read_bytes(), context=context | extra
        )
        assert task["status"] == "completed", task
        if erc20_first:
            await wait_for_task(
                client, await client.call("enqueueDetectSpamTransactions", "main", "user")
            )


def progress_lines(daemon: Daemon, task_id: int) -> list[Any]:
    log = daemon.accounts.logs_dir("main") / f"server_task_{task_id}.log"
    return [json.loads(line[25:]) for line in log.read_text().splitlines()]


async def test_auto_merge_gives_the_expected_0xf98_ledger(
    client: DaemonClient, daemon: Daemon, fixtures: Path
) -> None:
    await client.call("createAccount", "main")
    await import_0xf98(daemon, client, fixtures)
    assert await client.call("countTransactions", "main") == 17
    task = await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user", "g"))
    assert (task["name"], task["priority"], task["status"], task["groupId"]) == (
        "Auto-merge transactions",
        6,
        "completed",
        "g",
    )
    scenario = expected(fixtures, "0xf98", "scenario.json")
    lines = progress_lines(daemon, task["id"])
    # A side-effect merge may have run first; then this run finds nothing left to merge.
    if lines[2] == [25, "Processing 17 (EVM) transactions"]:
        assert lines[1:] == scenario["progress"]["autoMergeTransactions"]
    else:
        assert lines[1:] == [
            [0, "Fetching all transactions"],
            [25, "Processing 16 (EVM) transactions"],
            [50, "Saving 0 merged transactions"],
            [70, "Updating the audit logs of 0 merged transactions"],
            [90, "Deleting 0 deduplicated transactions"],
            [100, "Done"],
        ]
    logs = await client.call("getAuditLogs", "main")
    assert [sanitised(log, is_log=True) for log in logs] == without_balances(
        expected(fixtures, "0xf98", "audit-logs.json")["rows"]
    )
    transactions = await client.call("getTransactions", "main")
    assert [sanitised(tx, is_log=False) for tx in transactions] == expected(
        fixtures, "0xf98", "transactions.json"
    )["rows"]
    # The leader is the ERC-20 row (ERC20 sorts before NORMAL), as the full ids in
    # expected/0xf98/trades.json show.
    merged = [tx["id"] for tx in transactions if tx["id"].endswith("_MERGED")]
    assert merged == [
        "3477221057_0xca53366c006469162541313f3e714ca7b91f65ea8c5e69205f7aff27aa1dc1d3_MERGED"
    ]


async def test_spam_is_what_the_coin_list_does_not_know(
    client: DaemonClient, daemon: Daemon, fixtures: Path, coin_list_url: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("updateServerSettings", {"coinListUrl": coin_list_url})
    refetch = await wait_for_task(client, await client.call("enqueueRefetchAssets", "main", "user"))
    assert refetch["status"] == "completed"
    await import_0xf98(daemon, client, fixtures)
    await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))

    task = await wait_for_task(
        client, await client.call("enqueueDetectSpamTransactions", "main", "user", "g")
    )
    assert (task["name"], task["priority"], task["status"]) == (
        "Detect spam transactions",
        5,
        "completed",
    )
    assert progress_lines(daemon, task["id"])[1:] == [
        [0, "Fetching all transactions"],
        [33, "Processing 16 (EVM) transactions"],
        [66, "Tagging 5 spam transactions"],
        [90, "Tagged 5 audit logs"],
        [100, "Done"],
    ]
    spam_sql = (
        "SELECT transactions.* FROM transactions JOIN transaction_tags AS tt "
        "ON tt.transaction_id = transactions.id JOIN tags ON tags.id = tt.tag_id "
        "WHERE tags.name = 'spam' ORDER BY incomingAsset"
    )
    spam = await client.call("getTransactions", "main", spam_sql)
    assert sorted(tx["incomingAsset"].split(":")[2] for tx in spam) == SPAM_SYMBOLS
    assert all(tx["type"] == "Deposit" and "fee" not in tx for tx in spam)
    logs_of: dict[str, list[dict[str, Any]]] = {}
    for tx in spam:
        [log] = logs_of[tx["id"]] = await client.call(
            "getAuditLogsForTransaction", "main", tx["id"]
        )
        assert await client.call("getTagsForAuditLog", "main", log["id"]) == [
            {"id": 1, "name": "spam"}
        ]
    assert await client.call("getTags", "main") == [{"id": 1, "name": "spam"}]
    changes = (await client.call("getChanges", "main", 0, 5000))["changes"]
    tagged = sorted(c["recordId"] for c in changes if c["entity"] == "tagging")
    assert tagged == sorted(
        [f"transaction:{tx['id']}" for tx in spam]
        + [f"auditLog:{log['id']}" for tx in spam for log in logs_of[tx["id"]]]
    )
    listed = {
        asset["symbol"]
        for asset in await client.call("getMyAssets", "main")
        if "coingeckoId" in asset
    }
    assert listed == {"ETH", "XDATA", "LOOM", "LPT"}


LOOM_SWAP_LEADER = "3477221057_0xca53366c006469162541313f3e714ca7b91f65ea8c5e69205f7aff27aa1dc1d3"
SPAM_SQL = (
    "SELECT {kind}s.id FROM {kind}s JOIN {kind}_tags AS tagged "
    "ON tagged.{kind}_id = {kind}s.id JOIN tags ON tags.id = tagged.tag_id "
    "WHERE tags.name = 'spam'"
)


async def spam_tagged(client: DaemonClient) -> tuple[list[str], list[str]]:
    """The ids of the transactions and of the audit logs tagged ``spam``, sorted."""
    txs = await client.call("getTransactions", "main", SPAM_SQL.format(kind="transaction"))
    logs = await client.call("getAuditLogs", "main", SPAM_SQL.format(kind="audit_log"))
    return sorted(tx["id"] for tx in txs), sorted(log["id"] for log in logs)


async def test_spam_does_not_depend_on_the_order_of_the_imports(
    client: DaemonClient, daemon: Daemon, fixtures: Path
) -> None:
    """Judged alone, the ERC-20 side of the LOOM swap is an unlisted deposit with no fee; merged
    with its normal row it pays a fee, so neither it nor its log keeps the ``spam`` tag it got."""
    found = []
    for erc20_first in (False, True):
        await client.call("createAccount", "main")
        await import_0xf98(daemon, client, fixtures, erc20_first=erc20_first)
        if erc20_first:
            tx_ids, _ = await spam_tagged(client)
            assert f"{LOOM_SWAP_LEADER}_ERC20_5" in tx_ids
        await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))
        await wait_for_task(
            client, await client.call("enqueueDetectSpamTransactions", "main", "user")
        )
        found.append(await spam_tagged(client))
        await client.call("deleteAccount", "main")

    assert found[1] == found[0]
    tx_ids, log_ids = found[0]
    assert len(tx_ids) == len(log_ids) == 7
    assert [tx_id for tx_id in tx_ids if "_ERC20_" not in tx_id] == []


async def test_removing_the_erc20_import_unmerges_and_importing_it_again_merges_the_same(
    client: DaemonClient, daemon: Daemon, fixtures: Path
) -> None:
    """On the 0xf98 fixture: the normal transactions come back as they were imported, and the
    ERC-20 file imported again gives the expected merged ledger."""
    await client.call("createAccount", "main")
    folder = fixtures / "0xf98"
    context = {"platform": "chain.ethereum"}
    task = await import_file(
        daemon,
        client,
        "0xf98/etherscan.csv",
        (folder / "etherscan.csv").read_bytes(),
        context=context,
    )
    assert task["status"] == "completed", task
    normal_only = await client.call("getTransactions", "main")
    normal_logs = await client.call("getAuditLogs", "main")
    erc20 = (folder / "etherscan-erc20.csv").read_bytes()
    erc20_context = context | {"userAddress": USER}
    task = await import_file(
        daemon, client, "0xf98/etherscan-erc20.csv", erc20, context=erc20_context
    )
    assert task["status"] == "completed", task
    await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))
    merged_ledger = (
        await client.call("getTransactions", "main"),
        await client.call("getAuditLogs", "main"),
    )
    erc20_import = next(
        record["id"]
        for record in await client.call("getFileImports", "main")
        if record["name"].endswith("erc20.csv")
    )

    removal = await client.call("enqueueRemoveFileImport", "main", "user", erc20_import)
    assert (await wait_for_task(client, removal))["status"] == "completed"

    assert await client.call("getTransactions", "main") == normal_only
    assert without_balance_fields(await client.call("getAuditLogs", "main")) == (
        without_balance_fields(normal_logs)
    )
    task = await import_file(
        daemon, client, "0xf98/etherscan-erc20.csv", erc20, context=erc20_context
    )
    assert task["status"] == "completed", task
    await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))
    assert await client.call("getTransactions", "main") == merged_ledger[0]
    assert without_balance_fields(await client.call("getAuditLogs", "main")) == (
        without_balance_fields(merged_ledger[1])
    )


def without_balance_fields(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The logs without the balances a refresh may or may not have filled in yet."""
    return [
        {key: value for key, value in log.items() if not key.startswith("balance")}
        for log in sorted(logs, key=lambda log: log["id"])
    ]


async def test_removing_the_0xf98_imports_reports_what_privatefolio_reports(
    client: DaemonClient, daemon: Daemon, fixtures: Path
) -> None:
    """The removal's progress lines are the expected ones, but for the second import's count of
    transactions: the first removal gave it back the transaction of the swap it had merged away
    (9, where Privatefolio, which loses that transaction, removes 8)."""
    await client.call("createAccount", "main")
    await import_0xf98(daemon, client, fixtures)
    await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))
    lines: list[Any] = []
    for record in await client.call("getFileImports", "main"):
        removal = await client.call("enqueueRemoveFileImport", "main", "user", record["id"])
        task = await wait_for_task(client, removal)
        assert task["status"] == "completed", task
        lines += progress_lines(daemon, task["id"])[1:]

    scenario = expected(fixtures, "0xf98", "scenario.json")["progress"]["deleteFileImports"]
    assert scenario[6] == [50, "Removing 8 transactions"]
    assert lines == [*scenario[:6], [50, "Removing 9 transactions"], *scenario[7:]]
    assert await client.call("countTransactions", "main") == 0
    assert await client.call("countAuditLogs", "main") == 0
