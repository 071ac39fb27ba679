"""Bad files get clear errors and leave the account exactly as it was."""

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain import file_imports
from tests.api.importing import import_file, ledger_digest, upload, wait_for_task
from tests.conftest import http_url

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
GOOD_ROW = '"1","2021-03-01 10:00:00","Spot","Deposit","BTC","0.5",""'
SAVE_AS_UTF8 = 'if it is a CSV file, save it as UTF-8 (in Excel: "CSV UTF-8") and import it again'


def statement(*rows: str, newline: str = "\n") -> bytes:
    return newline.join([HEADER, *rows]).encode()


def generic_csv(*rows: str) -> bytes:
    """A generic CSV whose first row buys a fund in lira, which would give it TEFAS prices."""
    header = "date,type,asset,assetType,quantity,price,priceCurrency,fee,feeCurrency,wallet,notes"
    return "\n".join([header, "2024-03-01,buy,TI4,fund,1,1000,TRY,,,Broker,", *rows]).encode()


CURRENCIES = (
    "expected an ISO 4217 code such as USD or EUR, metal:XAU or metal:XAG, or an asset id such "
    "as crypto:BTC"
)


BAD_FILES = [
    (
        "missing column",
        statement(GOOD_ROW, '"1","2021-03-01 11:00:00","Spot","Deposit","BTC"'),
        "Error: Cannot parse row 2: Invalid number of columns: expected 7, received 5 (line 3)",
    ),
    (
        "bad number",
        statement(GOOD_ROW, '"1","2021-03-01 11:00:00","Spot","Deposit","BTC","1.2.3",""'),
        'Error: Cannot parse row 2: Invalid number in column "Change": "1.2.3" (line 3)',
    ),
    (
        "bad number after a note of two lines",
        b"\n\n"
        + statement(
            '"1","2021-03-01 10:00:00","Spot","Deposit","BTC","0.5","first\nsecond"',
            '"1","2021-03-01 11:00:00","Spot","Deposit","BTC","1.2.3",""',
        ),
        'Error: Cannot parse row 2: Invalid number in column "Change": "1.2.3" (line 6)',
    ),
    (
        "bad date",
        statement(GOOD_ROW, '"1","2021-13-45 99:00:00","Spot","Deposit","BTC","1",""'),
        'Error: Cannot parse row 2: Invalid timestamp in column "UTC_Time": 2021-13-45 99:00:00 '
        "(there is no such date or time) (line 3)",
    ),
    (
        "unknown header",
        b"Date,Amount,Coin\n2021-01-01,1,BTC",
        "Error: File import unsupported, unknown header: Date,Amount,Coin",
    ),
    (
        "binary file",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "Error: The file is not UTF-8 text: invalid byte 0x89 on line 1 (offset 0); "
        + SAVE_AS_UTF8,
    ),
    (
        "legacy encoding",
        statement(GOOD_ROW, '"1","2021-03-01 11:00:00","Spot","Deposit","BTC","1","dépôt"')
        .decode()
        .encode("cp1252"),
        "Error: The file is not UTF-8 text: invalid byte 0xE9 on line 3 (offset 181); "
        + SAVE_AS_UTF8,
    ),
    (
        "utf-16 file",
        statement(GOOD_ROW).decode().encode("utf-16"),
        f"Error: The file is UTF-16 text, not UTF-8: {SAVE_AS_UTF8}",
    ),
    (
        "nul characters",
        HEADER.encode() + b"\n\x00\x00",
        "Error: The file is not a text file: it contains NUL characters, the first on line 2",
    ),
    (
        "a nul character in a row",
        statement(GOOD_ROW, GOOD_ROW, GOOD_ROW.replace("Spot", "Sp\x00ot")),
        "Error: The file is not a text file: it contains NUL characters, the first on line 4",
    ),
    (
        "carriage returns only",
        statement(*[GOOD_ROW] * 20_000, newline="\r"),
        "Error: The first line of the file is longer than 1,048,576 characters (its lines end "
        "with a carriage return only; save it with line feeds or CRLF)",
    ),
    (
        "a short file with carriage returns only",
        statement(GOOD_ROW, GOOD_ROW, newline="\r"),
        f"Error: File import unsupported, unknown header: {HEADER} (its lines end with a "
        "carriage return only; save it with line feeds or CRLF)",
    ),
    (
        "an unknown header with carriage returns only",
        b"Date;Amount;Coin\r2021-01-01;1;BTC",
        "Error: File import unsupported, unknown header: Date;Amount;Coin (its lines end with a "
        "carriage return only; save it with line feeds or CRLF; its names are separated by "
        "semicolons; save the file with commas)",
    ),
    (
        "misspelt currency (generic CSV)",
        generic_csv("2024-03-02,buy,SAP,stock,1,190,EURO,,,Broker,"),
        'Error: Cannot parse row 2: Unknown currency "EURO" in column "priceCurrency" '
        f"({CURRENCIES}) (line 3)",
    ),
    (
        "currency symbol as a fee currency (generic CSV)",
        generic_csv("2024-03-02,buy,SAP,stock,1,190,EUR,1,€,Broker,"),
        f'Error: Cannot parse row 2: Unknown currency "€" in column "feeCurrency" ({CURRENCIES}) '
        "(line 3)",
    ),
    (
        "unknown fiat asset (generic CSV)",
        generic_csv("2024-03-02,deposit,DOLLARS,fiat,100,,,,,Broker,"),
        'Error: Cannot parse row 2: Unknown fiat code "DOLLARS" in column "asset" (expected an '
        "ISO 4217 code such as USD or EUR) (line 3)",
    ),
    (
        "unknown metal (generic CSV)",
        generic_csv("2024-03-02,buy,GOLD,metal,0.1,2000,USD,,,Vault,"),
        'Error: Cannot parse row 2: Unknown metal "GOLD" in column "asset" (expected one of: XAU, '
        "XAG) (line 3)",
    ),
    (
        "text after a quoted value (generic CSV)",
        generic_csv('2024-03-02,buy,KO,stock,1,60,USD,,,"IB" main,'),
        'Error: Cannot parse row 2: Invalid CSV row: the value in column "wallet" goes on after '
        'its closing "; write a value holding " in quotes, with the " doubled: "5"" screen" '
        "(line 3)",
    ),
    ("empty file", b"", "Error: The file is empty"),
    ("only blanks", b"  \n\n ", "Error: The file is empty"),
]


