"""CSV exports through the daemon: the call answers with the finished ServerFile, the bytes are
exactly the Privatefolio format, and a transactions export re-imports to the same values."""

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.importing import import_file, upload, wait_for_task
from tests.api.manual_entries import STOCK_BUY, SWAP
from tests.conftest import http_url
from tests.shared_fixtures import require_shared_fixtures

HEADER = (
    '"Timestamp","Platform","Wallet","Type","Incoming","Incoming Asset","Outgoing",'
    '"Outgoing Asset","Fee","Fee Asset","Smart Contract","Smart Contract Method","Blockchain Tx",'
    '"Notes"'
)
COMPARED = (
    "timestamp", "platformId", "wallet", "type", "incoming", "incomingAsset", "outgoing",
    "outgoingAsset", "fee", "feeAsset", "notes",
)  # fmt: skip


async def download(daemon: Daemon, file_id: int) -> bytes:
    headers = {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}
    params = {"accountName": "main", "fileId": str(file_id)}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(http_url(daemon, "/download"), params=params) as response,
    ):
        assert response.status == 200
        return await response.read()


async def settle(client: DaemonClient) -> None:
    """Let the side-effect chain of the last change fill the balances, then cancel the rest of
    it (price fetching would wait for the network)."""
    for _ in range(1000):
        tasks = await client.call("getServerTasks", "main")
        if any(t["name"] == "Refresh balances" and "completedAt" in t for t in tasks):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the balances were not refreshed")
    for task in tasks:
        if task["status"] in ("queued", "running"):
            try:
                await client.call("cancelTask", "main", task["id"])
            except RpcCallError as error:  # it ended since the listing
                assert "has already ended" in error.message, error.message


def comparable(tx: dict[str, Any]) -> dict[str, Any]:
    values = {name: tx.get(name) for name in COMPARED}
    values.update({key: value for key, value in tx["metadata"].items() if value != ""})
    return values


