"""A malformed upload body (a field in an unknown charset or transfer encoding, a gzip body that
is not gzip) gets a 400 that says why, with the usual headers; it leaves no bytes, and the file
its bytes went to reads ``aborted``, as for an upload cut off."""

import gzip
import logging

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.test_file_transfer import auth, leftovers, register
from tests.conftest import http_url

BOUNDARY = "b0undary"
GZIP_REFUSED = "The body of the upload cannot be read (Can not decode content-encoding: gzip)"
PAGE = "http://localhost:5173"


def part(name: str, content: bytes, headers: str = "", filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{headers}\r\n"
    return head.encode() + content + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


async def post(
    daemon: Daemon, content: bytes, **headers: str
) -> tuple[int, dict[str, str], object]:
    """The status, the headers that matter here and the JSON of the answer to ``content``, sent
    from a local page."""
    sent = {
        **auth(daemon),
        "Origin": PAGE,
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        **headers,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(http_url(daemon, "/upload"), data=content, headers=sent) as response,
    ):
        shown = ("Content-Type", "X-Content-Type-Options", "Access-Control-Allow-Origin")
        return (
            response.status,
            {name: response.headers.get(name, "") for name in shown},
            await response.json(),
        )


def refused(error: str) -> tuple[int, dict[str, str], object]:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": PAGE,
    }
    return 400, headers, {"error": error}


UNREADABLE = {
    "unknown charset": ("Content-Type: text/plain; charset=bogus\r\n", "unknown encoding: bogus"),
    "empty charset": ('Content-Type: text/plain; charset=""\r\n', "unknown encoding: "),
    "unknown transfer encoding": (
        "Content-Transfer-Encoding: bogus\r\n",
        "unknown content transfer encoding: bogus",
    ),
}


@pytest.mark.parametrize("case", UNREADABLE)
@pytest.mark.parametrize(
    ("field", "file_status"), [("accountName", "scheduled"), ("fileId", "aborted")]
)
async def test_a_field_that_cannot_be_decoded_gets_400(
    client: DaemonClient,
    daemon: Daemon,
    caplog: pytest.LogCaptureFixture,
    case: str,
    field: str,
    file_status: str,
) -> None:
    """In the frontend's order: the accountName before the file, its fileId after."""
    await client.call("createAccount", "main")
    await register(client)
    headers, reason = UNREADABLE[case]
    fields = {name: headers if name == field else "" for name in ("accountName", "fileId")}
    content = body(
        part("accountName", b"main", fields["accountName"]),
        part("file", b"0123456789", "Content-Type: text/csv\r\n", "binance.csv"),
        part("fileId", b"1", fields["fileId"]),
    )

    answer = await post(daemon, content)

    assert answer == refused(f"The field {field} cannot be read ({reason})")
    assert leftovers(daemon) == []
    assert (await client.call("getServerFile", "main", 1))["status"] == file_status
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_body_that_says_gzip_and_is_not_gets_400(
    client: DaemonClient, daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    await client.call("createAccount", "main")
    await register(client)

    answer = await post(daemon, b"garbage", **{"Content-Encoding": "gzip"})

    assert answer == refused(GZIP_REFUSED)
    assert (await client.call("getServerFile", "main", 1))["status"] == "scheduled"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("file_id_first", [True, False])
async def test_a_gzip_body_broken_in_its_file_part_gets_400_and_aborts_the_file(
    client: DaemonClient, daemon: Daemon, caplog: pytest.LogCaptureFixture, file_id_first: bool
) -> None:
    await client.call("createAccount", "main")
    file_bytes = bytes(range(256)) * 8192  # 2 MiB that gzip hardly shrinks
    await register(client, size=len(file_bytes))
    file_part = part("file", file_bytes, "Content-Type: text/csv\r\n", "binance.csv")
    account, file_id = part("accountName", b"main"), part("fileId", b"1")
    parts = (account, file_id, file_part) if file_id_first else (account, file_part, file_id)
    packed = bytearray(gzip.compress(body(*parts), 1))
    middle = len(packed) * 2 // 3
    packed[middle : middle + 200] = b"\xff" * 200

    answer = await post(daemon, bytes(packed), **{"Content-Encoding": "gzip"})

    assert answer == refused(GZIP_REFUSED)
    assert leftovers(daemon) == []
    assert (await client.call("getServerFile", "main", 1))["status"] == "aborted"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
