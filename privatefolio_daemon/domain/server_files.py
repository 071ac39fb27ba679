"""Files kept for an account: uploads (CSV imports, backups to restore) and generated files
(exports, backups). The bytes live in ``<data>/files/<account>/<id>``; the row says what they are.
"""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypedDict

from privatefolio_daemon.domain.errors import ConflictError, InvalidInputError, NotFoundError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store import server_files
from privatefolio_daemon.store.database import Database


class FileMetadata(TypedDict, total=False):
    lastModified: int
    size: int
    type: str


class NewServerFile(TypedDict, total=False):
    id: int
    name: str
    description: str
    scheduledAt: int
    status: str
    progress: int
    metadata: FileMetadata
    createdBy: str


class FileTooLarge(Exception):
    """The upload is bigger than the limit."""


class ServerFiles:
    def __init__(self, account: str, db: Database, events: EventBus, directory: Path) -> None:
        self.account = account
        self._db = db
        self._events = events
        self.directory = directory

    def path(self, file_id: int) -> Path:
        return self.directory / str(int(file_id))

    async def upsert(self, record: NewServerFile) -> dict[str, Any]:
        if not record.get("name"):
            raise InvalidInputError("A server file needs a name")
        row = {
            "scheduledAt": now_ms(),
            "createdBy": "user",
            **record,
        }
        file_id = await self._db.write(lambda conn: server_files.insert_file(conn, dict(row)))
        self._changed()
        return await self.get(file_id)

    async def get(self, file_id: int) -> dict[str, Any]:
        row = await self._db.read(lambda conn: server_files.select_file(conn, file_id))
        if row is None:
            raise NotFoundError(f"Server file {file_id} does not exist")
        return server_files.file_to_wire(row)

    async def patch(self, file_id: int, **fields: Any) -> None:
        await self._db.write(lambda conn: server_files.patch_file(conn, file_id, **fields))
        self._changed()

    async def delete(self, file_id: int) -> None:
        await self.get(file_id)
        await asyncio.to_thread(self.path(file_id).unlink, missing_ok=True)
        await self._db.write(
            lambda conn: conn.execute("DELETE FROM server_files WHERE id = ?", (file_id,))
        )
        self._changed()

    async def receive(
        self, file_id: int, chunks: AsyncIterator[bytes], max_bytes: int
    ) -> dict[str, Any]:
        """Stream an upload to disk: ``scheduled → uploading → completed``, or ``aborted``."""
        record = await self.get(file_id)
        if record["status"] not in ("scheduled", "aborted"):
            raise ConflictError(
                f"Server file {file_id} is {record['status']}, not waiting for an upload"
            )
        await self.patch(file_id, status="uploading", startedAt=now_ms(), progress=0)
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".upload-{file_id}-{os.getpid()}"
        try:
            size = await _write_chunks(partial, chunks, max_bytes)
            await asyncio.to_thread(os.replace, partial, self.path(file_id))
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink()
            await self.patch(file_id, status="aborted", completedAt=now_ms())
            raise
        metadata = {"size": size, **record.get("metadata", {})}  # what the client declared wins
        await self.patch(
            file_id, status="completed", completedAt=now_ms(), progress=100, metadata=metadata
        )
        return await self.get(file_id)

    async def save_generated(
        self, name: str, mime_type: str, content: bytes, description: str
    ) -> dict[str, Any]:
        """Store a file the daemon made (an export, a backup) as a system file."""
        now = now_ms()
        record = await self.upsert(
            {
                "name": name,
                "description": description,
                "status": "creating",
                "createdBy": "system",
                "metadata": {"lastModified": now, "size": len(content), "type": mime_type},
            }
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.path(record["id"]).write_bytes, content)
        await self.patch(record["id"], status="completed", completedAt=now_ms(), progress=100)
        return await self.get(record["id"])

    async def save_generated_file(
        self, name: str, mime_type: str, finished: Path, description: str
    ) -> dict[str, Any]:
        """Store a file the daemon wrote to ``finished`` (same file system): moved, not read."""
        size = (await asyncio.to_thread(finished.stat)).st_size
        record = await self.upsert(
            {
                "name": name,
                "description": description,
                "status": "creating",
                "createdBy": "system",
                "metadata": {"lastModified": now_ms(), "size": size, "type": mime_type},
            }
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(os.replace, finished, self.path(record["id"]))
        await self.patch(record["id"], status="completed", completedAt=now_ms(), progress=100)
        return await self.get(record["id"])

    def _changed(self) -> None:
        self._events.emit("server-files", account=self.account)


async def _write_chunks(path: Path, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
    size = 0
    handle = await asyncio.to_thread(path.open, "wb")
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLarge(f"The file is larger than the upload limit of {_mib(max_bytes)}")
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)
    return size


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"