async def test_transactions_export_is_exact(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", {**SWAP, "notes": 'first, "only"'}, "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    record = await client.call("enqueueExportTransactions", "main", "user")
    content = await download(daemon, record["id"])
    assert content.decode() == "\n".join(
        [
            HEADER,
            '"2023-11-14 22:13:21","app.generic","Broker","Buy","10","stock:AAPL","1705",'
            '"fiat:USD","","","","","",""',
            '"2023-11-14 22:13:20","ex.binance","Binance Spot","Swap","100","ex.binance:MANA",'
            '"0.010954","ex.binance:ETH","0.1","ex.binance:MANA","","","","first\\, ""only"""',
        ]
    )
    assert {key: record[key] for key in ("name", "status", "createdBy", "progress")} == {
        "name": "main-transactions.csv",
        "status": "completed",
        "createdBy": "system",
        "progress": 100,
    }
    assert record["metadata"]["type"] == "text/csv;charset=utf-8;"
    assert record["metadata"]["size"] == len(content)
    [task] = await client.call(
        "getServerTasks", "main", "SELECT * FROM server_tasks WHERE name LIKE 'Export%'"
    )
    assert (task["name"], task["priority"], task["status"]) == (
        "Export all transactions",
        3,
        "completed",
    )


async def test_audit_logs_export_is_exact(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await settle(client)
    balances = {
        log["id"]: log.get("balance", "") for log in await client.call("getAuditLogs", "main")
    }
    record = await client.call("enqueueExportAuditLogs", "main", "user")
    assert (record["name"], record["status"]) == ("main-audit-logs.csv", "completed")
    content = (await download(daemon, record["id"])).decode()
    row = '"2023-11-14 22:13:20","ex.binance","Binance Spot"'
    assert content == "\n".join(
        [
            '"Timestamp","Platform","Wallet","Operation","Change","Asset","Wallet balance"',
            f'{row},"Buy","100","ex.binance:MANA","{balances["MANUAL_1_BUY"]}"',
            f'{row},"Sell","-0.010954","ex.binance:ETH","{balances["MANUAL_1_SELL"]}"',
            f'{row},"Fee","-0.1","ex.binance:MANA","{balances["MANUAL_1_FEE"]}"',
        ]
    )


async def test_an_empty_export_is_the_header_alone(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    record = await client.call("enqueueExportTransactions", "main", "user")
    assert (await download(daemon, record["id"])).decode() == HEADER


async def test_a_failed_export_says_why_and_is_marked_aborted(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    daemon.server_files("main").path(1).mkdir(parents=True)  # where the file would be written
    with pytest.raises(RpcCallError) as failure:
        await client.call("enqueueExportTransactions", "main", "user")
    assert failure.value.code == -32006
    assert failure.value.message.startswith("Export all transactions failed: [Errno 21] Is a")
    [record] = await client.call("getServerFiles", "main")
    assert (record["id"], record["status"]) == (1, "aborted")


async def test_the_transactions_export_re_imports_to_the_same_values(
    client: DaemonClient, daemon: Daemon
) -> None:
    fixtures = require_shared_fixtures()
    await client.call("createAccount", "main")
    for name, context in (
        ("binance.csv", {}),
        ("0xf98/etherscan.csv", {"platform": "chain.ethereum"}),
    ):
        task = await import_file(
            daemon, client, name, (fixtures / name).read_bytes(), context=context
        )
        assert task["status"] == "completed"
    await client.call("addTransaction", {**SWAP, "notes": 'first, "only"'}, "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    originals = await client.call("getTransactions", "main")
    record = await client.call("enqueueExportTransactions", "main", "user")
    content = await download(daemon, record["id"])

    uploaded = await upload(daemon, client, "main-transactions.csv", content)
    task_id = await client.call("enqueueImportFile", "main", "user", uploaded["id"])
    task = await wait_for_task(client, task_id)
    assert task["status"] == "completed", task
    [file_import] = await client.call(
        "getFileImports", "main", "SELECT * FROM file_imports WHERE name = ?", [uploaded["name"]]
    )
    reimported = await client.call("getTransactions", "main", {"fileImportId": file_import["id"]})
    assert len(reimported) == len(originals) == 20
    assert sorted(map(str, map(comparable, reimported))) == sorted(
        map(str, map(comparable, originals))
    )


async def holdings(client: DaemonClient, account: str) -> dict[str, Decimal]:
    """What the audit logs add up to, by asset: the balances they give."""
    held: dict[str, Decimal] = {}
    for log in await client.call("getAuditLogs", account):
        held[log["assetId"]] = held.get(log["assetId"], Decimal(0)) + Decimal(log["change"])
    return held


async def test_a_re_imported_export_holds_what_the_account_held(
    client: DaemonClient, daemon: Daemon
) -> None:
    """Fees included: a positive fee, as manual and Binance transactions store it, is paid."""
    await client.call("createAccount", "main")
    await client.call("createAccount", "copy")
    await client.call("addTransaction", SWAP, "main")
    await client.call("addTransaction", {**STOCK_BUY, "fee": "1.5", "feeAsset": "fiat:USD"}, "main")
    record = await client.call("enqueueExportTransactions", "main", "user")
    content = await download(daemon, record["id"])
    uploaded = await upload(daemon, client, "main-transactions.csv", content, account="copy")
    task_id = await client.call("enqueueImportFile", "copy", "user", uploaded["id"])
    assert (await wait_for_task(client, task_id, account="copy"))["status"] == "completed"
    held = await holdings(client, "main")
    assert held == {
        "ex.binance:MANA": Decimal("99.9"),
        "ex.binance:ETH": Decimal("-0.010954"),
        "stock:AAPL": Decimal("10"),
        "fiat:USD": Decimal("-1706.5"),
    }
    assert await holdings(client, "copy") == held


USER = "0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3"
SENDER = "0x75e7f640bf6968b6f32c47a3cd82c3c2c9dcae68"
ETHERSCAN_HEADER = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress",'
    '"Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $2527.36/Eth","TxnFee(ETH)","TxnFee(USD)",'
    '"Historical $Price/Eth","Status","ErrCode","Method"'
)


async def test_notes_with_quotes_and_semicolons_and_empty_transactions_re_import(
    client: DaemonClient, daemon: Daemon
) -> None:
    """A failed transfer moves nothing, so the export writes it without amounts."""
    await client.call("createAccount", "main")
    await client.call("createAccount", "copy")
    etherscan = "\n".join(
        [
            ETHERSCAN_HEADER,
            f'"0xd1","1","1577836800","2020-01-01 00:00:00","{SENDER}","{USER}","","2","0","0",'
            '"0.001","0","0","","","Transfer"',
            f'"0xd2","2","1577923200","2020-01-02 00:00:00","{SENDER}","{USER}","","1","0","0",'
            '"0.001","0","0","Error(0)","","Transfer"',
        ]
    ).encode()
    task = await import_file(
        daemon, client, "etherscan.csv", etherscan, context={"platform": "chain.ethereum"}
    )
    assert task["status"] == "completed"
    for notes in ('say "hi"; then', '";"', 'a" , b', "semi;colon"):
        await client.call("addTransaction", {**SWAP, "notes": notes}, "main")
    originals = await client.call("getTransactions", "main")
    assert any("incoming" not in tx and "fee" not in tx for tx in originals)

    record = await client.call("enqueueExportTransactions", "main", "user")
    content = await download(daemon, record["id"])
    uploaded = await upload(daemon, client, "main-transactions.csv", content, account="copy")
    task_id = await client.call("enqueueImportFile", "copy", "user", uploaded["id"])
    task = await wait_for_task(client, task_id, account="copy")
    assert task["status"] == "completed", task

    copies = await client.call("getTransactions", "copy")

    def kept(tx: dict[str, Any]) -> str:  # the export's columns hold no "failed" mark
        return str({key: value for key, value in comparable(tx).items() if key != "failed"})

    assert sorted(map(kept, copies)) == sorted(map(kept, originals))
