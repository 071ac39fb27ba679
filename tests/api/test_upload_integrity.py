"""Uploads that race, stall, end early or outlive the daemon never leave a wrong file."""

import asyncio
import json
import logging
from pathlib import Path

import aiohttp
import pytest

from privatefolio_daemon.api import file_transfer
from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.test_file_transfer import auth, form, register
from tests.conftest import http_url, make_config, running_daemon


async def post(daemon: Daemon, data: aiohttp.FormData) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.post(http_url(daemon, "/upload"), data=data) as response,
    ):
        return response.status, await response.json()


async def test_two_uploads_of_one_file_keep_one_whole_body(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await register(client, size=0)
    bodies = (b"A" * 3_000_000, b"B" * 2_000_000)
    answers = await asyncio.gather(*(post(daemon, form("main", 1, body)) for body in bodies))
    assert sorted(status for status, _ in answers) == [200, 409]
    stored = (daemon.accounts.files_dir("main") / "1").read_bytes()
    assert stored in bodies
    record = await client.call("getServerFile", "main", 1)
    assert (record["status"], record["metadata"]["size"]) == ("completed", 0)
    assert sorted(p.name for p in daemon.accounts.files_dir("main").iterdir()) == ["1"]


async def test_an_upload_that_ends_early_is_refused(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    await register(client, size=1000)
    status, answer = await post(daemon, form("main", 1, b"a,b\n1,2\n3,"))
    assert (status, answer) == (
        400,
        {"error": "The upload ended after 10 of the file's 1,000 bytes; send it again"},
    )
    assert (await client.call("getServerFile", "main", 1))["status"] == "aborted"
    assert list(daemon.accounts.files_dir("main").iterdir()) == []


BOUNDARY = "b0undary"
ACCOUNT_FIELD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="accountName"\r\n\r\nmain\r\n'
)
FILE_ID_FIELD = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="fileId"\r\n\r\n1\r\n'
FILE_PART = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="binance.csv"\r\n'
    "Content-Type: text/csv\r\n\r\n"
)


async def start_upload(
    daemon: Daemon, head: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Send an upload's headers and ``head``, announcing a megabyte more than that."""
    reader, writer = await asyncio.open_connection("127.0.0.1", daemon.port)
    writer.write(
        (
            f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {daemon.credentials.desktop_token()}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(head) + 1_000_000}\r\n\r\n"
        ).encode()
        + head
    )
    await writer.drain()
    return reader, writer


@pytest.mark.parametrize(("sent_of_the_file", "status"), [(4, "scheduled"), (300_000, "aborted")])
async def test_a_stalled_upload_is_given_up(
    client: DaemonClient,
    daemon: Daemon,
    monkeypatch: pytest.MonkeyPatch,
    sent_of_the_file: int,
    status: str,
) -> None:
    monkeypatch.setattr(file_transfer, "IDLE_SECONDS", 0.3)
    await client.call("createAccount", "main")
    await register(client)
    head = (ACCOUNT_FIELD + FILE_ID_FIELD + FILE_PART).encode() + b"0" * sent_of_the_file
    reader, writer = await start_upload(daemon, head)
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 408")
    assert (await client.call("getServerFile", "main", 1))["status"] == status
    files_dir = daemon.accounts.files_dir("main")
    assert not files_dir.exists() or list(files_dir.iterdir()) == []


