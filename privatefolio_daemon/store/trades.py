"""SQL of trades and their PnL: what the computation reads (logs, transactions, prices, open
trades) and writes (trades, their links, PnL rows), and the rows the RPC returns.

``trades.amount`` and ``trades.balance`` hold JS numbers as the original stores them (data-model
§0): an integral value within 32 bits as integer text, any other as SQLite's REAL text
(``6.0e-07``, 15 significant digits).
"""

import bisect
import sqlite3
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import orjson

from privatefolio_daemon import large_json
from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.trade_pnl import PnlRow
from privatefolio_daemon.domain.trades_engine import Trade, TradeLog, TradeTransaction
from privatefolio_daemon.sources.prices.price_checks import is_price
from privatefolio_daemon.store.multi_row import MAX_PARAMETERS
from privatefolio_daemon.store.trade_tag_carry import remember_tagged_trades

TRADE_COLUMNS = (
    "id",
    "tradeNumber",
    "assetId",
    "amount",
    "balance",
    "createdAt",
    "closedAt",
    "duration",
    "tradeStatus",
    "tradeType",
    "cost",
    "fees",
    "proceeds",
    "deposits",
)
TRADES_DEFAULT_SQL = "SELECT * FROM trades ORDER BY createdAt DESC"
TRADES_COUNT_SQL = "SELECT COUNT(*) FROM trades"
#: The trades with their linked transaction and audit-log ids (``getTradesFullQuery``).
TRADES_FULL_SQL = (
    "SELECT trades.*, "
    "(SELECT GROUP_CONCAT(transaction_id) FROM (SELECT transaction_id FROM trade_transactions "
    "WHERE trade_id = trades.id ORDER BY transaction_id)) AS txIds, "
    "(SELECT GROUP_CONCAT(audit_log_id) FROM (SELECT audit_log_id FROM trade_audit_logs "
    "WHERE trade_id = trades.id ORDER BY audit_log_id)) AS auditLogIds "
    "FROM trades ORDER BY createdAt ASC, id ASC"
)
TRADE_PNL_DEFAULT_SQL = "SELECT * FROM trade_pnl WHERE trade_id = ? ORDER BY timestamp ASC"
_JSON_COLUMNS = frozenset({"cost", "fees", "proceeds", "deposits"})
TAIL_LOOKUP_LIMIT = 5_000
_INT32 = 1 << 31
_LOG_LINKS = "trade_audit_logs (trade_id, audit_log_id)"
_TX_LINKS = "trade_transactions (trade_id, transaction_id)"


def assets_in_order(connection: sqlite3.Connection, since: int) -> tuple[list[str], int]:
    """The assets of the logs after ``since`` in order of first appearance (canonical order),
    and how many logs there are."""
    order: dict[str, None] = {}
    count = 0
    where, params = _after(since)
    cursor = connection.execute(
        f"SELECT assetId FROM audit_logs AS log WHERE {where} "
        "ORDER BY timestamp ASC, changeN ASC, id ASC",
        params,
    )
    for (asset_id,) in cursor:
        count += 1
        order.setdefault(asset_id)
    return list(order), count


def first_logs(
    connection: sqlite3.Connection, asset_ids: Iterable[str]
) -> dict[str, tuple[Any, ...]]:
    """Each asset's first log ever, as its canonical sort key ``(timestamp, changeN, id)``."""
    query = (
        "SELECT timestamp, changeN, id FROM audit_logs WHERE assetId = ? "
        "ORDER BY timestamp ASC, changeN ASC, id ASC LIMIT 1"
    )
    return {asset: tuple(connection.execute(query, (asset,)).fetchone()) for asset in asset_ids}


