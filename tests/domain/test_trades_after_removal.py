"""A trades refresh after logs were removed or changed ends where a full computation ends
(hypothesis): a removed transaction, a log moved to another asset (a patched fee asset) and a
changed type leave nothing behind in the open trades, whichever assets still have later logs."""

import sqlite3
from collections.abc import Callable, Iterable, Sequence

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain.invalidation import invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.trades import unlink_moved
from tests.domain.test_trades_incremental import (
    ASSETS,
    Log,
    add_prices,
    insert,
    logs,
    state,
    trades_pass,
)
from tests.memory_account import account_db

Change = Callable[[sqlite3.Connection, str], None]
"""A change of the ledger at a log (by id; its transaction is ``t`` and the same number)."""


def remove(conn: sqlite3.Connection, log_id: str) -> None:
    """The log's transaction is deleted, with its logs."""
    tx_id = f"t{log_id[1:]}"
    conn.execute("DELETE FROM audit_logs WHERE txId = ?", (tx_id,))
    conn.execute("DELETE FROM transactions WHERE id = ?", (tx_id,))


def move(conn: sqlite3.Connection, log_id: str) -> None:
    """The log and its transaction's side go to the other asset; the log keeps its id, as a
    manual transaction's fee log does when its fee asset is patched, and the trades of its old
    asset no longer link it, as ``update_manual`` has it."""
    (asset,) = conn.execute("SELECT assetId FROM audit_logs WHERE id = ?", (log_id,)).fetchone()
    other = ASSETS[1 - ASSETS.index(asset)]
    conn.execute("UPDATE audit_logs SET assetId = ? WHERE id = ?", (other, log_id))
    conn.execute(
        "UPDATE transactions SET incomingAsset = iif(incomingAsset IS NULL, NULL, ?1), "
        "outgoingAsset = iif(outgoingAsset IS NULL, NULL, ?1) WHERE id = ?2",
        (other, f"t{log_id[1:]}"),
    )
    unlink_moved(conn, f"t{log_id[1:]}", [(log_id, asset)], {other})


def retype(conn: sqlite3.Connection, log_id: str) -> None:
    """A Deposit or Withdraw becomes a Reward (no deposit row), a Reward a Deposit again."""
    conn.execute(
        "UPDATE transactions SET type = iif(type = 'Reward', 'Deposit', 'Reward') WHERE id = ?",
        (f"t{log_id[1:]}",),
    )


CHANGES: dict[str, Change] = {"remove": remove, "move": move, "retype": retype}
changes = st.lists(st.tuples(st.integers(0, 39), st.sampled_from(sorted(CHANGES))), max_size=4)


def change_ledger(conn: sqlite3.Connection, changed: Iterable[tuple[int, str]]) -> int | None:
    """Apply the changes to the logs that exist; the time of the oldest log changed."""
    oldest: int | None = None
    for number, kind in changed:
        found = conn.execute("SELECT timestamp FROM audit_logs WHERE id = ?", (f"l{number}",))
        row = found.fetchone()
        if row is None:
            continue
        oldest = row[0] if oldest is None else min(oldest, row[0])
        CHANGES[kind](conn, f"l{number}")
    return oldest


def full_after(
    connection: sqlite3.Connection,
    rows: list[Log],
    changed: list[tuple[int, str]],
    first: Sequence[tuple[int, str]] = (),
) -> None:
    add_prices(connection)
    insert(connection, list(enumerate(rows)))
    in_transaction(connection, lambda conn: change_ledger(conn, [*first, *changed]))
    trades_pass(connection, full=True)


def refreshed_after(
    connection: sqlite3.Connection,
    rows: list[Log],
    changed: list[tuple[int, str]],
    first: Sequence[tuple[int, str]] = (),
) -> None:
    """A full computation (of the ledger with the ``first`` changes), the changes, invalidated
    as the side effects do, and a refresh."""
    add_prices(connection)
    insert(connection, list(enumerate(rows)))
    in_transaction(connection, lambda conn: change_ledger(conn, first))
    trades_pass(connection, full=True)
    oldest = in_transaction(connection, lambda conn: change_ledger(conn, changed))
    if oldest is not None:
        cursor = day_start(oldest) - DAY_MS
        in_transaction(connection, lambda conn: invalidate_from(conn, cursor, oldest))
    trades_pass(connection, full=False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs, changes)
@example(  # the only log after the last close goes: the refresh has no log to read
    rows=[(0, "1", 0), (0, "-1", 24), (0, "2", 48)], changed=[(2, "remove")]
)
@example(  # B's open trade loses its log after A's last close, while A has later logs
    rows=[(1, "1", 0), (0, "1", 0), (0, "-1", 24), (1, "0.5", 48), (0, "2", 72)],
    changed=[(3, "remove")],
)
@example(  # B's log after the close moves to A: B's trade has no log after it any more
    rows=[(1, "1", 0), (0, "1", 0), (0, "-1", 24), (1, "0.5", 48), (0, "2", 72)],
    changed=[(3, "move")],
)
@example(  # the deposit after the last close becomes a reward: no deposit row, same log
    rows=[(0, "1", 0), (0, "-1", 24), (0, "2", 48)], changed=[(2, "retype")]
)
def test_a_refresh_after_removed_or_changed_logs_gives_what_a_full_computation_gives(
    rows: list[Log], changed: list[tuple[int, str]]
) -> None:
    with account_db() as incremental, account_db() as whole:
        refreshed_after(incremental, rows, changed)
        full_after(whole, rows, changed)
        assert state(incremental) == state(whole)


def test_removing_the_only_log_after_the_last_close_drops_the_trade_it_opened() -> None:
    """The QA case: BTC in, out (the last close), 5 in; the third goes. Only trade #1 is left,
    closed, as a recompute gives; the open trade, its deposit and its links are gone."""
    rows: list[Log] = [(0, "1", 0), (0, "-1", 24), (0, "5", 48)]
    with account_db() as connection:
        refreshed_after(connection, rows, [(2, "remove")])
        trades = connection.execute(
            "SELECT tradeNumber, tradeStatus, deposits FROM trades"
        ).fetchall()
        assert [(number, status) for number, status, _ in trades] == [(1, "closed")]
        assert [row[3] for row in orjson.loads(trades[0][2])] == ["t0", "t1"]
        links = connection.execute("SELECT audit_log_id FROM trade_audit_logs ORDER BY 1")
        assert [log_id for (log_id,) in links] == ["l0", "l1"]
        assert connection.execute("SELECT value FROM key_value WHERE key = 'trade_seq'").fetchone()[
            0
        ] in (1, "1")


def test_a_reward_after_the_last_close_that_becomes_a_deposit_gets_its_deposit_row() -> None:
    """A's trade, open since before B's close, had linked the reward's transaction without a
    row; the refresh takes it up at the close and processes that transaction again as the deposit
    it now is."""
    rows: list[Log] = [(0, "1", 0), (1, "1", 0), (1, "-1", 24), (0, "2", 48)]
    with account_db() as incremental, account_db() as whole:
        refreshed_after(incremental, rows, [(3, "retype")], first=[(3, "retype")])
        full_after(whole, rows, [(3, "retype")], first=[(3, "retype")])
        assert state(incremental) == state(whole)
        query = "SELECT deposits FROM trades WHERE assetId = ?"
        deposits = incremental.execute(query, (ASSETS[0],)).fetchone()[0]
        assert [row[3] for row in orjson.loads(deposits)] == ["t0", "t3"]
