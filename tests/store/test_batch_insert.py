"""Batch inserts that write shared values as literals store exactly what binding every value
stores: same values, same storage classes, same replacement of repeated keys."""

import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privatefolio_daemon.store.batch_insert import insert_or_replace, sql_literal

COLUMNS = ("id", "label", "amount", "note", "extra")


def table() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute(
        "CREATE TABLE ledger (id VARCHAR NOT NULL UNIQUE, label VARCHAR, amount INTEGER, "
        "note VARCHAR, extra)"
    )
    return connection


def stored(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return connection.execute(
        "SELECT rowid, id, label, typeof(label), amount, typeof(amount), note, typeof(note), "
        "extra, typeof(extra) FROM ledger ORDER BY rowid"
    ).fetchall()


def bound_one_by_one(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    connection = table()
    connection.executemany("INSERT OR REPLACE INTO ledger VALUES (?, ?, ?, ?, ?)", rows)
    return stored(connection)


def inserted_in_a_batch(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    connection = table()
    insert_or_replace(connection, "ledger", COLUMNS, rows)
    return stored(connection)


def test_shared_values_with_quotes_and_nulls_are_stored_as_given() -> None:
    rows = [
        (f"id{n}", "it's \"quoted\"", 7, None, "ünïcode ✓", ) for n in range(20)
    ]  # fmt: skip
    assert inserted_in_a_batch(rows) == bound_one_by_one(rows)
    assert inserted_in_a_batch(rows)[0] == (
        1, "id0", "it's \"quoted\"", "text", 7, "integer", None, "null", "ünïcode ✓", "text",
    )  # fmt: skip


def test_an_injection_attempt_in_a_shared_value_is_only_text() -> None:
    evil = "x'); DROP TABLE ledger; --"
    rows = [(f"id{n}", evil, 1, evil, None) for n in range(10)]
    assert inserted_in_a_batch(rows) == bound_one_by_one(rows)


def test_placeholders_and_braces_in_a_shared_value_are_only_text() -> None:
    rows = [(f"id{n}", "what? {values}", n, "?, ?", "{}") for n in range(2000)]
    assert inserted_in_a_batch(rows) == bound_one_by_one(rows)


def test_rows_identical_in_every_column_replace_each_other() -> None:
    rows = [("same", "a", 1, None, "x")] * 12
    assert (
        inserted_in_a_batch(rows)
        == bound_one_by_one(rows)
        == [(12, "same", "a", "text", 1, "integer", None, "null", "x", "text")]
    )


def test_values_that_are_not_safe_literals_are_bound() -> None:
    assert sql_literal("a\x00b") is None
    assert sql_literal("line\nbreak") is None
    assert sql_literal("\ud800") is None
    assert sql_literal(1.5) is None
    assert sql_literal(True) is None
    assert sql_literal(b"bytes") is None
    assert sql_literal("x" * 256) == f"'{'x' * 256}'"
    assert sql_literal("x" * 257) is None, "each row of a statement would repeat it"
    assert sql_literal(-3) == "-3"
    assert sql_literal("o'k") == "'o''k'"
    rows = [(f"id{n}", "a\x00b", 1.5, "line\nbreak", b"\x01") for n in range(10)]
    assert inserted_in_a_batch(rows) == bound_one_by_one(rows)


def test_equal_numbers_of_other_types_are_not_merged_into_one_literal() -> None:
    rows = [(f"id{n}", None, 0, None, 0.0 if n % 2 else 0) for n in range(10)]
    assert inserted_in_a_batch(rows) == bound_one_by_one(rows)
    assert {row[-1] for row in inserted_in_a_batch(rows)} == {"integer", "real"}


def test_a_repeated_key_keeps_the_last_row_as_with_binding() -> None:
    rows = [("same", "a", n, None, None) for n in range(10)] + [("other", "a", 1, None, None)]
    assert inserted_in_a_batch(rows) == bound_one_by_one(rows)
    assert [row[1:5:3] for row in inserted_in_a_batch(rows)] == [("same", 9), ("other", 1)]


VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["'", "''", "0", "1", "NULL", "x'); --"]),
)


@settings(max_examples=150, deadline=None)
@given(
    shared=st.lists(VALUES, min_size=4, max_size=4),
    varying=st.lists(st.booleans(), min_size=4, max_size=4),
    count=st.integers(min_value=1, max_value=30),
    data=st.data(),
)
def test_any_batch_stores_what_binding_every_value_stores(
    shared: list[Any], varying: list[bool], count: int, data: st.DataObject
) -> None:
    def row() -> tuple[Any, ...]:
        pairs = zip(shared, varying, strict=True)
        values = [data.draw(VALUES) if varies else value for value, varies in pairs]
        return (f"id{data.draw(st.integers(0, 40))}", *values)

    rows = [row() for _ in range(count)]
    assert inserted_in_a_batch(rows) == bound_one_by_one(rows)


@pytest.mark.parametrize("count", [0, 1, 7, 8, 9])
def test_batches_around_the_trimming_threshold(count: int) -> None:
    rows = [(f"id{n}", "same", n, None, "same") for n in range(count)]
    assert inserted_in_a_batch(rows) == bound_one_by_one(rows)
