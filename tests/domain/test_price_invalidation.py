"""What a write of daily prices makes stale, on a migrated account database."""

import sqlite3
from collections.abc import Iterator

import pytest

from privatefolio_daemon.domain.invalidation import (
    PNL_STALE_FROM,
    PriceInvalidation,
    invalidate_for_prices,
)
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.sources.prices.base import ChartData
from privatefolio_daemon.store.daily_prices import PricesWritten, delete_prices, upsert_prices
from privatefolio_daemon.store.key_value import read_value, write_value
from tests.memory_account import account_db

D0 = 1614556800000  # 2021-03-01
DAYS = [D0 + i * DAY_MS for i in range(5)]
BTC = "ex.binance:BTC"


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    """Net worth and trades computed up to D4; an audit log on D1 only; a trade closed on D2."""
    with account_db() as connection:
        connection.execute(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, wallet) VALUES ('l1', ?, '1', 0, 'Deposit', 'ex.binance', ?, 'Spot')",
            (BTC, DAYS[1] + 1000),
        )
        connection.execute(
            "INSERT INTO trades (id, assetId, amount, balance, createdAt, closedAt, tradeNumber, "
            "tradeStatus, tradeType, cost, fees, proceeds, deposits) "
            "VALUES ('t', ?, '1', '0', ?, ?, 1, 'closed', 'Long', '[]', '[]', '[]', '[]')",
            (BTC, DAYS[1] + 1000, DAYS[2]),
        )
        write_value(connection, "networthCursor", DAYS[4])
        write_value(connection, "tradesScanCursor", DAYS[4])
        write_value(connection, "tradesCursor", DAYS[2])
        yield connection


def prices(conn: sqlite3.Connection, *values: tuple[int, float]) -> PricesWritten:
    points: list[ChartData] = [{"time": day // 1000, "value": value} for day, value in values]
    return upsert_prices(conn, BTC, "BTC/USDT", "binance", points)


def trades_left(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM trades").fetchone()[0])


def test_prices_written_report_the_first_change_and_the_days_new_to_the_asset(
    conn: sqlite3.Connection,
) -> None:
    assert prices(conn, (DAYS[0], 1), (DAYS[1], 2)) == PricesWritten(2, DAYS[0], DAYS[:2])
    assert prices(conn, (DAYS[0], 1), (DAYS[1], 2)) == PricesWritten(2, None, [])
    assert prices(conn, (DAYS[0], 1), (DAYS[1], 3), (DAYS[2], 4)) == PricesWritten(
        3, DAYS[1], [DAYS[2]]
    )


def test_a_first_price_on_a_day_with_logs_invalidates_the_trades_from_there(
    conn: sqlite3.Connection,
) -> None:
    written = prices(conn, (DAYS[0], 1), (DAYS[1], 2))

    result = invalidate_for_prices(conn, written.changed_from, written.added_days)

    assert result == PriceInvalidation({"networthCursor": DAYS[0] - DAY_MS}, ["trades"])
    assert trades_left(conn) == 0
    assert read_value(conn, "tradesCursor") == 0
    assert read_value(conn, PNL_STALE_FROM) is None  # no trade left to price again


def test_a_first_price_on_a_day_without_logs_leaves_the_trades(conn: sqlite3.Connection) -> None:
    written = prices(conn, (DAYS[3], 5))

    result = invalidate_for_prices(conn, written.changed_from, written.added_days)

    cursor = DAYS[3] - DAY_MS
    assert result == PriceInvalidation({"networthCursor": cursor, PNL_STALE_FROM: cursor})
    assert trades_left(conn) == 1
    assert read_value(conn, "tradesCursor") == DAYS[2]


def test_a_changed_price_leaves_the_trades_and_marks_their_pnl(conn: sqlite3.Connection) -> None:
    prices(conn, (DAYS[1], 2))
    written = prices(conn, (DAYS[1], 2.5))

    result = invalidate_for_prices(conn, written.changed_from, written.added_days)

    cursor = DAYS[0]
    assert result == PriceInvalidation({"networthCursor": cursor, PNL_STALE_FROM: cursor})
    assert trades_left(conn) == 1


def test_cursors_already_lower_stay(conn: sqlite3.Connection) -> None:
    write_value(conn, "networthCursor", DAYS[0])
    write_value(conn, PNL_STALE_FROM, DAYS[0])
    written = prices(conn, (DAYS[3], 5))

    assert not invalidate_for_prices(conn, written.changed_from, written.added_days)
    assert read_value(conn, "networthCursor") == DAYS[0]


def test_deleting_every_price_unprices_each_day_it_had(conn: sqlite3.Connection) -> None:
    prices(conn, (DAYS[1], 2), (DAYS[3], 4))

    deleted, days = delete_prices(conn)
    result = invalidate_for_prices(conn, min(days), days)

    assert (deleted, days) == (2, [DAYS[1], DAYS[3]])
    assert result == PriceInvalidation({"networthCursor": DAYS[0]}, ["trades"])


def test_a_change_on_days_valued_before_a_cursor_already_lower_still_asks_for_a_refresh(
    conn: sqlite3.Connection,
) -> None:
    """The cursors were lowered by an earlier change whose refreshes failed (a price of 1e308
    made them fail, in an older version): the net worth rows from before stay until a refresh
    replaces them, so a price changed on their days must still set one off."""
    conn.executemany(
        "INSERT INTO networth (timestamp, time, value, change, changePercentage) "
        "VALUES (?, ?, 1, 0, 0)",
        [(day, day // 1000) for day in DAYS],
    )
    write_value(conn, "networthCursor", DAYS[0])
    write_value(conn, PNL_STALE_FROM, DAYS[0])
    prices(conn, (DAYS[3], 5))
    written = prices(conn, (DAYS[3], 6))

    result = invalidate_for_prices(conn, written.changed_from, written.added_days)

    assert result == PriceInvalidation(networth_behind=True)
    assert result
    assert (read_value(conn, "networthCursor"), read_value(conn, PNL_STALE_FROM)) == (DAYS[0],) * 2
    assert not invalidate_for_prices(conn, DAYS[4] + DAY_MS)  # a day not valued yet


def test_a_stored_price_that_was_none_counts_as_a_first_price(conn: sqlite3.Connection) -> None:
    """``{"value": null}``, which an older version stored for a NaN: the day had no price."""
    conn.execute(
        "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        "VALUES ('x', ?, ?, '{\"time\":0,\"value\":null}', 'BTC/USDT', 'binance')",
        (BTC, DAYS[1]),
    )

    assert prices(conn, (DAYS[1], 2), (DAYS[2], 3)) == PricesWritten(2, DAYS[1], DAYS[1:3])