@pytest.mark.parametrize(
    ("case", "content", "message"), BAD_FILES, ids=[case for case, *_ in BAD_FILES]
)
async def test_a_bad_file_fails_clearly_and_changes_nothing(
    client: DaemonClient, daemon: Daemon, case: str, content: bytes, message: str
) -> None:
    await client.call("createAccount", "main")
    await import_file(daemon, client, "first.csv", statement(GOOD_ROW))
    before = await ledger_digest(daemon)
    assets = await client.call("readSql", "main", "SELECT * FROM assets ORDER BY id")
    task = await import_file(daemon, client, f"{case}.csv", content)
    assert (task["status"], task["errorMessage"]) == ("failed", message)
    assert await ledger_digest(daemon) == before
    assert await client.call("readSql", "main", "SELECT * FROM assets ORDER BY id") == assets


async def test_importing_the_same_file_twice_fails(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    await import_file(daemon, client, "a.csv", statement(GOOD_ROW))
    before = await ledger_digest(daemon)
    task = await import_file(daemon, client, "a.csv", statement(GOOD_ROW))
    assert (task["status"], task["errorMessage"]) == (
        "failed",
        "Error: You cannot import the same file twice.",
    )
    assert await ledger_digest(daemon) == before


async def test_the_same_bytes_under_another_name_are_refused_until_the_first_is_removed(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    first = await import_file(daemon, client, "statement.csv", statement(GOOD_ROW))
    before = await ledger_digest(daemon)
    task = await import_file(daemon, client, "statement (1).csv", statement(GOOD_ROW))
    assert (task["status"], task["errorMessage"]) == (
        "failed",
        'Error: You cannot import the same file twice. "statement (1).csv" has the same '
        'content as the import of "statement.csv".',
    )
    assert await ledger_digest(daemon) == before
    [imported] = await client.call("getFileImports", "main")
    task_id = await client.call("enqueueRemoveFileImport", "main", "user", imported["id"])
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    again = await import_file(daemon, client, "statement (2).csv", statement(GOOD_ROW))
    assert again["status"] == "completed", again
    assert first["status"] == "completed"
    assert await client.call("countAuditLogs", "main") == 1


async def test_the_empty_exports_of_two_wallets_are_both_imported(
    client: DaemonClient, daemon: Daemon
) -> None:
    """A wallet with no transactions of a kind exports only the header: such files are alike
    without being copies of one file."""
    await client.call("createAccount", "main")
    for name in ("0xAAA-internal.csv", "0xBBB-internal.csv"):
        task = await import_file(daemon, client, name, f"\ufeff{HEADER}\r\n\r\n".encode())
        assert task["status"] == "completed", task
    assert len(await client.call("getFileImports", "main")) == 2


async def test_a_file_that_is_not_csv_is_refused(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    record = await upload(daemon, client, "photo.png", statement(GOOD_ROW), mime="image/png")
    task_id = await client.call("enqueueImportFile", "main", "user", record["id"])
    task = await wait_for_task(client, task_id)
    assert task["errorMessage"] == "Error: Error reading file: not .csv"


@pytest.mark.parametrize("variant", ["crlf", "bom", "crlf+bom"])
async def test_crlf_and_bom_import_like_plain_files(
    client: DaemonClient, daemon: Daemon, variant: str
) -> None:
    await client.call("createAccount", "main")
    content = statement(GOOD_ROW, newline="\r\n" if "crlf" in variant else "\n")
    if "bom" in variant:
        content = b"\xef\xbb\xbf" + content
    task = await import_file(daemon, client, f"{variant}.csv", content)
    assert task["status"] == "completed", task
    [log] = await client.call("getAuditLogs", "main")
    assert (log["assetId"], log["change"], log["wallet"], log["timestamp"]) == (
        "ex.binance:BTC",
        "0.5",
        "Binance Spot",
        1614592800000,
    )


async def test_a_traversal_file_name_stays_a_name(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    task = await import_file(daemon, client, "../../../etc/passwd.csv", statement(GOOD_ROW))
    assert task["status"] == "completed"
    [record] = await client.call("getServerFiles", "main")
    assert (daemon.accounts.files_dir("main") / str(record["id"])).is_file()
    assert not (daemon.config.data_dir.parent / "etc").exists()


async def test_an_import_cancelled_midway_leaves_nothing(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    rows = [
        f'"1","2021-03-01 10:{i // 60 % 60:02d}:{i % 60:02d}","Spot","Deposit","C{i % 9}","{i}",""'
        for i in range(200_000)
    ]
    before = await ledger_digest(daemon)
    record = await upload(daemon, client, "big.csv", statement(*rows))
    task_id = await client.call("enqueueImportFile", "main", "user", record["id"])
    lines: list[str] = []
    await client.call("subscribeToServerTaskProgress", "main", task_id, lines.append)
    for _ in range(500):
        if any("Parsing row 20000" in line for line in lines):
            break
        await __import__("asyncio").sleep(0.01)
    await client.call("cancelTask", "main", task_id)
    task = await wait_for_task(client, task_id)
    assert (task["status"], task["errorMessage"]) == ("aborted", "Task aborted by user.")
    assert await ledger_digest(daemon) == before


def delete_uploads(daemon: Daemon) -> None:
    """What a deleteServerFile does to the account's uploads on disk."""
    for path in daemon.accounts.files_dir("main").iterdir():
        if path.is_file():
            path.unlink()


@pytest.mark.parametrize("moment", ["hashing", "parsing"])
async def test_a_server_file_deleted_during_its_import_is_imported_all_the_same(
    client: DaemonClient, daemon: Daemon, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    """The import holds its own name for the upload's bytes, whenever the file goes."""
    await client.call("createAccount", "main")
    target = file_imports.file_sha256 if moment == "hashing" else file_imports.read_text

    def deleted_first(path: Path, *args: Any) -> Any:
        delete_uploads(daemon)
        return target(path, *args)

    monkeypatch.setattr(file_imports, target.__name__, deleted_first)
    task = await import_file(daemon, client, "gone.csv", statement(GOOD_ROW))

    assert (task["status"], await client.call("countAuditLogs", "main")) == ("completed", 1)
    assert not list(daemon.accounts.files_dir("main").iterdir())


async def test_a_file_deleted_before_its_import_reads_it_is_named(
    client: DaemonClient, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gone before the import took its own name for the bytes: the error says so, without the
    daemon's paths."""
    await client.call("createAccount", "main")
    pinned = file_imports._pinned

    def deleted_first(path: Path, directory: Path) -> Path:
        delete_uploads(daemon)
        return pinned(path, directory)

    monkeypatch.setattr(file_imports, "_pinned", deleted_first)
    task = await import_file(daemon, client, "gone.csv", statement(GOOD_ROW))

    assert task["errorMessage"] == 'Error: The file "gone.csv" was deleted during its import'
    assert await client.call("countAuditLogs", "main") == 0


@pytest.mark.parametrize(
    ("sent", "status", "message"),
    [
        (None, "scheduled", 'The file "cut.csv" has not been uploaded yet'),
        (
            b"User_ID",
            "aborted",
            'The upload of the file "cut.csv" was aborted: upload it again, then import it',
        ),
    ],
    ids=["never uploaded", "upload cut short"],
)
async def test_a_file_without_its_bytes_says_whether_its_upload_was_aborted(
    client: DaemonClient, daemon: Daemon, sent: bytes | None, status: str, message: str
) -> None:
    await client.call("createAccount", "main")
    metadata = {"lastModified": 0, "size": 1000, "type": "text/csv"}
    record = await client.call(
        "upsertServerFile", "main", {"name": "cut.csv", "metadata": metadata}
    )
    if sent is not None:  # fewer bytes than the file's size: the upload is aborted
        form = aiohttp.FormData()
        form.add_field("accountName", "main")
        form.add_field("fileId", str(record["id"]))
        form.add_field("file", sent, filename="cut.csv", content_type="text/csv")
        headers = {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.post(http_url(daemon, "/upload"), data=form) as response,
        ):
            assert response.status == 400
    assert (await client.call("getServerFile", "main", record["id"]))["status"] == status

    task_id = await client.call("enqueueImportFile", "main", "user", record["id"])
    task = await wait_for_task(client, task_id)

    assert (task["status"], task["errorMessage"]) == ("failed", f"Error: {message}")
