"""Exact decimal arithmetic with the string forms the Privatefolio data uses.

Amounts travel and rest as decimal strings. The original formats them with big.js, so the two
string forms here mirror its ``toFixed()`` (plain notation) and ``toString()`` (exponent notation
for very small or very large magnitudes), and division keeps 20 places rounded half-up.
"""

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

_CONTEXT = Context(prec=80, rounding=ROUND_HALF_UP)
_DIVISION_QUANTUM = Decimal("1e-20")
_ZERO = Decimal(0)


class InvalidAmount(ValueError):
    """Raised when a text is not a decimal number."""


def parse(text: str | int | Decimal) -> Decimal:
    """Parse a decimal string (plain or exponent notation) exactly."""
    if isinstance(text, Decimal):
        return text
    try:
        value = Decimal(text.strip() if isinstance(text, str) else text)
    except (InvalidOperation, ValueError) as error:
        raise InvalidAmount(f"Invalid number: {text!r}") from error
    if not value.is_finite():
        raise InvalidAmount(f"Invalid number: {text!r}")
    return value


def add(a: Decimal, b: Decimal) -> Decimal:
    return _CONTEXT.add(a, b)


def multiply(a: Decimal, b: Decimal) -> Decimal:
    return _CONTEXT.multiply(a, b)


def divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Divide keeping 20 decimal places, rounding half-up."""
    quotient = _CONTEXT.divide(numerator, denominator)
    return quotient.quantize(_DIVISION_QUANTUM, ROUND_HALF_UP, context=_CONTEXT)


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
