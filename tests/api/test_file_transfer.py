"""Uploads and downloads of server files: streamed, limited, authenticated, no traversal."""

from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.settings import Limits
from tests.conftest import http_url, make_config, running_daemon, ws_url


def form(
    account: str, file_id: object, content: bytes, name: str = "binance.csv"
) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("accountName", account)
    data.add_field("fileId", str(file_id))
    data.add_field("file", content, filename=name, content_type="text/csv")
    return data


def auth(daemon: Daemon) -> dict[str, str]:
    return {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}


async def register(
    client: DaemonClient, name: str = "binance.csv", size: int = 10
) -> dict[str, object]:
    record = {
        "createdBy": "user",
        "metadata": {"lastModified": 0, "size": size, "type": "text/csv"},
        "name": name,
        "scheduledAt": 1_700_000_000_000,
        "status": "scheduled",
    }
    result: dict[str, object] = await client.call("upsertServerFile", "main", record)
    return result


async def test_upload_then_download_round_trip(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    changes: list[tuple[()]] = []
    await client.call("subscribeToServerFiles", "main", lambda: changes.append(()))
    content = b"User_ID,UTC_Time\n" * 50_000
    record = await register(client, "Trades ä.csv", size=len(content))
    assert record["status"] == "scheduled" and record["id"] == 1
    async with aiohttp.ClientSession(headers=auth(daemon)) as session:
        async with session.post(
            http_url(daemon, "/upload"), data=form("main", 1, content)
        ) as response:
            assert response.status == 200
            uploaded = await response.json()
        assert uploaded["status"] == "completed"
        assert uploaded["metadata"] == {"lastModified": 0, "size": len(content), "type": "text/csv"}
        assert (daemon.accounts.files_dir("main") / "1").read_bytes() == content
        async with session.get(
            http_url(daemon, "/download"), params={"accountName": "main", "fileId": "1"}
        ) as response:
            assert response.status == 200
            assert response.content_type == "text/csv"
            assert response.headers["Content-Disposition"] == (
                "attachment; filename=\"Trades .csv\"; filename*=UTF-8''Trades%20%C3%A4.csv"
            )
            assert await response.read() == content
    await client.call("ping")
    assert len(changes) >= 3  # registered, uploading, completed
    files = await client.call("getServerFiles", "main")
    assert [(f["id"], f["status"]) for f in files] == [(1, "completed")]
    await client.call("deleteServerFile", "main", 1)
    assert not (daemon.accounts.files_dir("main") / "1").exists()
    assert await client.call("countServerFiles", "main") == 0


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("../../etc/passwd", "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"),
        ("a/b\\c d.csv", "attachment; filename=\"c d.csv\"; filename*=UTF-8''c%20d.csv"),
        (
            'say "hi"; x=1.csv',
            'attachment; filename="say hi; x=1.csv"; '
            "filename*=UTF-8''say%20%22hi%22%3B%20x%3D1.csv",
        ),
        ("exports/", "attachment; filename=\"download\"; filename*=UTF-8''download"),
    ],
)
async def test_a_download_is_saved_under_the_last_part_of_its_name(
    client: DaemonClient, daemon: Daemon, name: str, disposition: str
) -> None:
    await client.call("createAccount", "main")
    await register(client, name, size=3)
    async with aiohttp.ClientSession(headers=auth(daemon)) as session:
        async with session.post(http_url(daemon, "/upload"), data=form("main", 1, b"a,b")):
            pass
        async with session.get(
            http_url(daemon, "/download"), params={"accountName": "main", "fileId": "1"}
        ) as response:
            assert (response.status, response.headers["Content-Disposition"]) == (
                200,
                disposition,
            )


async def test_a_download_is_not_kept_in_the_browsers_cache(
    client: DaemonClient, daemon: Daemon
) -> None:
    """A backup or an export holds the portfolio: no copy stays in the browser's disk cache."""
    await client.call("createAccount", "main")
    await register(client, "main-backup.zip", size=3)
    async with aiohttp.ClientSession(headers=auth(daemon)) as session:
        async with session.post(http_url(daemon, "/upload"), data=form("main", 1, b"zip")):
            pass
        async with session.get(
            http_url(daemon, "/download"), params={"accountName": "main", "fileId": "1"}
        ) as response:
            assert (response.status, response.headers["Cache-Control"]) == (200, "no-store")


