"""``POST /upload`` and ``GET /download``: the bytes of server files, streamed both ways."""

import asyncio
import binascii
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from privatefolio_daemon.domain.errors import (
    BusyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from privatefolio_daemon.domain.server_files import FileTooLarge, ServerFiles, StagedUpload

log = logging.getLogger(__name__)

_T = TypeVar("_T")
CHUNK = 256 * 1024
#: An upload that sends nothing for this long is given up, so it cannot stay "uploading".
IDLE_SECONDS = 60.0
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*")
_NOT_MULTIPART = (
    "The upload must be multipart/form-data with the fields accountName, fileId and file"
)


def file_transfer_routes(
    files_of: Callable[[str], ServerFiles], max_upload_bytes: int
) -> list[web.RouteDef]:
    async def upload(request: web.Request) -> web.Response:
        if (request.content_length or 0) > max_upload_bytes + 64 * 1024:
            return _too_large(max_upload_bytes)
        if request.content_type != "multipart/form-data":
            return _error(400, _NOT_MULTIPART)
        fields: dict[str, str] = {}
        staged: StagedUpload | None = None
        staged_for: ServerFiles | None = None  # the account's files as the upload began
        try:
            reader = await request.multipart()
            while (part := await _within_idle(reader.next())) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name in ("accountName", "fileId"):
                    fields[part.name] = await _within_idle(_field_text(part))
                elif part.name == "file" and staged is None:
                    if "fileId" in fields or "accountName" not in fields:
                        return await _receive(files_of, fields, part, max_upload_bytes)
                    result = await _stage(files_of, fields["accountName"], part, max_upload_bytes)
                    if isinstance(result, web.Response):
                        return result
                    staged_for, staged = result
        except BaseException as error:
            if staged is not None and staged_for is not None:
                await staged_for.drop_staged(staged)
            if isinstance(error, UnreadableField):
                return _error(400, str(error))
            if isinstance(error, ValueError):  # no boundary, or a body that is not multipart
                return _error(400, f"{_NOT_MULTIPART} ({error})")
            if isinstance(error, (HttpProcessingError, RequestPayloadError)):  # its gzip, say
                return _unreadable_body(request, error)
            if isinstance(error, UploadStalled):
                return _refusal(error, max_upload_bytes)
            if isinstance(error, web.HTTPRequestEntityTooLarge):  # a text field past its bound
                return _error(
                    413, "The fields accountName and fileId are short texts: one sent is over 1 MiB"
                )
            if isinstance(error, ConnectionResetError):  # the client went away: nobody to tell
                log.info("An upload to %s was cut off by its client", fields.get("accountName"))
                return _error(400, "The connection was lost during the upload")
            raise
        if staged is None or staged_for is None:
            return _error(400, "The upload has no file part")
        return await _adopt(staged_for, fields, staged)

    async def download(request: web.Request) -> web.StreamResponse:
        try:
            if "accountName" not in request.query:
                raise ValueError("accountName is missing")
            files = files_of(request.query["accountName"])
            record = await files.get(_file_id(request.query.get("fileId")))
        except (BusyError, NotFoundError, ValueError) as error:
            return _refusal(error, 0)
        path = files.path(record["id"])
        if not path.is_file():
            return _error(404, f"Server file {record['id']} has no content")
        metadata: dict[str, Any] = record.get("metadata", {})
        response = web.FileResponse(path, chunk_size=CHUNK)
        response.content_type = _media_type(metadata.get("type"))
        response.headers["Content-Disposition"] = _attachment(str(record["name"]))
        response.headers["Cache-Control"] = "no-store"  # a backup or an export: not for a cache
        return response

    return [web.post("/upload", upload), web.get("/download", download)]


async def _receive(
    files_of: Callable[[str], ServerFiles],
    fields: dict[str, str],
    part: BodyPartReader,
    max_bytes: int,
) -> web.Response:
    missing = [name for name in ("accountName", "fileId") if name not in fields]
    if missing:
        return _error(400, f"The upload has no {' or '.join(missing)} before its file part")
    try:
        files = files_of(fields["accountName"])
        file_id = _file_id(fields["fileId"])
        record = await files.receive(file_id, _chunks(part), max_bytes)
    except (
        BusyError,
        FileTooLarge,
        NotFoundError,
        ConflictError,
        InvalidInputError,
        ValueError,
    ) as error:
        return _refusal(error, max_bytes)
    return web.json_response(record)


async def _stage(
    files_of: Callable[[str], ServerFiles], account: str, part: BodyPartReader, max_bytes: int
) -> tuple[ServerFiles, StagedUpload] | web.Response:
    """The bytes staged, with the account's files they are for: if the account is restored,
    renamed, reset or deleted before the ``fileId`` comes, filing them says so."""
    try:
        files = files_of(account)
        return files, await files.stage(_chunks(part), max_bytes, part.filename)
    except (BusyError, FileTooLarge, NotFoundError, InvalidInputError, ValueError) as error:
        return _refusal(error, max_bytes)


async def _adopt(files: ServerFiles, fields: dict[str, str], staged: StagedUpload) -> web.Response:
    """File bytes that came before their ``fileId``, as the Privatefolio frontend sends them."""
    try:
        if "fileId" not in fields:
            await files.drop_staged(staged, cut_off=False)
            return _error(400, "The upload has no fileId")
        record = await files.adopt(_file_id(fields["fileId"]), staged)
    except (BusyError, NotFoundError, ConflictError, InvalidInputError, ValueError) as error:
        await files.drop_staged(staged, cut_off=False)
        return _refusal(error, 0)
    return web.json_response(record)


def _refusal(error: Exception, max_bytes: int) -> web.Response:
    if isinstance(error, FileTooLarge):
        return _too_large(max_bytes)
    if isinstance(error, NotFoundError):
        return _error(404, str(error))
    if isinstance(error, ConflictError):
        return _error(409, str(error))
    if isinstance(error, BusyError):
        return _error(503, str(error))
    if isinstance(error, UploadStalled):
        return _error(408, str(error))
    return _error(400, str(error))


class UploadStalled(InvalidInputError):
    """No bytes of the upload came for ``IDLE_SECONDS``."""


class UnreadableField(InvalidInputError):
    """A text field in a charset or a transfer encoding that cannot be decoded."""


async def _field_text(part: BodyPartReader) -> str:
    try:
        return await part.text()
    except (LookupError, UnicodeDecodeError, binascii.Error, RuntimeError) as error:
        # aiohttp raises RuntimeError for a Content-Transfer-Encoding it does not know
        raise UnreadableField(f"The field {part.name} cannot be read ({error})") from None


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await _within_idle(part.read_chunk(CHUNK)):
        yield chunk


async def _within_idle(step: Awaitable[_T]) -> _T:
    """A read of the body that must not wait for the client longer than ``IDLE_SECONDS``."""
    try:
        async with asyncio.timeout(IDLE_SECONDS):
            return await step
    except TimeoutError:
        raise UploadStalled(
            f"The upload stalled: no bytes came for {IDLE_SECONDS:g} s; send it again"
        ) from None


def _unreadable_body(request: web.Request, error: Exception) -> web.Response:
    """A body aiohttp cannot decode (a gzip one that is not gzip). Its parser stops there but
    never ends the body, so after the answer aiohttp would read on, meet the error again and log
    it as unhandled (aio-libs/aiohttp#1710): the body is ended here, and the connection closed
    after the answer, since what may follow on it is the rest of that body."""
    request.content.feed_eof()
    # aiohttp's message, without the status it writes first ("400, message: Can not decode …")
    reason = " ".join(str(error).split("message:", 1)[-1].split())
    response = _error(400, f"The body of the upload cannot be read ({reason})")
    response.force_close()
    return response


def _file_id(text: str | None) -> int:
    if text is None:
        raise ValueError("fileId is missing")
    if not text.strip().isascii() or not text.strip().isdigit():
        raise ValueError(f"fileId must be a whole number, not {text[:40]!r}")
    file_id = int(text)
    if file_id >= 2**63:  # beyond any SQLite row id
        raise NotFoundError(f"Server file {file_id} does not exist")
    return file_id


def _attachment(name: str) -> str:
    """The file's name to save it under: its last part (a name may hold ``/`` or ``\\``),
    quoted for the plain ``filename`` and percent-encoded whole for ``filename*``."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1] or "download"
    plain = "".join(char for char in name if char.isascii() and char.isprintable() and char != '"')
    return (
        f"attachment; filename=\"{plain or 'download'}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


def _media_type(declared: Any) -> str:
    """The declared type of the file, if it is a plain ``type/subtype`` (it is client text)."""
    media_type = str(declared or "").split(";")[0].strip()
    return media_type if _MEDIA_TYPE.fullmatch(media_type) else "application/octet-stream"


def _too_large(max_bytes: int) -> web.Response:
    return _error(413, f"The file is larger than the upload limit of {max_bytes / 2**20:g} MiB")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
