"""Files kept for an account: uploads (CSV imports, backups to restore) and generated files
(exports, backups). The bytes live in ``<data>/files/<account>/<id>``; the row says what they are.
"""

import asyncio
import contextlib
import os
import shutil
import sqlite3
import uuid
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from privatefolio_daemon.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    shortened,
)
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.text_bounds import bounded_text
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


PARTIAL_PREFIX = ".upload-"
#: The shard files of an import in progress live in a directory of this prefix.
IMPORT_SCRATCH_PREFIX = ".import-"
#: A generated file (an export) is written as ``.<id>.<pid>.partial``, then renamed ``<id>``.
GENERATED_PARTIAL_SUFFIX = ".partial"


class FileTooLarge(Exception):
    """The upload is bigger than the limit."""


class UploadCutShort(InvalidInputError):
    """The upload ended before the size its record declares."""


@dataclass(frozen=True, slots=True)
class StagedUpload:
    """Uploaded bytes on disk that belong to no server file yet."""

    path: Path
    size: int
    guess: "UploadGuess | None" = None
    """The server file the bytes were taken to be for while they came (``ServerFiles.stage``)."""

    async def discard(self) -> None:
        await asyncio.to_thread(self.path.unlink, missing_ok=True)


@dataclass(slots=True)
class UploadGuess:
    """A server file marked ``uploading`` before the upload named it, and its status before.
    Another upload of the same name that names this file hands it its own guess instead."""

    file_id: int
    status: str
    name: str


#: By account database, the files shown ``uploading`` by a guess (``stage``), each by the guess
#: that holds it: an upload that names such a file takes it over, and the guess then leaves it
#: alone. Every request makes a ``ServerFiles`` of its own; the account's open database is
#: what their uploads share.
_GUESSES: "weakref.WeakKeyDictionary[Database, dict[int, UploadGuess]]" = (
    weakref.WeakKeyDictionary()
)

STATUSES = ("scheduled", "uploading", "completed", "aborted", "creating")
FILE_NAME_MAX_CHARS = 1000


def _check_new_file(record: NewServerFile) -> None:
    name = record.get("name")
    if not name:
        raise InvalidInputError("A server file needs a name")
    bounded_text("File name", name, FILE_NAME_MAX_CHARS)
    status = record.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInputError(
            f"A server file's status is one of {', '.join(STATUSES)}, not {shortened(status)!r}"
        )
    size = record.get("metadata", {}).get("size")
    if size is not None and size < 0:
        raise InvalidInputError(f"A file's size cannot be negative: {size}")


