"""Rows that go (a removed file import, a connection's ledger) take their tags with them, and the
change feed says so: no device keeps a tagging of a row that no longer exists."""

import sqlite3
from pathlib import Path

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store import tags as tag_store
from privatefolio_daemon.store.connections import delete_ledger
from privatefolio_daemon.store.migrations import load_migrations, migrate
from tests.api.importing import import_file, wait_for_task
from tests.api.manual_entries import STOCK_BUY, SWAP

STATEMENT = (
    '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"\n'
    '"1","2021-03-01 10:00:00","Spot","Deposit","BTC","1.5",""\n'
    '"1","2021-03-02 10:00:00","Spot","Deposit","ETH","2",""\n'
)


async def test_removing_a_file_import_removes_the_tags_of_its_rows(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    imported = await import_file(daemon, client, "statement.csv", STATEMENT.encode())
    assert imported["status"] == "completed"
    [log, _] = await client.call("getAuditLogs", "main")
    [tx, _] = await client.call("getTransactions", "main")
    await client.call("assignTagToAuditLog", "main", log["id"], "keep an eye")
    await client.call("assignTagToTransaction", "main", tx["id"], "keep an eye")
    seen = (await client.call("getChanges", "main", 0))["lastSeq"]

    [file_import] = await client.call("getFileImports", "main")
    task_id = await client.call("enqueueRemoveFileImport", "main", "user", file_import["id"])
    assert (await wait_for_task(client, task_id))["status"] == "completed"

    snapshot = await client.call("getSnapshot", "main")
    assert [r for r in snapshot["records"] if r["entity"] == "tagging"] == []
    changes = (await client.call("getChanges", "main", seen))["changes"]
    assert sorted((c["recordId"], c["deleted"]) for c in changes) == [
        (f"auditLog:{log['id']}", True),
        (f"transaction:{tx['id']}", True),
    ]
    assert [t["name"] for t in await client.call("getTags", "main")] == ["keep an eye"]


def test_deleting_a_connections_ledger_removes_the_tags_of_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "account.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), path)
    for log_id, connection_id in (("a", "wallet-1"), ("b", "wallet-2")):
        connection.execute(
            "INSERT INTO audit_logs (id, assetId, change, connectionId, importIndex, operation, "
            "platformId, timestamp, wallet) VALUES (?, 'eth', '1', ?, 0, 'Deposit', 'eth', 1, 'w')",
            (log_id, connection_id),
        )
    tag, _ = tag_store.ensure_tag(connection, "mine")
    tag_store.link_tag(connection, "auditLog", ["a", "b"], tag[0])

    assert delete_ledger(connection, "wallet-1") == (1, 0)
    assert connection.execute("SELECT audit_log_id FROM audit_log_tags").fetchall() == [("b",)]
    last = connection.execute(
        "SELECT recordId, record FROM sync_changes WHERE entity = 'tagging' ORDER BY seq DESC"
    ).fetchone()
    assert last == ("auditLog:a", None)


async def test_rows_deleted_by_execute_sql_lose_their_tags(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    kept = await client.call("addTransaction", SWAP, "main")
    gone = await client.call("addTransaction", STOCK_BUY, "main")
    [gone_log, *_] = await client.call("getAuditLogsForTransaction", "main", gone)
    for tx_id in (kept, gone):
        await client.call("assignTagToTransaction", "main", tx_id, "review")
    await client.call("assignTagToAuditLog", "main", gone_log["id"], "review")
    seen = (await client.call("getChanges", "main", 0))["lastSeq"]

    await client.call("executeSql", "main", "DELETE FROM transactions WHERE id = ?", [gone])
    await client.call("executeSql", "main", "DELETE FROM audit_logs WHERE txId = ?", [gone])

    snapshot = await client.call("getSnapshot", "main")
    taggings = [r["recordId"] for r in snapshot["records"] if r["entity"] == "tagging"]
    assert taggings == [f"transaction:{kept}"]
    changes = (await client.call("getChanges", "main", seen))["changes"]
    assert [(c["recordId"], c["deleted"]) for c in changes if c["entity"] == "tagging"] == [
        (f"transaction:{gone}", True),
        (f"auditLog:{gone_log['id']}", True),
    ]


async def test_rows_deleted_by_execute_sql_or_a_removal_forget_the_fields_a_user_patched(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    imported = await import_file(daemon, client, "statement.csv", STATEMENT.encode())
    assert imported["status"] == "completed"
    gone, kept = sorted(tx["id"] for tx in await client.call("getTransactions", "main"))
    for tx_id in (gone, kept):
        await client.call("patchTransaction", "main", tx_id, {"role": "savings"})
    db = daemon.accounts.get("main")
    patched = "SELECT transactionId, field FROM transaction_patched_fields ORDER BY 1"
    assert await db.fetch_all(patched) == [(gone, "role"), (kept, "role")]

    await client.call("executeSql", "main", "DELETE FROM transactions WHERE id = ?", [gone])
    assert await db.fetch_all(patched) == [(kept, "role")]
    [file_import] = await client.call("getFileImports", "main")
    task_id = await client.call("enqueueRemoveFileImport", "main", "user", file_import["id"])
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    assert await db.fetch_all(patched) == []
