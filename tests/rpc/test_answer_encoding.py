"""Large answers are encoded in parts that join into the very bytes one call gives."""

from decimal import Decimal
from typing import Any

import orjson
import pytest

from privatefolio_daemon.rpc.answer_encoding import (
    TEXT_CHARACTERS_AT_ONCE,
    encoded,
    is_large,
    to_json,
)
from privatefolio_daemon.rpc.owned_results import OwnedList

RECORDS = [{"n": index, "amount": Decimal(index) / 4, "note": "é"} for index in range(3000)]
LONG_TEXT = 'a"\\\n€😀\u2028' * (TEXT_CHARACTERS_AT_ONCE // 3)

LARGE = {
    "a long list": RECORDS,
    "lists of lists": [RECORDS[start : start + 100] for start in range(0, 3000, 100)],
    "an object of many keys": {f"r{index}": record for index, record in enumerate(RECORDS)},
    "an object holding lists": {"lastSeq": 3, "records": RECORDS, "tags": [1, 2]},
    "rows of tuples": [(index, "x" * 10, Decimal(1)) for index in range(2000)],
    "a long text": LONG_TEXT,
    "rows holding a long text": [["id", LONG_TEXT], ["other", "b"]],
    "an object holding a long text": {"text": LONG_TEXT, "small": {"a": 1}},
}
SMALL = {
    "a page of records": RECORDS[:100],
    "a short text": "x" * 1000,
    "a number": 5,
    "nothing": None,
}


@pytest.mark.parametrize("name", sorted(LARGE))
def test_a_large_answer_is_encoded_in_parts_into_the_same_bytes(name: str) -> None:
    value = LARGE[name]
    assert is_large(value)
    assert encoded(value) == orjson.dumps(value, default=to_json)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_a_small_answer_is_not_large(name: str) -> None:
    assert not is_large(SMALL[name])
    assert encoded(SMALL[name]) == orjson.dumps(SMALL[name], default=to_json)


def test_an_owned_list_is_emptied_once_encoded() -> None:
    owned = OwnedList(dict(record) for record in RECORDS)
    expected = orjson.dumps(RECORDS, default=to_json)
    assert encoded(owned) == expected
    assert owned == []


def test_a_value_orjson_cannot_encode_fails_as_one_call_would() -> None:
    value: list[Any] = [*RECORDS, object()]
    with pytest.raises(orjson.JSONEncodeError):
        encoded(value)