class ServerFiles:
    def __init__(self, account: str, db: Database, events: EventBus, directory: Path) -> None:
        self.account = account
        self._db = db
        self._events = events
        self.directory = directory
        self._guesses = _GUESSES.setdefault(db, {})

    def path(self, file_id: int) -> Path:
        return self.directory / str(int(file_id))

    def partial_path(self, file_id: int) -> Path:
        """Where the daemon writes a file it makes before it is complete (``path`` then)."""
        return self.directory / f".{int(file_id)}.{os.getpid()}{GENERATED_PARTIAL_SUFFIX}"

    async def upsert(self, record: NewServerFile) -> dict[str, Any]:
        _check_new_file(record)
        row = {
            "scheduledAt": now_ms(),
            "createdBy": "user",
            **record,
        }

        def write(conn: sqlite3.Connection) -> int:
            given = record.get("id")
            if given is not None and server_files.select_file(conn, given) is None:
                raise NotFoundError(
                    f"Server file {given} does not exist: the daemon gives a new file its id, "
                    "leave the id out to add one"
                )
            return server_files.insert_file(conn, dict(row))

        file_id = await self._db.write(write)
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
        """Delete the record and its bytes, those of an export still being written included."""
        await self.get(file_id)
        await asyncio.to_thread(_remove_bytes, self.directory, file_id)
        await self._db.write(
            lambda conn: conn.execute("DELETE FROM server_files WHERE id = ?", (file_id,))
        )
        self._changed()

    async def receive(
        self, file_id: int, chunks: AsyncIterator[bytes], max_bytes: int
    ) -> dict[str, Any]:
        """Stream an upload to disk: ``scheduled → uploading → completed``, or ``aborted``."""
        with self._account_kept():
            record = await self._start_upload(file_id)
            partial = self._partial_path(str(file_id))
            try:
                size = await _write_chunks(partial, chunks, max_bytes)
            except BaseException:
                await self._abort_upload(file_id, partial)
                raise
            return await self._finish_upload(record, partial, size)

    async def stage(
        self, chunks: AsyncIterator[bytes], max_bytes: int, file_name: str | None = None
    ) -> "StagedUpload":
        """Stream the bytes of an upload whose file id comes after them (the Privatefolio
        frontend sends ``accountName``, ``file``, then ``fileId``); ``adopt`` then files them.

        Meanwhile the newest file of that name waiting for its bytes is taken to be theirs: it
        shows ``uploading``, and ``aborted`` if the upload is cut off."""
        guess = await self._guess_upload(file_name)
        partial = self._partial_path("staged")
        try:
            size = await _write_chunks(partial, chunks, max_bytes)
        except BaseException:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            if guess is not None:
                await self._release(guess, "aborted")
            raise
        return StagedUpload(partial, size, guess)

    async def adopt(self, file_id: int, staged: "StagedUpload") -> dict[str, Any]:
        """File staged bytes as the upload of ``file_id``; they are removed if it cannot be."""
        with self._account_kept():
            try:
                record = await self._claim_staged(file_id, staged.guess)
            except BaseException:
                await staged.discard()
                raise
            return await self._finish_upload(record, staged.path, staged.size)

    async def drop_staged(self, staged: "StagedUpload", *, cut_off: bool = True) -> None:
        """Staged bytes that will not be filed: removed. The file guessed theirs is ``aborted``
        if the upload was ``cut_off``, else it gets its status back (the upload named none)."""
        await staged.discard()
        guess = staged.guess
        if guess is not None and not self._db.closed:
            await self._release(guess, "aborted" if cut_off else guess.status)

    async def _release(self, guess: UploadGuess, status: str) -> None:
        """The guessed file gets ``status``, unless an upload that named it took it over."""
        if not self._owns(guess):
            return
        del self._guesses[guess.file_id]
        if self._db.closed:
            return
        completed_at = now_ms() if status == "aborted" else None
        changed = await self._db.write(
            lambda conn: (
                conn.execute(
                    "UPDATE server_files SET status = ?, completedAt = coalesce(?, completedAt) "
                    "WHERE id = ? AND status = 'uploading'",
                    (status, completed_at, guess.file_id),
                ).rowcount
            )
        )
        if changed:
            self._changed()

    async def _guess_upload(self, file_name: str | None) -> UploadGuess | None:
        if not file_name:
            return None

        def claim(conn: sqlite3.Connection) -> UploadGuess | None:
            row = conn.execute(
                "SELECT id, status FROM server_files WHERE name = ? "
                "AND status IN ('scheduled', 'aborted') ORDER BY id DESC LIMIT 1",
                (file_name,),
            ).fetchone()
            if row is None or not server_files.claim_for_upload(conn, row[0], now_ms()):
                return None
            return UploadGuess(row[0], row[1], file_name)

        guess = await self._db.write(claim)
        if guess is not None:
            self._guesses[guess.file_id] = guess
            self._changed()
        return guess

    async def _claim_staged(self, file_id: int, guess: UploadGuess | None) -> dict[str, Any]:
        """``file_id`` claimed for the staged bytes. A wrong guess gets its status back; a file
        another upload's guess shows ``uploading`` is taken over from it."""
        if guess is not None and guess.file_id == file_id:
            if not self._owns(guess):  # an upload that named it took it
                raise ConflictError(
                    f"Server file {file_id} is uploading, not waiting for an upload"
                )
            del self._guesses[file_id]
            return await self.get(file_id)
        other = self._guesses.pop(file_id, None)  # another upload was taken to be for it
        if guess is not None:
            if other is not None and other.name == guess.name and self._owns(guess):
                # Two uploads of one name, each taken to be for the other's file: that upload
                # is now taken to be for this one's, which stays ``uploading``.
                other.file_id, other.status = guess.file_id, guess.status
                self._guesses[guess.file_id] = other
            else:
                await self._release(guess, guess.status)
        if other is not None:
            return await self.get(file_id)
        return await self._start_upload(file_id)

    def _owns(self, guess: UploadGuess) -> bool:
        return self._guesses.get(guess.file_id) is guess

    @contextlib.contextmanager
    def _account_kept(self) -> Iterator[None]:
        """An upload whose account is closed meanwhile (restored, renamed, reset or deleted)
        fails with a message that says so: its database and folder are no longer the account's."""
        try:
            yield
        except (sqlite3.ProgrammingError, OSError):
            if not self._db.closed:
                raise
            raise ConflictError(
                f'The account "{self.account}" was restored, renamed, reset or deleted during '
                "the upload: upload the file again"
            ) from None

    async def _start_upload(self, file_id: int) -> dict[str, Any]:
        record = await self.get(file_id)
        claimed = await self._db.write(
            lambda conn: server_files.claim_for_upload(conn, file_id, now_ms())
        )
        if not claimed:  # another upload of the file came first, or it is done
            status = (await self.get(file_id))["status"]
            raise ConflictError(f"Server file {file_id} is {status}, not waiting for an upload")
        self._changed()
        return record

    def _partial_path(self, suffix: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"{PARTIAL_PREFIX}{suffix}-{uuid.uuid4().hex}"

    async def _finish_upload(
        self, record: dict[str, Any], partial: Path, size: int
    ) -> dict[str, Any]:
        file_id = int(record["id"])
        try:
            _refuse_short(size, record.get("metadata", {}).get("size"))
            await asyncio.to_thread(os.replace, partial, self.path(file_id))
        except BaseException:
            await self._abort_upload(file_id, partial)
            raise
        metadata = {"size": size, **record.get("metadata", {})}  # what the client declared wins
        await self.patch(
            file_id, status="completed", completedAt=now_ms(), progress=100, metadata=metadata
        )
        try:
            return await self.get(file_id)
        except NotFoundError:  # deleted while it uploaded: its bytes go too
            await asyncio.to_thread(self.path(file_id).unlink, missing_ok=True)
            raise

    async def _abort_upload(self, file_id: int, partial: Path) -> None:
        _remove(partial)
        if not self._db.closed:  # a reopened account aborts the uploads it finds unfinished
            await self.patch(file_id, status="aborted", completedAt=now_ms())

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


async def abort_interrupted_files(db: Database, directory: Path) -> None:
    """Uploads and generated files (exports, backups) that a stop or a crash cut off: their
    records say aborted, their bytes go, and so do the shard files of an import it cut off."""

    def abort(conn: sqlite3.Connection) -> list[int]:
        server_files.abort_uploading(conn, now_ms())
        return server_files.abort_creating(conn, now_ms())

    generated = await db.write(abort)
    await asyncio.to_thread(_remove_partials, directory, generated)


def _remove_partials(directory: Path, generated: list[int]) -> None:
    for partial in directory.glob(f"{PARTIAL_PREFIX}*"):
        _remove(partial)
    for partial in directory.glob(f".*{GENERATED_PARTIAL_SUFFIX}"):
        _remove(partial)
    for scratch in directory.glob(f"{IMPORT_SCRATCH_PREFIX}*"):
        shutil.rmtree(scratch, ignore_errors=True)
    for file_id in generated:  # whole, maybe, but its record never said so
        _remove(directory / str(file_id))


def _remove_bytes(directory: Path, file_id: int) -> None:
    _remove(directory / str(file_id))
    for partial in directory.glob(f".{file_id}.*{GENERATED_PARTIAL_SUFFIX}"):
        _remove(partial)


def _refuse_short(size: int, declared: Any) -> None:
    """A body shorter than its record's size was cut off. A longer one is taken, with the size
    declared kept: the import id is made of that size, and some clients declare a text's length
    in UTF-16 units (as Privatefolio's own tests do), which is at most its UTF-8 bytes."""
    if isinstance(declared, int) and size < declared:
        raise UploadCutShort(
            f"The upload ended after {size:,} of the file's {declared:,} bytes; send it again"
        )


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"