async def test_an_oversized_upload_gets_413_and_leaves_nothing(tmp_path: Path) -> None:
    config = replace(make_config(tmp_path), limits=Limits(upload_max_bytes=1024))
    daemon = Daemon(config)
    await daemon.start()
    try:
        async with await DaemonClient.connect(
            ws_url(daemon), token=daemon.credentials.desktop_token()
        ) as client:
            await client.call("createAccount", "main")
            await register(client)
            async with aiohttp.ClientSession(headers=auth(daemon)) as session:
                big = form("main", 1, b"x" * 100_000)
                async with session.post(http_url(daemon, "/upload"), data=big) as response:
                    assert response.status == 413
                    assert await response.json() == {
                        "error": "The file is larger than the upload limit of 0.000976562 MiB"
                    }
            files_dir = daemon.accounts.files_dir("main")
            assert not files_dir.exists() or list(files_dir.iterdir()) == []
            status = (await client.call("getServerFile", "main", 1))["status"]
            assert status in ("scheduled", "aborted")
    finally:
        await daemon.stop()


@pytest.mark.parametrize(
    ("account", "file_id", "status", "message"),
    [
        ("../main", "1", 404, 'Account "../main" does not exist'),
        (
            "main",
            "../../server.sqlite",
            400,
            "fileId must be a whole number, not '../../server.sqlite'",
        ),
        ("main", "1/../../2", 400, "fileId must be a whole number, not '1/../../2'"),
        ("main", "7", 404, "Server file 7 does not exist"),
        ("main", "9" * 20, 404, f"Server file {'9' * 20} does not exist"),
        ("main", "\u00b2", 400, "fileId must be a whole number, not '\u00b2'"),
    ],
)
async def test_names_and_ids_cannot_reach_outside_the_account(
    client: DaemonClient, daemon: Daemon, account: str, file_id: str, status: int, message: str
) -> None:
    await client.call("createAccount", "main")
    await register(client)
    async with aiohttp.ClientSession(headers=auth(daemon)) as session:
        async with session.post(
            http_url(daemon, "/upload"), data=form(account, file_id, b"data")
        ) as response:
            assert (response.status, await response.json()) == (status, {"error": message})
        params = {"accountName": account, "fileId": file_id}
        async with session.get(http_url(daemon, "/download"), params=params) as response:
            assert (response.status, await response.json()) == (status, {"error": message})
    top = {path.name for path in daemon.config.data_dir.iterdir()} - {"server-logs"}
    assert top == {
        "auth",
        "daemon.json",
        "daemon.lock",
        "databases",
        "server.sqlite",
        "server.sqlite-shm",
        "server.sqlite-wal",
    }
    assert sorted(path.name for path in (daemon.config.data_dir / "databases").iterdir()) == [
        "main.sqlite",
        "main.sqlite-shm",
        "main.sqlite-wal",
    ]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", b"accountName=main"), ("multipart/form-data", b"--x\r\n")],
)
async def test_an_upload_that_is_not_a_multipart_form_gets_400(
    client: DaemonClient, daemon: Daemon, content_type: str, body: bytes
) -> None:
    await client.call("createAccount", "main")
    await register(client)
    headers = {**auth(daemon), "Content-Type": content_type}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(http_url(daemon, "/upload"), data=body) as response,
    ):
        error = (await response.json())["error"]
    assert response.status == 400
    assert error.startswith(
        "The upload must be multipart/form-data with the fields accountName, fileId and file"
    )
    [record] = await client.call("getServerFiles", "main")
    assert record["status"] == "scheduled"


