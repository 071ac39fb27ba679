"""Exact decimal arithmetic with the string forms the Privatefolio data uses.

Amounts travel and rest as decimal strings. The original formats them with big.js, so the two
string forms here mirror its ``toFixed()`` (plain notation) and ``toString()`` (exponent notation
for very small or very large magnitudes), and division keeps 20 places rounded half-up.
"""

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation

from privatefolio_daemon.domain.errors import shortened

MAX_DIGITS = 80
"""The most digits an amount may have before the point, and after it. 2**256 has 78, and any
sum of such amounts is exact in the 200-digit context the balance pass adds with."""

EXACT_DIGITS = 5 * MAX_DIGITS
"""Digits that keep sums and products of amounts in range exact, as big.js's are: a product
has at most 4 × 80, and a sum of products a few more."""

_CONTEXT = Context(prec=EXACT_DIGITS, rounding=ROUND_HALF_UP)
_DIVISION = Context(prec=200, rounding=ROUND_DOWN)
_PRODUCT = Context(prec=4 * MAX_DIGITS + 1)
_DIVISION_QUANTUM = Decimal("1e-20")
_SMALLEST_PLACE = Decimal(1).scaleb(-MAX_DIGITS)
_ZERO = Decimal(0)

RANGE_REASON = f"at most {MAX_DIGITS} digits before and after the point"
SEPARATORS_REASON = "write it with a point before the decimals and no thousands separators"
DIGITS_REASON = "write it with the digits 0-9"
MINUS_REASON = "write its minus sign as a hyphen (-)"
#: Digits with a comma, a space, an apostrophe or an underscore between them: ``0,5``,
#: ``1.234,56``, ``1 000``, ``1_000`` (and the no-break spaces some locales group digits with).
_SEPARATORS = ",' _\u00a0\u202f"
_LOCALE_NUMBER = re.compile(rf"[+-]?\d+(?:[.{_SEPARATORS}]\d+)*")


class InvalidAmount(ValueError):
    """Raised when a text is not a decimal number, or one out of range."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


def parse(text: str | int | Decimal) -> Decimal:
    """Parse a decimal string (plain or exponent notation) exactly; it must be in range."""
    if isinstance(text, Decimal):
        return text
    number = text.strip() if isinstance(text, str) else text
    if isinstance(number, str) and ("_" in number or not number.isascii()):  # as big.js
        raise InvalidAmount(f"Invalid number: {shown(text)}", _reason_of(text))
    try:
        value = Decimal(number)
    except (InvalidOperation, ValueError) as error:
        raise InvalidAmount(f"Invalid number: {shown(text)}", _reason_of(text)) from error
    if not value.is_finite():
        raise InvalidAmount(f"Invalid number: {shown(text)}")
    raw = text if isinstance(text, str) else str(text)
    if (len(raw) > MAX_DIGITS or "e" in raw or "E" in raw) and not in_range(value):
        raise InvalidAmount(f"Number out of range: {shown(text)} ({RANGE_REASON})", RANGE_REASON)
    return value


def _reason_of(text: object) -> str:
    """Why a number's text was refused, where it is a likely slip: a decimal comma or thousands
    separators, digits of another script (which Python would read, and big.js refuses), or the
    typographic minus sign a spreadsheet or a web page may write."""
    if not isinstance(text, str):
        return ""
    stripped = text.strip()
    if any(mark in stripped for mark in _SEPARATORS) and _LOCALE_NUMBER.fullmatch(stripped):
        return SEPARATORS_REASON
    if any(character.isdigit() and not character.isascii() for character in stripped):
        return DIGITS_REASON
    if stripped.startswith("\u2212"):
        return MINUS_REASON
    return ""


def in_range(value: Decimal) -> bool:
    """Whether ``value`` has at most ``MAX_DIGITS`` digits before and after the point."""
    if value.is_zero():
        return True
    if value.adjusted() >= MAX_DIGITS:
        return False
    digits, exponent = value.as_tuple()[1:]
    assert isinstance(exponent, int)
    trailing_zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))
    return exponent + trailing_zeros >= -MAX_DIGITS


def shown(text: object) -> str:
    """``repr`` of a number's text for a message, cut short."""
    return repr(shortened(str(text)))


def add(a: Decimal, b: Decimal) -> Decimal:
    return _CONTEXT.add(a, b)


def subtract(a: Decimal, b: Decimal) -> Decimal:
    return _CONTEXT.subtract(a, b)


def multiply(a: Decimal, b: Decimal) -> Decimal:
    """``a × b``, rounded half-up to ``MAX_DIGITS`` places when it has more: what is stored
    stays an amount in range (a product of two amounts can have twice their places)."""
    product = _CONTEXT.multiply(a, b)
    exponent = product.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DIGITS:
        return product.quantize(_SMALLEST_PLACE, ROUND_HALF_UP, context=_CONTEXT)
    return product


def exact_product(a: Decimal, b: Decimal) -> Decimal:
    """``a × b`` with every digit (amounts in range have at most 320); a product out of range
    is refused, as an amount of that size would be."""
    product = _PRODUCT.multiply(a, b)
    if not in_range(product):
        raise InvalidAmount(
            f"Number out of range: {shown(to_fixed(product))} ({RANGE_REASON})", RANGE_REASON
        )
    return product


def divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Divide keeping 20 decimal places, rounding half-up, as big.js does.

    The quotient is cut (not rounded) after enough places for the half-up step to see its
    21st place as it is; for amounts in range, that holds whatever their magnitudes.
    """
    quotient = _DIVISION.divide(numerator, denominator)
    return quotient.quantize(_DIVISION_QUANTUM, ROUND_HALF_UP, context=_DIVISION)


def to_fixed(value: Decimal) -> str:
    """Plain notation with the minimal digits: ``1.50`` → ``1.5``, ``6E-7`` → ``0.0000006``."""
    text = str(value)  # plain notation unless the exponent is positive or the value tiny
    if "E" in text:
        return "0" if value.is_zero() else format(value.normalize(_CONTEXT), "f")
    if "." in text:
        text = text.rstrip("0")
        if text[-1] == ".":
            text = text[:-1]
    return "0" if text == "-0" else text


def to_string(value: Decimal) -> str:
    """Exponent notation when the exponent is ≤ −7 or ≥ 21, otherwise plain notation."""
    if value.is_zero():
        return "0"
    normal = value.normalize(_CONTEXT)
    sign, digits, exponent = normal.as_tuple()
    assert isinstance(exponent, int)
    scientific_exponent = len(digits) - 1 + exponent
    if -7 < scientific_exponent < 21:
        return format(normal, "f")
    mantissa = "".join(map(str, digits))
    if len(mantissa) > 1:
        mantissa = f"{mantissa[0]}.{mantissa[1:]}"
    exponent_text = (
        f"+{scientific_exponent}" if scientific_exponent >= 0 else str(scientific_exponent)
    )
    return f"{'-' if sign else ''}{mantissa}e{exponent_text}"


def plain(text: str) -> str:
    """Normalise a decimal string to plain notation (``6.0E-7`` → ``0.0000006``)."""
    return to_fixed(parse(text))


def is_zero(value: Decimal) -> bool:
    return value == _ZERO
