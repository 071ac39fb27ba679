"""Amount columns: validation and the two big.js string forms, with a fast path for plain text.

Most CSV amounts are plain decimals (``-0.49603680``); dropping their trailing fraction zeros
already gives both big.js forms. Anything else (exponents, odd signs, zero, tiny or huge
magnitudes) goes through the exact ``Decimal`` helpers.
"""

import re
from decimal import ROUND_HALF_UP, Context, Decimal

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.errors import shortened
from privatefolio_daemon.sources.importers.base import ImportFormatError

_CONTEXT = Context(prec=decimals.EXACT_DIGITS, rounding=ROUND_HALF_UP)
#: Why a minus sign is refused in a column the importer negates itself (:func:`magnitude`).
SIGNED_MAGNITUDE_REASON = (
    "write it without a minus sign: the import itself makes the amounts going out negative"
)
# A non-zero plain number without leading zeros whose magnitude big.js's ``toString`` prints
# in plain notation (1e-6 <= |x| < 1e21), with at most 80 places after the point.
_PLAIN_NUMBER = re.compile(r"-?(?:[1-9]\d{0,20}(?:\.\d{0,80})?|0\.0{0,5}[1-9]\d{0,74})", re.ASCII)


def invalid_number(text: str, column: str, reason: str = "") -> ImportFormatError:
    shown = shortened(text)
    detail = f" ({reason})" if reason else ""
    return ImportFormatError(
        f'Invalid number in column "{column}": "{shown}"{detail}', column=column
    )


def parse_amount(text: str, column: str) -> Decimal:
    """The exact value of an amount column (plain or exponent notation), in range."""
    try:
        return decimals.parse(text)
    except decimals.InvalidAmount as error:
        raise invalid_number(text, column, error.reason) from None


def trimmed(text: str, column: str) -> str:
    """An amount column's text as stored: checked, its surrounding spaces and a leading ``+``
    dropped. Any other text stays as written (``400.00``, ``1E-7``), and so do the ids made of
    it."""
    parse_amount(text, column)
    return text.strip().removeprefix("+")


def magnitude(text: str, column: str) -> str:
    """:func:`trimmed` for a column whose amount the importer makes negative where it goes out
    (an outgoing amount, a fee). A minus sign is refused: negated, the amount would come in."""
    value = trimmed(text, column)
    if value.startswith("-"):
        raise invalid_number(text, column, SIGNED_MAGNITUDE_REASON)
    return value


def fixed_and_string(text: str, column: str) -> tuple[str, str]:
    """``(toFixed(), toString())`` of an amount text, as big.js prints them.

    A plain number big.js prints without exponent is both, once its trailing fraction zeros
    (and a bare ``.``) are dropped.
    """
    if _PLAIN_NUMBER.fullmatch(text) is not None:
        if "." in text:
            text = text.rstrip("0").removesuffix(".")
        return text, text
    return fixed_and_string_exact(text, column)


def fixed_and_string_exact(text: str, column: str) -> tuple[str, str]:
    """:func:`fixed_and_string` through ``Decimal`` only (the reference for tests)."""
    value = parse_amount(text, column)
    return decimals.to_fixed(value), decimals.to_string(value)


def string_of_fixed(fixed_text: str) -> str:
    """``toString()`` of a ``toFixed()`` text: the same text unless |x| < 1e-6 or |x| >= 1e21."""
    unsigned = fixed_text.removeprefix("-")
    if unsigned.startswith("0.000000") or len(unsigned.partition(".")[0]) > 21:
        return decimals.to_string(Decimal(fixed_text))
    return fixed_text


def string_of_fixed_exact(fixed_text: str) -> str:
    """:func:`string_of_fixed` through ``Decimal`` only (the reference for tests)."""
    return decimals.to_string(decimals.parse(fixed_text))


def fixed(text: str, column: str) -> str:
    """``toFixed()`` of an amount text (plain notation, minimal digits)."""
    return fixed_and_string(text, column)[0]


def negate(plain_text: str) -> str:
    """Flip the sign of a normalised plain amount."""
    if plain_text == "0":
        return plain_text
    return plain_text[1:] if plain_text.startswith("-") else f"-{plain_text}"


def spent(amount: str) -> str:
    """The change of an unsigned amount going out, written as the column wrote it: ``-<amount>``,
    or ``0`` for a zero (``0``, ``0.00``), never a ``-0`` that a balance would keep."""
    if amount[:1] in ("0", ".") and decimals.is_zero(Decimal(amount)):
        return "0"
    return f"-{amount}"


def price_text(outgoing: Decimal, incoming: Decimal) -> str | None:
    """``outgoing ÷ incoming`` in big.js ``toString()`` form, or None when incoming is zero."""
    if incoming.is_zero():
        return None
    return big_string(decimals.divide(outgoing, incoming))


def big_string(value: Decimal) -> str:
    """``decimals.to_string``, reading the exponent with ``adjusted()`` in the plain case."""
    if value.is_zero():
        return "0"
    normal = value.normalize(_CONTEXT)
    if -7 < normal.adjusted() < 21:
        return format(normal, "f")
    return decimals.to_string(value)