def asset_logs(
    connection: sqlite3.Connection, asset_id: str, since: int
) -> tuple[list[TradeLog], dict[str, TradeTransaction]]:
    """One asset's logs after ``since``, in canonical ascending order, and their transactions by
    id (a missing one is left out). One joined read: the lookups by id stay inside SQLite."""
    where, params = _after(since)
    rows = connection.execute(
        "SELECT log.id, log.assetId, log.change, log.timestamp, log.txId, tx.id, tx.type, "
        "tx.incomingAsset, tx.incoming, tx.outgoingAsset, tx.outgoing, tx.feeAsset, tx.fee, "
        "tx.timestamp FROM audit_logs AS log LEFT JOIN transactions AS tx ON tx.id = log.txId "
        f"WHERE {where} AND log.assetId = ? "
        "ORDER BY log.timestamp ASC, log.changeN ASC, log.id ASC",
        (*params, asset_id),
    )
    logs: list[TradeLog] = []
    found: dict[str, TradeTransaction] = {}
    new_tuple = tuple.__new__  # a named tuple made from its row in C, not through __new__
    for row in rows:
        logs.append(new_tuple(TradeLog, row[:5]))
        if row[5] is not None:
            found[row[5]] = new_tuple(TradeTransaction, row[5:])
    return logs, found


def dividends_after(
    connection: sqlite3.Connection, since: int
) -> dict[str, list[TradeTransaction]]:
    """The dividends after ``since`` (every one for 0), by the asset they are paid on, in time
    order: the Rewards whose metadata names that asset as ``dividendOf``. One read of the
    transactions from ``since`` on."""
    where, params = ("1", ()) if since == 0 else ("timestamp > ?", (since,))
    rows = connection.execute(
        "SELECT json_extract(metadata, '$.dividendOf'), id, type, incomingAsset, incoming, "
        "outgoingAsset, outgoing, feeAsset, fee, timestamp FROM transactions "
        f"WHERE {where} AND type = 'Reward' AND json_valid(metadata) "
        "AND json_type(metadata, '$.dividendOf') = 'text' ORDER BY timestamp, id",
        params,
    )
    found: dict[str, list[TradeTransaction]] = {}
    for asset_id, *transaction in rows:
        found.setdefault(asset_id, []).append(TradeTransaction(*transaction))
    return found


def linked_among(connection: sqlite3.Connection, trade_id: str, tx_ids: Sequence[str]) -> set[str]:
    """The transactions of ``tx_ids`` linked to the trade."""
    rows = connection.execute(
        "SELECT transaction_id FROM trade_transactions WHERE trade_id = ? "
        "AND transaction_id IN (SELECT value FROM json_each(?))",
        (trade_id, orjson.dumps(list(tx_ids)).decode()),
    )
    return {tx_id for (tx_id,) in rows}


def has_cash_flows(connection: sqlite3.Connection) -> bool:
    """Whether a transaction pays a fee in a fiat currency or is a dividend."""
    row = connection.execute(
        "SELECT 1 FROM transactions WHERE feeAsset GLOB 'fiat:*' "
        "OR (type = 'Reward' AND metadata LIKE '%dividendOf%') LIMIT 1"
    ).fetchone()
    return row is not None


def _after(since: int) -> tuple[str, tuple[int, ...]]:
    """Every log for a full run (``since`` 0), else those after ``since``."""
    return ("1", ()) if since == 0 else ("log.timestamp > ?", (since,))


