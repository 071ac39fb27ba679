"""Names and dates that reach a file path cannot lead outside the data dir."""

from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import RpcCallError
from tests.conftest import Connect


def plant_outside(daemon: Daemon) -> Path:
    """A task log and a server log beside the data dir, where no name should reach."""
    outside = daemon.config.data_dir.parent / "outside"
    outside.mkdir()
    (outside / "server_task_1.log").write_text("not the daemon's\n")
    (outside.parent / "secret.log").write_text('{"message": "not the daemon\'s"}\n')
    return outside


@pytest.mark.parametrize("name", ["../outside", "../../outside", "main/../../outside", "..", ""])
async def test_a_task_log_is_read_only_from_an_account(
    connect: Connect, daemon: Daemon, name: str
) -> None:
    outside = plant_outside(daemon)
    client = await connect()
    await client.call("createAccount", "main")
    with pytest.raises(RpcCallError) as error:
        await client.call("getServerTaskLog", name, 1)
    assert (error.value.code, error.value.message) == (-32002, f'Account "{name}" does not exist')
    name = str(outside)
    with pytest.raises(RpcCallError, match=f'^Account "{name}" does not exist$'):
        await client.call("getServerTaskLog", name, 1)


async def test_a_long_account_name_is_cut_in_the_message(connect: Connect) -> None:
    client = await connect()
    with pytest.raises(RpcCallError) as error:
        await client.call("getServerTaskLog", "a" * 100_000, 1)
    assert (error.value.code, error.value.message) == (
        -32002,
        f'Account "{"a" * 80}…" does not exist',
    )


@pytest.mark.parametrize(
    ("date", "shown"),
    [
        ("../secret", "'../secret'"),
        ("../../secret", "'../../secret'"),
        ("2020-13-45", "'2020-13-45'"),
        ("2020-1-01", "'2020-1-01'"),
        ("abc", "'abc'"),
        ("9" * 1000, f"'{'9' * 40}…'"),
    ],
)
async def test_a_server_log_day_must_be_a_date(
    connect: Connect, daemon: Daemon, date: str, shown: str
) -> None:
    plant_outside(daemon)
    client = await connect()
    for method in ("getServerLogs", "queryServerLogs"):
        with pytest.raises(RpcCallError) as error:
            await client.call(method, None, 25, 0, "desc", "timestamp", date)
        assert (error.value.code, error.value.message) == (
            -32602,
            f"'date' must be a day as YYYY-MM-DD, not {shown}",
        )


async def test_server_log_lines_that_are_not_objects_are_skipped(
    connect: Connect, daemon: Daemon
) -> None:
    daemon.server_logs_dir.mkdir(parents=True, exist_ok=True)
    (daemon.server_logs_dir / "2020-01-02.log").write_text(
        '[1, 2]\n"text"\n{"level": "info", "message": "kept"}\nnot json\n'
    )
    client = await connect()
    rows, total = await client.call("getServerLogs", None, 25, 0, "desc", "timestamp", "2020-01-02")
    assert total == 1
    assert rows == [{"id": "2020-01-02_row2", "level": "info", "message": "kept"}]
    rows, total = await client.call(
        "getServerLogs", {"level": "info"}, 25, 0, "asc", "level", "2020-01-02"
    )
    assert total == 1


async def test_server_log_paging_cannot_be_negative(connect: Connect) -> None:
    client = await connect()
    with pytest.raises(RpcCallError) as error:
        await client.call("getServerLogs", None, -1)
    assert (error.value.code, error.value.message) == (
        -32602,
        "Invalid params: 'rowsPerPage' must be at least 0, not -1",
    )
