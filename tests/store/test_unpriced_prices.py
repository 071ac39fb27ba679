"""The stored prices that are none, found through the partial index ``daily_prices_unpriced``
(schema 0019), so that a fetch finds them without reading a long history."""

import sqlite3

import pytest

from privatefolio_daemon.store.daily_prices import delete_unpriced, stored_spans

DAY_MS = 86_400_000


def store(connection: sqlite3.Connection, day: int, price: str | None) -> None:
    connection.execute(
        "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        "VALUES (?, 'a', ?, ?, 'A', 'yahoo')",
        (f"a_{day}", day, price),
    )


@pytest.mark.parametrize(
    ("value", "is_none"),
    [
        ("5", False),
        ("0.000001", False),
        ("1e-70", False),  # in range: the index lists it, the check lets it be
        ("null", True),
        ("0", True),
        ("-2.5", True),
        ("1e308", True),
        ('"7"', True),
    ],
)
def test_a_price_that_is_none_is_found_and_deleted(
    ledger: sqlite3.Connection, value: str, is_none: bool
) -> None:
    store(ledger, DAY_MS, '{"time":0,"value":1}')
    store(ledger, 3 * DAY_MS, f'{{"time":259200,"value":{value}}}')

    spans = stored_spans(ledger, 31)

    assert spans["a"].unpriced_from == (3 * DAY_MS if is_none else None)
    assert delete_unpriced(ledger, "a", 0, 4 * DAY_MS) == (1 if is_none else 0)
    remaining = ledger.execute("SELECT timestamp FROM daily_prices ORDER BY 1").fetchall()
    assert remaining == ([(DAY_MS,)] if is_none else [(DAY_MS,), (3 * DAY_MS,)])


def test_a_row_that_is_no_json_has_no_value_or_no_price_is_none(
    ledger: sqlite3.Connection,
) -> None:
    store(ledger, DAY_MS, "not json")
    store(ledger, 2 * DAY_MS, '{"time":172800}')
    store(ledger, 5 * DAY_MS, None)
    store(ledger, 6 * DAY_MS, '{"time":518400,"value":2}')

    assert stored_spans(ledger, 1)["a"].unpriced_from == DAY_MS
    assert delete_unpriced(ledger, "a", 2 * DAY_MS, 5 * DAY_MS) == 2
    assert stored_spans(ledger, 1)["a"].unpriced_from == DAY_MS
    assert delete_unpriced(ledger, "a", 0, 6 * DAY_MS) == 1
    assert stored_spans(ledger, 1)["a"].unpriced_from is None


def test_finding_and_deleting_them_reads_the_partial_index_only(
    ledger: sqlite3.Connection,
) -> None:
    statements: list[str] = []
    ledger.set_trace_callback(statements.append)
    stored_spans(ledger, 31)
    delete_unpriced(ledger, "a", 0, DAY_MS)
    ledger.set_trace_callback(None)

    searches = [sql for sql in statements if "json_valid" in sql]
    plans = [
        " ".join(str(row[3]) for row in ledger.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in searches
    ]
    assert len(plans) == 2
    assert all("USING INDEX daily_prices_unpriced" in plan for plan in plans), plans
