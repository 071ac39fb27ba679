"""Decimal strings: ``to_fixed`` is big.js ``toFixed()`` with the minimal digits."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privatefolio_daemon.domain import decimals


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1.50", "1.5"),
        ("6E-7", "0.0000006"),
        ("0.0000001", "0.0000001"),
        ("1E+2", "100"),
        ("100", "100"),
        ("-0.000", "0"),
        ("-0", "0"),
        ("0E-12", "0"),
        ("-12.340", "-12.34"),
        ("10.0", "10"),
        ("123456789012345678901.00000000000010", "123456789012345678901.0000000000001"),
    ],
)  # fmt: skip
def test_to_fixed_writes_plain_notation_with_minimal_digits(value: str, text: str) -> None:
    assert decimals.to_fixed(Decimal(value)) == text


AMOUNTS = st.decimals(allow_nan=False, allow_infinity=False).filter(
    lambda value: len(value.as_tuple().digits) <= 80  # the reference rounds beyond 80 digits
)


@given(AMOUNTS)
def test_to_fixed_equals_the_normalised_plain_format(value: Decimal) -> None:
    expected = "0" if value.is_zero() else format(value.normalize(decimals._CONTEXT), "f")
    assert decimals.to_fixed(value) == expected