async def test_transfers_need_a_credential_and_a_local_origin(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await register(client)
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_url(daemon, "/upload"), data=form("main", 1, b"data")
        ) as response:
            assert (response.status, await response.json()) == (401, {"error": "Unauthorized"})
        params = {"accountName": "main", "fileId": "1"}
        async with session.get(http_url(daemon, "/download"), params=params) as response:
            assert response.status == 401
    headers = {**auth(daemon), "Origin": "https://evil.example"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(http_url(daemon, "/upload"), data=form("main", 1, b"data")) as response,
    ):
        assert response.status == 403
    assert (await client.call("getServerFile", "main", 1))["status"] == "scheduled"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            ("file", "accountName", "fileId"),
            "The upload has no accountName or fileId before its file part",
        ),
        (("fileId", "file"), "The upload has no accountName before its file part"),
    ],
)
async def test_an_upload_names_its_file_before_the_file_part(
    client: DaemonClient, daemon: Daemon, fields: tuple[str, ...], message: str
) -> None:
    await client.call("createAccount", "main")
    await register(client)
    values = {"accountName": "main", "fileId": "1"}
    data = aiohttp.FormData()
    for name in fields:
        if name == "file":
            data.add_field("file", b"0123456789", filename="binance.csv", content_type="text/csv")
        else:
            data.add_field(name, values[name])
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.post(http_url(daemon, "/upload"), data=data) as response,
    ):
        assert (response.status, await response.json()) == (400, {"error": message})
    files = await client.call("getServerFiles", "main")
    assert [(f["id"], f["status"]) for f in files] == [(1, "scheduled")]


def frontend_form(content: bytes, file_id: str | None = "1") -> aiohttp.FormData:
    """The fields in the order the Privatefolio frontend appends them: the file before its id."""
    data = aiohttp.FormData()
    data.add_field("accountName", "main")
    data.add_field("file", content, filename="binance.csv", content_type="text/csv")
    if file_id is not None:
        data.add_field("fileId", file_id)
    return data


def leftovers(daemon: Daemon) -> list[str]:
    files_dir = daemon.accounts.files_dir("main")
    return sorted(path.name for path in files_dir.iterdir()) if files_dir.exists() else []


async def test_an_upload_in_the_frontends_field_order_is_filed(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    content = b"User_ID,UTC_Time\n" * 1000
    await register(client, size=len(content))
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.post(http_url(daemon, "/upload"), data=frontend_form(content)) as response,
    ):
        assert response.status == 200
        assert (await response.json())["status"] == "completed"
    assert leftovers(daemon) == ["1"]
    assert (daemon.accounts.files_dir("main") / "1").read_bytes() == content


async def test_a_frontend_upload_files_its_bytes_where_its_id_says_whatever_the_name(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    content = b"User_ID,UTC_Time\n"
    await register(client, size=len(content))
    await register(client, size=len(content))  # the newest of the name, taken first
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.post(http_url(daemon, "/upload"), data=frontend_form(content, "1")) as response,
    ):
        assert (response.status, (await response.json())["id"]) == (200, 1)
    files = await client.call("getServerFiles", "main")
    assert sorted((f["id"], f["status"]) for f in files) == [(1, "completed"), (2, "scheduled")]
    assert leftovers(daemon) == ["1"]


@pytest.mark.parametrize(
    ("file_id", "status", "message", "file_status"),
    [
        # The bytes were taken to be for the file of their name, which gets its status back:
        # an upload that names no file it may have leaves every file as it was.
        (None, 400, "The upload has no fileId", "scheduled"),
        ("x", 400, "fileId must be a whole number, not 'x'", "scheduled"),
        ("7", 404, "Server file 7 does not exist", "scheduled"),
    ],
)
async def test_a_refused_upload_in_the_frontends_order_leaves_no_bytes(
    client: DaemonClient,
    daemon: Daemon,
    file_id: str | None,
    status: int,
    message: str,
    file_status: str,
) -> None:
    await client.call("createAccount", "main")
    await register(client)
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.post(
            http_url(daemon, "/upload"), data=frontend_form(b"0123456789", file_id)
        ) as response,
    ):
        assert (response.status, await response.json()) == (status, {"error": message})
    assert leftovers(daemon) == []
    assert (await client.call("getServerFile", "main", 1))["status"] == file_status


