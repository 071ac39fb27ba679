"""A small statement of a grouping format that goes back and forth in time is grouped again over
all its rows, and its task log says so, as the log of a large one does."""

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.derived import task_log
from tests.api.importing import import_file

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
RESTART_LINE = [None, "The file is not sorted by time; grouping all rows at once"]


def statement(*rows: tuple[str, str, str, str]) -> bytes:
    lines = [
        f'"1","2021-03-01 10:00:{second}","Spot","{operation}","{coin}","{change}",""'
        for second, operation, coin, change in rows
    ]
    return "\n".join([HEADER, *lines]).encode()


async def test_an_unsorted_statement_logs_that_it_is_grouped_again(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    content = statement(
        ("01", "Buy", "ETH", "1"),
        ("02", "Deposit", "BTC", "1"),
        ("01", "Buy", "ETH", "2"),
        ("01", "Sell", "USDT", "-6000"),
    )
    task = await import_file(daemon, client, "unsorted.csv", content)
    assert task["status"] == "completed", task

    lines = await task_log(client, task["id"])

    restart = lines.index(RESTART_LINE)
    assert lines[restart - 1] == [12, "Parsing file unsorted.csv"]
    assert lines[-1] == [99, "Imported 3 audit logs and 2 transactions"]


async def test_a_sorted_statement_logs_no_restart(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    content = statement(
        ("01", "Buy", "ETH", "1"), ("01", "Sell", "USDT", "-3000"), ("02", "Deposit", "BTC", "1")
    )
    task = await import_file(daemon, client, "sorted.csv", content)
    assert task["status"] == "completed", task

    assert RESTART_LINE not in await task_log(client, task["id"])
