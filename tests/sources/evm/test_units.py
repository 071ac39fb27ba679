"""Base units as whole-unit amounts."""

import pytest

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.sources.evm.units import units_text


@pytest.mark.parametrize(
    ("raw", "places", "text"),
    [
        (1500, 3, "1.5"),
        ("1000000000000000000", 18, "1"),
        (2**256 - 1, 0, str(2**256 - 1)),
        (123, 80, f"0.{'0' * 77}123"),
        (123, 81, f"0.{'0' * 78}12"),
        (2**256 - 1, 255, "0"),
    ],
)
def test_amounts_are_exact_and_fit_the_amount_range(raw: int | str, places: int, text: str) -> None:
    assert units_text(raw, places) == text
    assert decimals.parse(text) is not None