def has_trades(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM trades LIMIT 1").fetchone() is not None


def last_log_time(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT MAX(timestamp) FROM audit_logs").fetchone()
    return int(row[0] or 0)


def linked_changes(connection: sqlite3.Connection, trade_id: str, until: int) -> list[str]:
    """The changes of the trade's logs up to ``until``, in canonical order."""
    rows = connection.execute(
        "SELECT log.change FROM trade_audit_logs AS link JOIN audit_logs AS log "
        "ON log.id = link.audit_log_id WHERE link.trade_id = ? AND log.timestamp <= ? "
        "ORDER BY log.timestamp, log.changeN, log.id",
        (trade_id, until),
    )
    return [change for (change,) in rows]


def position(connection: sqlite3.Connection, asset_id: str, until: int) -> Decimal:
    """The asset's balance across wallets after its logs up to ``until``, exactly."""
    total = Decimal(0)
    rows = connection.execute(
        "SELECT change FROM audit_logs WHERE assetId = ? AND timestamp <= ?", (asset_id, until)
    )
    for (change,) in rows:
        total = decimals.add(total, decimals.parse(change))
    return total


def count_logs_after(connection: sqlite3.Connection, since: int, limit: int) -> int:
    """How many audit logs come after ``since``, counting no further than ``limit``."""
    row = connection.execute(
        "SELECT count(*) FROM (SELECT 1 FROM audit_logs WHERE timestamp > ? LIMIT ?)",
        (since, limit),
    ).fetchone()
    return int(row[0])


def prices_of_asset(
    connection: sqlite3.Connection, asset_id: str, since: int = 0
) -> dict[int, Decimal]:
    """The asset's daily prices by day from ``since`` on, in ascending order; a stored value
    that is no price (null, ``1e308``: ``price_checks``) is left out."""
    rows = connection.execute(
        "SELECT timestamp, json_extract(price, '$.value') FROM daily_prices "
        "WHERE assetId = ? AND timestamp >= ? ORDER BY timestamp ASC",
        (asset_id, since),
    )
    return {day: _number(value) for day, value in rows if is_price(value)}


def _number(value: float | int) -> Decimal:
    """A JS number as big.js reads it: its shortest round-trip digits."""
    return decimals.parse(repr(value) if isinstance(value, float) else value)


class AssetBalances:
    """An asset's log balances in canonical order, for "the balance at or before a moment"
    (moments from ``since`` on: the logs before the last moment before it are not read)."""

    def __init__(self, connection: sqlite3.Connection, asset_id: str, since: int = 0) -> None:
        rows = connection.execute(
            "SELECT timestamp, balance FROM audit_logs WHERE assetId = ?1 AND timestamp >= "
            "  (SELECT coalesce(max(timestamp), 0) FROM audit_logs "
            "   WHERE assetId = ?1 AND timestamp < ?2) "
            "ORDER BY timestamp ASC, changeN ASC, id ASC",
            (asset_id, since),
        ).fetchall()
        self._times = [row[0] for row in rows]
        self._balances = [row[1] for row in rows]

    def at(self, moment: int) -> Decimal:
        index = bisect.bisect_right(self._times, moment) - 1
        if index < 0 or not self._balances[index]:
            return Decimal(0)
        return decimals.parse(self._balances[index])


def open_trades(connection: sqlite3.Connection, since: int, asset_ids: set[str]) -> list[Trade]:
    """The open trades of ``asset_ids``, to go on after ``since``. Of the transactions each has
    linked, only those of its asset's logs after ``since`` are loaded: the only ones a run going
    on from there asks about (a trade held for years may have linked nearly every transaction of
    the ledger). Those after ``since`` are left out too, so that the run processes them again,
    as their rows after ``since`` are dropped (their type may have changed)."""
    rows = connection.execute(
        "SELECT * FROM trades WHERE tradeStatus = 'open' AND assetId IN "
        "(SELECT value FROM json_each(?)) ORDER BY createdAt ASC",
        (orjson.dumps(sorted(asset_ids)).decode(),),
    ).fetchall()
    trades = [_trade(row) for row in rows]
    for trade in trades:
        linked = connection.execute(
            "SELECT link.transaction_id FROM audit_logs AS log JOIN trade_transactions AS link "
            "ON link.trade_id = ?1 AND link.transaction_id = log.txId "
            "JOIN transactions AS tx ON tx.id = link.transaction_id AND tx.timestamp <= ?3 "
            "WHERE log.assetId = ?2 AND log.timestamp > ?3",
            (trade.id, trade.asset_id, since),
        )
        trade.linked_tx_ids = {tx_id for (tx_id,) in linked}
    return trades


class StoredTrade(NamedTuple):
    id: str
    created_at: int
    trade_number: int
    closed_at: int | None
    trade_type: str
    amount: str | int | float
    asset_id: str
    balance: str | int | float


def open_trades_of_others(connection: sqlite3.Connection, asset_ids: set[str]) -> list[StoredTrade]:
    """The open trades of the assets not in ``asset_ids``, without their rows."""
    rows = connection.execute(
        "SELECT id, createdAt, tradeNumber, closedAt, tradeType, amount, assetId, balance "
        "FROM trades WHERE tradeStatus = 'open' AND assetId NOT IN "
        "(SELECT value FROM json_each(?)) ORDER BY createdAt ASC",
        (orjson.dumps(sorted(asset_ids)).decode(),),
    )
    return [StoredTrade(*row) for row in rows]


def trades_to_price(connection: sqlite3.Connection, since: int) -> list[StoredTrade]:
    """The trades open or closed at or after ``since``, in the order a run numbers them."""
    rows = connection.execute(
        "SELECT id, createdAt, tradeNumber, closedAt, tradeType, amount, assetId, balance "
        "FROM trades WHERE closedAt IS NULL OR closedAt >= ? ORDER BY createdAt, tradeNumber",
        (since,),
    )
    return [StoredTrade(*row) for row in rows]


def largest_linked_balance(connection: sqlite3.Connection, trade_id: str) -> Decimal | None:
    """The largest absolute balance the trade's logs were left at; None if one has none.

    SQLite finds the largest as a double; only the balances that come close to it are read and
    compared exactly, not every log of a trade held for years."""
    missing, largest = connection.execute(
        f"SELECT count(*) - count(log.balance), max(abs(CAST(log.balance AS REAL))) {_LINKED_LOGS}",
        (trade_id,),
    ).fetchone()
    if largest is None or missing:
        return None
    near = connection.execute(
        f"SELECT log.balance {_LINKED_LOGS} AND abs(CAST(log.balance AS REAL)) >= ?",
        (trade_id, largest * (1 - 1e-9)),
    )
    return max(decimals.parse(balance).copy_abs() for (balance,) in near)


_LINKED_LOGS = (
    "FROM trade_audit_logs AS link JOIN audit_logs AS log ON log.id = link.audit_log_id "
    "WHERE link.trade_id = ?"
)


def trade(connection: sqlite3.Connection, trade_id: str, *, rows: bool = True) -> Trade:
    """``rows``: whether to read its cost, fees, proceeds and deposits (a row per transaction:
    a trade held for years has thousands); else they are left empty."""
    columns = ", ".join(
        column if rows or column not in _JSON_COLUMNS else "NULL" for column in TRADE_COLUMNS
    )
    row = connection.execute(f"SELECT {columns} FROM trades WHERE id = ?", (trade_id,)).fetchone()
    return _trade(row)


def may_have_rows_after(connection: sqlite3.Connection, trade_id: str, moment: int) -> bool:
    """False only if the trade has no cost, fees, proceeds or deposits row after ``moment``.

    Each row is of a transaction linked to the trade, at the transaction's time, so it is enough
    that none of the transactions after ``moment`` is linked. They are looked up when there are
    at most ``TAIL_LOOKUP_LIMIT`` of them; past that, the answer is True."""
    later = connection.execute(
        "SELECT count(*) FROM (SELECT 1 FROM transactions WHERE timestamp > ? LIMIT ?)",
        (moment, TAIL_LOOKUP_LIMIT + 1),
    ).fetchone()[0]
    if later > TAIL_LOOKUP_LIMIT:
        return True
    linked = connection.execute(
        "SELECT 1 FROM transactions AS tx CROSS JOIN trade_transactions AS link "  # tx first
        "ON link.trade_id = ? AND link.transaction_id = tx.id WHERE tx.timestamp > ? LIMIT 1",
        (trade_id, moment),
    ).fetchone()
    return linked is not None


def number_trades(connection: sqlite3.Connection, numbers: Iterable[tuple[int, str]]) -> None:
    """``(tradeNumber, id)`` pairs."""
    connection.executemany("UPDATE trades SET tradeNumber = ? WHERE id = ?", numbers)


def _trade(row: tuple[Any, ...]) -> Trade:
    record = dict(zip(TRADE_COLUMNS, row, strict=False))
    return Trade(
        id=record["id"],
        asset_id=record["assetId"],
        created_at=record["createdAt"],
        trade_type=record["tradeType"],
        amount=decimals.parse(str(record["amount"])),
        balance=decimals.parse(str(record["balance"])),
        trade_number=record["tradeNumber"],
        status=record["tradeStatus"],
        closed_at=record["closedAt"],
        cost=orjson.loads(record["cost"] or "[]"),
        fees=orjson.loads(record["fees"] or "[]"),
        proceeds=orjson.loads(record["proceeds"] or "[]"),
        deposits=orjson.loads(record["deposits"] or "[]"),
    )


def js_number(value: Decimal) -> int | float:
    """The JS number of a decimal, bound as the original's driver binds it."""
    number = float(value)
    if number.is_integer() and -_INT32 <= number < _INT32:
        return int(number)
    return number


def save_trades(connection: sqlite3.Connection, trades: Iterable[Trade]) -> None:
    for trade in trades:
        connection.execute(
            f"INSERT OR REPLACE INTO trades ({', '.join(TRADE_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in TRADE_COLUMNS)})",
            (
                trade.id,
                trade.trade_number,
                trade.asset_id,
                js_number(trade.amount),
                js_number(trade.balance),
                trade.created_at,
                trade.closed_at,
                trade.duration,
                trade.status,
                trade.trade_type,
                orjson.dumps(trade.cost).decode(),
                orjson.dumps(trade.fees).decode(),
                orjson.dumps(trade.proceeds).decode(),
                orjson.dumps(trade.deposits).decode(),
            ),
        )


def save_links(connection: sqlite3.Connection, trades: Iterable[Trade]) -> None:
    """The logs and transactions the trades linked in this run (then forgotten)."""
    for trade in trades:
        _link(connection, _LOG_LINKS, trade.id, trade.audit_log_ids)
        _link(connection, _TX_LINKS, trade.id, trade.tx_ids)
        trade.audit_log_ids.clear()
        trade.tx_ids.clear()


def _link(connection: sqlite3.Connection, table: str, trade_id: str, ids: list[str]) -> None:
    """Many links per statement, the trade's id bound once as ``?1``."""
    size = MAX_PARAMETERS - 1
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        values = ", ".join(f"(?1, ?{number})" for number in range(2, len(chunk) + 2))
        connection.execute(f"INSERT OR IGNORE INTO {table} VALUES {values}", [trade_id, *chunk])


def unlink_after_close(connection: sqlite3.Connection, trade: Trade) -> None:
    """Forget what a trade taken up again had linked after the close it now has: a new log made
    it close earlier, and those logs and their transactions belong to the trades after it."""
    connection.execute(
        "DELETE FROM trade_audit_logs WHERE trade_id = ? AND audit_log_id IN "
        "(SELECT id FROM audit_logs WHERE assetId = ? AND timestamp > ?)",
        (trade.id, trade.asset_id, trade.closed_at),
    )
    connection.execute(
        "DELETE FROM trade_transactions WHERE trade_id = ? AND transaction_id IN "
        "(SELECT id FROM transactions WHERE timestamp > ?)",
        (trade.id, trade.closed_at),
    )


def open_trade_assets(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT DISTINCT assetId FROM trades WHERE tradeStatus = 'open'")
    return {asset_id for (asset_id,) in rows}


def unlink_removed(connection: sqlite3.Connection) -> None:
    """Forget the open trades' links to logs and transactions that are gone (removed after the
    last close; one before it deletes every trade). A look-up in an index per link of each open
    trade: about 0.25 s per 100k links."""
    trade_ids = connection.execute("SELECT id FROM trades WHERE tradeStatus = 'open'").fetchall()
    connection.executemany(
        "DELETE FROM trade_audit_logs WHERE trade_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM audit_logs AS log WHERE log.id = trade_audit_logs.audit_log_id)",
        trade_ids,
    )
    connection.executemany(
        "DELETE FROM trade_transactions WHERE trade_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM transactions AS tx WHERE tx.id = trade_transactions.transaction_id)",
        trade_ids,
    )


def unlink_moved(
    connection: sqlite3.Connection, tx_id: str, moved: Sequence[tuple[str, str]], assets: set[str]
) -> None:
    """A transaction's logs made again: ``moved``, ``(log id, asset)`` pairs of logs it no longer
    has in that asset (a log keeps its id when its asset changes), are no longer linked to that
    asset's trades, nor is the transaction once it has no log of the asset (``assets``: those
    it has now)."""
    connection.executemany(
        "DELETE FROM trade_audit_logs WHERE audit_log_id = ? "
        "AND trade_id IN (SELECT id FROM trades WHERE assetId = ?)",
        moved,
    )
    connection.executemany(
        "DELETE FROM trade_transactions WHERE transaction_id = ? "
        "AND trade_id IN (SELECT id FROM trades WHERE assetId = ?)",
        [(tx_id, asset) for asset in {asset for _, asset in moved} - assets],
    )


def delete_trades(connection: sqlite3.Connection) -> None:
    """Every trade, link and PnL row; the tags stay, for the trades that come back."""
    remember_tagged_trades(connection)
    for table in ("trades", "trade_audit_logs", "trade_transactions", "trade_pnl"):
        connection.execute(f"DELETE FROM {table}")


def delete_trades_by_id(connection: sqlite3.Connection, trade_ids: Sequence[str]) -> None:
    """These trades, with their links and PnL rows."""
    marks = ", ".join("?" for _ in trade_ids)
    remember_tagged_trades(connection, f"AND id IN ({marks})", trade_ids)
    for table, column in (
        ("trades", "id"),
        ("trade_audit_logs", "trade_id"),
        ("trade_transactions", "trade_id"),
        ("trade_pnl", "trade_id"),
    ):
        connection.executemany(
            f"DELETE FROM {table} WHERE {column} = ?", ((trade_id,) for trade_id in trade_ids)
        )


def delete_pnl(connection: sqlite3.Connection, from_days: Iterable[tuple[str, int]]) -> None:
    """The PnL rows of these ``(trade id, day)`` from that day on, which are computed again. The
    rows of a trade the run did not take up again (a closed one) stay as they are."""
    connection.executemany("DELETE FROM trade_pnl WHERE trade_id = ? AND timestamp >= ?", from_days)


def latest_pnl_day(connection: sqlite3.Connection, trade_id: str) -> int | None:
    row = connection.execute(
        "SELECT max(timestamp) FROM trade_pnl WHERE trade_id = ?", (trade_id,)
    ).fetchone()
    return None if row[0] is None else int(row[0])


def pnl_sums_before(
    connection: sqlite3.Connection, trade_id: str, after: int, before: int
) -> tuple[int, tuple[str, str, str, str, str, str]] | None:
    """The day and the position value, cost, proceeds, fees, deposits and PnL of the trade's
    latest PnL row strictly between ``after`` and ``before``."""
    row = connection.execute(
        "SELECT timestamp, positionValue, cost, proceeds, fees, deposits, pnl FROM trade_pnl "
        "WHERE trade_id = ? AND timestamp > ? AND timestamp < ? ORDER BY timestamp DESC LIMIT 1",
        (trade_id, after, before),
    ).fetchone()
    return None if row is None else (row[0], tuple(row[1:]))


def save_pnl(connection: sqlite3.Connection, rows: Iterable[PnlRow]) -> None:
    connection.executemany(
        "INSERT OR REPLACE INTO trade_pnl (id, trade_id, timestamp, positionValue, cost, "
        "proceeds, fees, deposits, pnl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def pnl_rows(
    connection: sqlite3.Connection, start: int | None = None, end: int | None = None
) -> list[PnlRow]:
    sql, params = "SELECT * FROM trade_pnl WHERE 1", list[int]()
    if start is not None:
        sql, params = sql + " AND timestamp >= ?", [*params, start]
    if end is not None:
        sql, params = sql + " AND timestamp <= ?", [*params, end]
    return [PnlRow(*row) for row in connection.execute(sql + " ORDER BY timestamp ASC", params)]


def trade_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    """A trades row (positions 0–13, then optional 14 txIds and 15 auditLogIds)."""
    wire: dict[str, Any] = {}
    for name, value in zip(TRADE_COLUMNS, row, strict=False):
        if value is None:
            continue
        wire[name] = large_json.loads(value) if name in _JSON_COLUMNS else value
    for name, value in zip(("txIds", "auditLogIds"), row[len(TRADE_COLUMNS) :], strict=False):
        if value is not None:
            wire[name] = str(value).split(",")
    return wire


def pnl_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    return PnlRow(*row[:9]).to_wire()
