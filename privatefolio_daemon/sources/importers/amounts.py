"""Amount columns: validation and the two big.js string forms, with a fast path for plain text.

Most CSV amounts are plain decimals (``-0.49603680``); those are normalised by string surgery.
Anything else (exponents, odd signs) goes through the exact ``Decimal`` helpers.
"""

import re
from decimal import ROUND_HALF_UP, Context, Decimal

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.sources.importers.base import ImportFormatError

_CONTEXT = Context(prec=80, rounding=ROUND_HALF_UP)
_QUANTUM = Decimal("1e-20")
_PLAIN = re.compile(r"(-?)(\d+)(?:\.(\d+))?", re.ASCII)


def invalid_number(text: str, column: str) -> ImportFormatError:
    return ImportFormatError(f'Invalid number in column "{column}": "{text}"', column=column)


def parse_amount(text: str, column: str) -> Decimal:
    """The exact value of an amount column (plain or exponent notation)."""
    try:
        return decimals.parse(text)
    except decimals.InvalidAmount:
        raise invalid_number(text, column) from None


def fixed_and_string(text: str, column: str) -> tuple[str, str]:
    """``(toFixed(), toString())`` of an amount text, as big.js prints them."""
    match = _PLAIN.fullmatch(text)
    if match is not None:
        sign, whole, fraction = match.groups()
        whole = whole.lstrip("0") or "0"
        fraction = (fraction or "").rstrip("0")
        if whole == "0" and not fraction:
            return "0", "0"
        if len(whole) < 22 and (whole != "0" or not fraction.startswith("000000")):
            fixed = f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"
            return fixed, fixed
    value = parse_amount(text, column)
    return decimals.to_fixed(value), decimals.to_string(value)


def fixed(text: str, column: str) -> str:
    """``toFixed()`` of an amount text (plain notation, minimal digits)."""
    return fixed_and_string(text, column)[0]


def negate(plain_text: str) -> str:
    """Flip the sign of a normalised plain amount."""
    if plain_text == "0":
        return plain_text
    return plain_text[1:] if plain_text.startswith("-") else f"-{plain_text}"


def divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    """big.js division: 20 decimal places, half-up.

    Same as ``domain.decimals.divide`` except that the rounding step also runs in the 80-digit
    context; the shared helper quantizes in the default 28-digit context and raises
    ``InvalidOperation`` for quotients with more than 8 integer digits.
    """
    return _CONTEXT.divide(numerator, denominator).quantize(
        _QUANTUM, ROUND_HALF_UP, context=_CONTEXT
    )


def price_text(outgoing: Decimal, incoming: Decimal) -> str | None:
    """``outgoing ÷ incoming`` in big.js ``toString()`` form, or None when incoming is zero."""
    if incoming.is_zero():
        return None
    return decimals.to_string(divide(outgoing, incoming))