async def test_an_oversized_upload_in_the_frontends_order_gets_413(tmp_path: Path) -> None:
    config = replace(make_config(tmp_path), limits=Limits(upload_max_bytes=1024))
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        await register(client)
        async with (
            aiohttp.ClientSession(headers=auth(daemon)) as session,
            session.post(http_url(daemon, "/upload"), data=frontend_form(b"x" * 5000)) as response,
        ):
            assert response.status == 413
        assert leftovers(daemon) == []
        assert (await client.call("getServerFile", "main", 1))["status"] == "aborted"


async def test_a_foreign_page_can_neither_download_nor_upload_even_with_the_token(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await register(client, size=4)
    foreign = {**auth(daemon), "Origin": "https://evil.example"}
    params = {"accountName": "main", "fileId": "1"}
    async with aiohttp.ClientSession(headers=foreign) as session:
        async with session.post(
            http_url(daemon, "/upload"), data=form("main", 1, b"data")
        ) as response:
            assert response.status == 403
            assert await response.text() == "Forbidden: this Origin is not allowed.\n"
        async with session.get(http_url(daemon, "/download"), params=params) as response:
            assert response.status == 403
            assert await response.text() == "Forbidden: this Origin is not allowed.\n"
    local = {**auth(daemon), "Origin": "http://localhost:4000"}
    async with aiohttp.ClientSession(headers=local) as session:
        async with session.post(
            http_url(daemon, "/upload"), data=form("main", 1, b"data")
        ) as response:
            assert response.status == 200
        async with session.get(http_url(daemon, "/download"), params=params) as response:
            assert (response.status, await response.read()) == (200, b"data")
            assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:4000"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "A server file needs a name"),
        ({"name": "x" * 1001}, "File name is too long: 1001 characters (at most 1000)"),
        ({"name": "a\x00.csv"}, "File name has a control character, U+0000, at position 2"),
        (
            {"status": "bogus"},
            "A server file's status is one of scheduled, uploading, completed, aborted, "
            "creating, not 'bogus'",
        ),
        (
            {"metadata": {"lastModified": 0, "size": -1, "type": "text/csv"}},
            "A file's size cannot be negative: -1",
        ),
    ],
)
async def test_a_file_record_that_cannot_be_is_refused(
    client: DaemonClient, change: dict[str, object], message: str
) -> None:
    await client.call("createAccount", "main")
    record = {
        "createdBy": "user",
        "metadata": {"lastModified": 0, "size": 4, "type": "text/csv"},
        "name": "a.csv",
        "status": "scheduled",
        **change,
    }
    with pytest.raises(RpcCallError) as caught:
        await client.call("upsertServerFile", "main", record)
    assert (caught.value.code, caught.value.message) == (-32602, message)
    assert await client.call("getServerFiles", "main") == []


@pytest.mark.parametrize(
    ("params", "message"),
    [({"fileId": "1"}, "accountName is missing"), ({"accountName": "main"}, "fileId is missing")],
)
async def test_a_download_without_its_account_or_file_is_a_bad_request(
    client: DaemonClient, daemon: Daemon, params: dict[str, str], message: str
) -> None:
    await client.call("createAccount", "main")
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.get(http_url(daemon, "/download"), params=params) as response,
    ):
        assert (response.status, await response.json()) == (400, {"error": message})


async def test_a_form_field_past_its_bound_gets_a_json_413(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await register(client)
    data = aiohttp.FormData()
    data.add_field("accountName", "m" * 2 * 1024 * 1024)
    data.add_field("file", b"0123456789", filename="binance.csv", content_type="text/csv")
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.post(http_url(daemon, "/upload"), data=data) as response,
    ):
        assert (response.status, await response.json()) == (
            413,
            {"error": "The fields accountName and fileId are short texts: one sent is over 1 MiB"},
        )
    assert (await client.call("getServerFile", "main", 1))["status"] == "scheduled"
