"""An import or a removal lowers the derived-data cursors in its own transaction: no stop, not
even a kill right after its commit, can leave balances that ignore it."""

import sqlite3

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.relayer.cancellation import CancelToken
from tests.api.importing import upload

STATEMENT = (
    b'"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"\n'
    b'"1","2021-03-04 10:00:00","Spot","Deposit","BTC","1.5",""\n'
    b'"1","2021-03-09 10:00:00","Spot","Deposit","ETH","2",""'
)
LATER = 1_700_000_000_000  # a cursor from a refresh made before the file came
DAY_BEFORE = 1_614_729_600_000  # 2021-03-03, the day before the file's first row


def cursors(daemon: Daemon) -> dict[str, int]:
    """Read straight from the file, without yielding to the event loop (and its listeners)."""
    path = daemon.accounts.get("main").path
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT key, value FROM key_value WHERE key IN ('balancesCursor', 'networthCursor')"
        ).fetchall()
    return dict(rows)


async def test_an_import_and_its_removal_lower_the_cursors_as_they_commit(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", {
        "incoming": "1", "incomingAsset": "ex.binance:BNB", "timestamp": LATER,
        "type": "Deposit", "wallet": "Spot", "platformId": "ex.binance",
    }, "main")  # fmt: skip
    for key in ("balancesCursor", "networthCursor"):
        await client.call("setValue", "main", key, LATER)
    record = await upload(daemon, client, "statement.csv", STATEMENT)
    imports = daemon.load_features().file_imports("main")
    imported = await imports.run_import(record["id"], {}, None, lambda *_: None, CancelToken())
    assert cursors(daemon) == {"balancesCursor": DAY_BEFORE, "networthCursor": DAY_BEFORE}

    for key in ("balancesCursor", "networthCursor"):
        await client.call("setValue", "main", key, LATER)
    await imports.remove(imported["id"], lambda *_: None, CancelToken())
    assert cursors(daemon) == {"balancesCursor": DAY_BEFORE, "networthCursor": DAY_BEFORE}