async def test_an_upload_cut_off_by_a_crash_can_be_sent_again(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        await register(client)
        await daemon.accounts.get("main").write(
            lambda conn: conn.execute("UPDATE server_files SET status = 'uploading'")
        )
        files_dir = daemon.accounts.files_dir("main")
        files_dir.mkdir(parents=True, exist_ok=True)
        (files_dir / ".upload-1-0123").write_bytes(b"half")
    async with running_daemon(config) as (daemon, client):
        assert (await client.call("getServerFile", "main", 1))["status"] == "aborted"
        assert list(files_dir.iterdir()) == []
        assert (await post(daemon, form("main", 1, b"0123456789")))[0] == 200


async def test_a_file_type_with_control_characters_downloads_as_bytes(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    metadata = {"size": 4, "type": "text/html\r\nX-Injected: yes"}
    await client.call("upsertServerFile", "main", {"name": "x.html", "metadata": metadata})
    assert (await post(daemon, form("main", 1, b"<b/>")))[0] == 200
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.get(
            http_url(daemon, "/download"), params={"accountName": "main", "fileId": "1"}
        ) as response,
    ):
        assert (response.status, response.content_type) == (200, "application/octet-stream")
        assert "X-Injected" not in response.headers
        assert await response.read() == b"<b/>"


@pytest.mark.parametrize("file_id_first", [True, False])
async def test_an_upload_the_client_cuts_off_is_aborted_without_an_error_in_the_log(
    client: DaemonClient,
    daemon: Daemon,
    caplog: pytest.LogCaptureFixture,
    file_id_first: bool,
) -> None:
    caplog.set_level(logging.INFO, logger="privatefolio_daemon.api.file_transfer")
    await client.call("createAccount", "main")
    await register(client)
    fields = (
        ACCOUNT_FIELD + FILE_ID_FIELD + FILE_PART if file_id_first else ACCOUNT_FIELD + FILE_PART
    )
    _, writer = await start_upload(daemon, fields.encode() + b"0" * 300_000)
    await asyncio.sleep(0.2)
    # Before its fileId comes, the upload is taken to be for the file of its name.
    assert (await client.call("getServerFile", "main", 1))["status"] == "uploading"
    writer.close()
    for _ in range(500):
        if any("was cut off by its client" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the daemon did not notice the cut")
    files_dir = daemon.accounts.files_dir("main")
    assert not files_dir.exists() or list(files_dir.iterdir()) == []
    assert (await client.call("getServerFile", "main", 1))["status"] == "aborted"
    errors = [
        (r.getMessage(), r.exc_info and repr(r.exc_info[1]))
        for r in caplog.records
        if r.levelname == "ERROR"
    ]
    assert errors == []


async def test_a_file_deleted_while_it_uploads_leaves_no_bytes(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await register(client, size=0)
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    body = b"0" * (1_000_000 - len(tail))
    reader, writer = await start_upload(
        daemon, (ACCOUNT_FIELD + FILE_ID_FIELD + FILE_PART).encode() + body[:60_000]
    )
    for _ in range(200):  # until the daemon has the upload under way
        if (await client.call("getServerFile", "main", 1))["status"] == "uploading":
            break
        await asyncio.sleep(0.01)
    await client.call("deleteServerFile", "main", 1)
    writer.write(body[60_000:] + tail)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()

    assert status_line.startswith(b"HTTP/1.1 404")
    assert await client.call("getServerFiles", "main") == []
    assert list(daemon.accounts.files_dir("main").iterdir()) == []


@pytest.mark.parametrize("change", ["resetAccount", "deleteAccount", "renameAccount"])
@pytest.mark.parametrize("file_id_first", [True, False])
async def test_an_upload_whose_account_changes_meanwhile_is_told_so(
    client: DaemonClient, daemon: Daemon, change: str, file_id_first: bool
) -> None:
    """In both orders of the fields: the Privatefolio frontend sends the fileId last."""
    await client.call("createAccount", "main")
    await register(client, size=0)
    body = b"0" * 900_000
    before = ACCOUNT_FIELD + (FILE_ID_FIELD if file_id_first else "") + FILE_PART
    after = "\r\n" + ("" if file_id_first else FILE_ID_FIELD) + f"--{BOUNDARY}--\r\n"
    reader, writer = await start_upload(daemon, before.encode() + body[:60_000])
    for _ in range(200):  # until the daemon has the bytes under way
        if (await client.call("getServerFile", "main", 1))["status"] == "uploading" or (
            list(daemon.accounts.files_dir("main").glob(".*"))
        ):
            break
        await asyncio.sleep(0.01)
    await client.call(change, "main", *(["other"] if change == "renameAccount" else []))
    rest = body[60_000:] + after.encode()
    writer.write(rest + b" " * (1_000_000 - len(rest)))  # as many bytes as announced
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    answer = json.loads(await reader.readexactly(length))
    writer.close()

    assert head.startswith(b"HTTP/1.1 409"), head
    assert answer["error"] == (
        'The account "main" was restored, renamed, reset or deleted during the upload: '
        "upload the file again"
    )


def file_id_tail(file_id: int) -> bytes:
    return (
        f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="fileId"\r\n\r\n{file_id}\r\n'
        f"--{BOUNDARY}--\r\n"
    ).encode()


async def statuses(client: DaemonClient) -> list[tuple[int, str]]:
    return sorted((f["id"], f["status"]) for f in await client.call("getServerFiles", "main"))


async def test_two_uploads_of_one_name_in_the_frontends_order_each_land_where_they_say(
    client: DaemonClient, daemon: Daemon
) -> None:
    """Each is first taken to be for the other's file (the newest of the name waiting); the
    fileId that comes after the bytes sorts them out, and both files show ``uploading`` while
    their bytes come."""
    await client.call("createAccount", "main")
    await register(client, size=0)
    await register(client, size=0)
    head = (ACCOUNT_FIELD + FILE_PART).encode()
    uploads = []
    for fill in (b"1", b"2"):
        reader, writer = await start_upload(daemon, head + fill * 300_000)
        uploads.append((reader, writer, fill))
        for _ in range(500):
            if sum(status == "uploading" for _, status in await statuses(client)) == len(uploads):
                break
            await asyncio.sleep(0.01)
    assert await statuses(client) == [(1, "uploading"), (2, "uploading")]

    answers = []
    for file_id, (reader, writer, fill) in enumerate(uploads, start=1):
        tail = file_id_tail(file_id)
        writer.write(fill * (1_000_000 - len(tail)) + tail)
        await writer.drain()
        answers.append((await asyncio.wait_for(reader.readline(), 10)).split()[1])
        writer.close()
        if file_id == 1:
            assert await statuses(client) == [(1, "completed"), (2, "uploading")]

    assert answers == [b"200", b"200"]
    assert await statuses(client) == [(1, "completed"), (2, "completed")]
    for file_id in (1, 2):
        stored = (daemon.accounts.files_dir("main") / str(file_id)).read_bytes()
        assert set(stored) == {ord(str(file_id))}
