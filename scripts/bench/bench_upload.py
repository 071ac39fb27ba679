"""Uploading a file to a benchmark's daemon as the frontend does: the record, then the bytes."""

import aiohttp
from bench_daemon import DaemonProcess

from privatefolio_daemon.client import DaemonClient


async def upload(
    daemon: DaemonProcess, client: DaemonClient, account: str, content: bytes, name: str
) -> int:
    """The server file's id, once ``content`` is on the daemon's disk under ``name``."""
    metadata = {"lastModified": 0, "size": len(content), "type": "text/csv"}
    file = {"name": name, "metadata": metadata, "status": "scheduled"}
    record = await client.call("upsertServerFile", account, file)
    form = aiohttp.FormData()
    form.add_field("accountName", account)
    form.add_field("fileId", str(record["id"]))
    form.add_field("file", content, filename=name, content_type="text/csv")
    async with (
        aiohttp.ClientSession(headers=daemon.headers) as session,
        session.post(f"{daemon.http}/upload", data=form) as response,
    ):
        assert response.status == 200, await response.text()
    return int(record["id"])
