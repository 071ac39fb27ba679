"""Rows are made records on a thread by their size in bytes, not their count: a single trade
whose lists hold 50,000 transactions is parsed off the event loop, and a long list an item at a
time, to the very values one parse gives."""

import threading
from typing import Any

import orjson

import privatefolio_daemon.large_json as large_json
from privatefolio_daemon.api.client_queries import map_rows
from privatefolio_daemon.store.database import Row
from privatefolio_daemon.store.trades import trade_to_wire

FEES = [["chain.ethereum:ETH", "-0.0001", "-0.3", f"0x{n:064x}", n] for n in range(50_000)]
TRADE = ("1", 1, "chain.ethereum:ETH", "1", "1", 0, None, None, "open", "Long", "[]")
ROW = (*TRADE, orjson.dumps(FEES).decode(), "[]", "[]")


async def test_one_row_of_many_bytes_is_mapped_on_a_thread_and_a_few_small_rows_on_the_loop() -> (
    None
):
    threads: list[str] = []

    def to_wire(row: Row) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return trade_to_wire(row)

    loop_thread = threading.current_thread().name
    assert await map_rows([ROW], to_wire, None) == [trade_to_wire(ROW)]
    small = (*TRADE, "[]", "[]", "[]")
    assert await map_rows([small, small], to_wire, None) == [trade_to_wire(small)] * 2
    assert [name == loop_thread for name in threads] == [False, True, True]


def test_a_long_list_parsed_an_item_at_a_time_is_what_one_parse_gives() -> None:
    tricky = [["x],[y", '"]', "\\", 1.5, -2e-7, None, True, {"a": [1]}], [], [[]]] * 20_000
    for value in (FEES, tricky):
        text = orjson.dumps(value).decode()
        assert len(text) >= large_json.CHARACTERS_AT_ONCE
        assert large_json.loads(text) == orjson.loads(text) == value
    assert large_json.loads("[]") == []
