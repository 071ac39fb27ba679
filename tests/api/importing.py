"""Helpers to import files as the frontend does: register, upload, enqueue, wait."""

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import aiohttp

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.hashing import utf16_length
from tests.conftest import http_url

LEDGER_TABLES = (
    "audit_logs",
    "transactions",
    "file_imports",
    "balances",
    "networth",
    "tags",
    "audit_log_tags",
    "transaction_tags",
    "trades",
    "daily_prices",
)


async def upload(
    daemon: Daemon,
    client: DaemonClient,
    name: str,
    content: bytes,
    *,
    size: int | None = None,
    mime: str = "text/csv",
    account: str = "main",
) -> dict[str, Any]:
    metadata = {"lastModified": 0, "size": size if size is not None else len(content), "type": mime}
    record = await client.call(
        "upsertServerFile",
        account,
        {"createdBy": "user", "metadata": metadata, "name": name, "status": "scheduled"},
    )
    data = aiohttp.FormData()
    data.add_field("accountName", account)
    data.add_field("fileId", str(record["id"]))
    data.add_field("file", content, filename=name, content_type=mime)
    headers = {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(http_url(daemon, "/upload"), data=data) as response,
    ):
        assert response.status == 200, await response.text()
    result: dict[str, Any] = record
    return result


async def wait_for_task(
    client: DaemonClient, task_id: int, account: str = "main", timeout: float = 60
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        task = await client.call("getServerTask", account, task_id)
        if task and task["status"] in ("completed", "failed", "aborted", "cancelled"):
            return dict(task)
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} did not finish")


async def import_file(
    daemon: Daemon,
    client: DaemonClient,
    name: str,
    content: bytes,
    *,
    context: dict[str, str] | None = None,
    js_size: bool = True,
    group_id: str | None = None,
) -> dict[str, Any]:
    """Upload and import; ``js_size`` uses the text's UTF-16 length as the Privatefolio tests do."""
    size = utf16_length(content.decode("utf-8", errors="replace")) if js_size else len(content)
    record = await upload(daemon, client, name, content, size=size)
    task_id = await client.call(
        "enqueueImportFile", "main", "user", record["id"], context or {}, group_id
    )
    return await wait_for_task(client, task_id)


async def ledger_digest(daemon: Daemon, account: str = "main") -> str:
    digest = hashlib.sha256()
    db = daemon.accounts.get(account)
    for table in LEDGER_TABLES:
        for row in await db.fetch_all(f"SELECT * FROM {table} ORDER BY rowid"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


ERC20_0XF98_CONTEXT = {
    "platform": "chain.ethereum",
    "userAddress": "0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3",
}


async def import_0xf98(
    daemon: Daemon, client: DaemonClient, fixtures: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fixtures' 0xf98 set as their tests import it: normal transactions, then ERC-20."""
    folder = fixtures / "0xf98"
    normal = await import_file(
        daemon,
        client,
        "0xf98/etherscan.csv",
        (folder / "etherscan.csv").read_bytes(),
        context={"platform": "chain.ethereum"},
    )
    erc20 = await import_file(
        daemon,
        client,
        "0xf98/etherscan-erc20.csv",
        (folder / "etherscan-erc20.csv").read_bytes(),
        context=ERC20_0XF98_CONTEXT,
    )
    return normal, erc20
