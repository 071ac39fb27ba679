"""Decimal strings: ``to_fixed`` is big.js ``toFixed()`` with the minimal digits."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
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


@pytest.mark.parametrize(
    "text",
    ["1e79", "-" + "9" * 80, f"0.{'0' * 79}1", "1e-80", "1.5" + "0" * 200, "0e-99999"],
)
def test_amounts_in_range_are_read(text: str) -> None:
    assert decimals.parse(text) == Decimal(text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("1e80", "'1e80'"),
        ("1" + "0" * 80, f"'1{'0' * 39}…'"),
        (f"0.{'0' * 80}1", f"'0.{'0' * 38}…'"),
        ("1e-81", "'1e-81'"),
        ("-1E+400", "'-1E+400'"),
        ("1e-1000000", "'1e-1000000'"),
    ],
)
def test_amounts_out_of_range_are_refused_with_the_reason(text: str, shown: str) -> None:
    with pytest.raises(decimals.InvalidAmount) as raised:
        decimals.parse(text)
    assert str(raised.value) == (
        f"Number out of range: {shown} (at most 80 digits before and after the point)"
    )
    assert raised.value.reason == "at most 80 digits before and after the point"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1_000", "write it with a point before the decimals and no thousands separators"),
        ("1\u00a0000,50", "write it with a point before the decimals and no thousands separators"),
        ("0,5", "write it with a point before the decimals and no thousands separators"),
        ("\u0661\u0662", "write it with the digits 0-9"),  # Arabic-Indic digits: Python reads 12
        ("\uff15", "write it with the digits 0-9"),  # a fullwidth 5
        ("\u22125", "write its minus sign as a hyphen (-)"),
        ("1.2.3", ""),
        ("NaN", ""),
    ],
)
def test_what_big_js_refuses_is_refused_with_the_likely_slip(text: str, reason: str) -> None:
    with pytest.raises(decimals.InvalidAmount) as raised:
        decimals.parse(text)
    assert str(raised.value) == f"Invalid number: {text!r}"
    assert raised.value.reason == reason


@pytest.mark.parametrize(("text", "value"), [(" 1.5 ", "1.5"), ("1.5\u00a0", "1.5"), ("+2", "2")])
def test_surrounding_spaces_and_a_plus_sign_are_read(text: str, value: str) -> None:
    assert decimals.parse(text) == Decimal(value)


amounts_in_range = st.builds(
    lambda mantissa, exponent: Decimal(mantissa).scaleb(exponent),
    st.integers(-(10**40), 10**40),
    st.integers(-80, 40),
).filter(decimals.in_range)


@example(Decimal("1e70"), Decimal("1e-6"))
@given(amounts_in_range, amounts_in_range.filter(lambda value: not value.is_zero()))
def test_division_rounds_the_exact_quotient_half_up_at_20_places(
    numerator: Decimal, denominator: Decimal
) -> None:
    exact = Fraction(numerator) / Fraction(denominator)
    scaled = abs(exact) * 10**20
    rounded = math.floor(scaled + Fraction(1, 2))
    expected = Fraction(rounded if exact >= 0 else -rounded, 10**20)
    assert Fraction(decimals.divide(numerator, denominator)) == expected


def test_a_product_keeps_every_digit_up_to_the_places_an_amount_may_have() -> None:
    """Exact, as big.js's; past 80 places (an amount of 60 places times a price of 30) it is
    rounded half-up to 80, so that it reads back as an amount in range."""
    assert decimals.multiply(
        Decimal("123456789012345678901234567890.5"), Decimal("1.1")
    ) == Decimal("135802467913580246791358024679.55")
    product = decimals.multiply(Decimal("0." + "1" * 60), Decimal("1." + "3" * 30))
    assert product == Decimal(
        "0.1481481481481481481481481481481" + "1" * 28 + "096296296296296296296"
    )
    assert decimals.parse(decimals.to_string(product)) == product
