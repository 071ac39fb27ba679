"""The 32-bit id hash (data-model §3.3) with a fast path for ASCII text.

Same result as ``domain.hashing.string_hash``: h = Σ cᵢ·31^(n−1−i) mod 2³², a polynomial in 31.
``int(digits, 31)`` evaluates exactly such a polynomial in C, but base-31 digits stop at 30, so
each ASCII code is split as cᵢ = 31·qᵢ + rᵢ (qᵢ ≤ 4, rᵢ ≤ 30):

    Σ cᵢ·31^(n−1−i) = Σ qᵢ·31^(n−i) + Σ rᵢ·31^(n−1−i) = int(q₀…qₙ₋₁0, 31) + int(r₀…rₙ₋₁, 31)

The digit strings come from two byte-translation tables. Other text falls back to the reference.

Ids often hash a recurring prefix and a number (``ex.binance:BTC_Buy_`` + ``0.5``). The prefix's
value is then memoised, h(p + s) = h(p)·31^len(s) + h(s), and a number is cheaper still: its
characters (``0-9 . -``) all lie in 31…61, so each is 31 + one base-31 digit and
h(s) = int(1…10, 31) + int(digits, 31), with the first term fixed by the length.
"""

from privatefolio_daemon.domain.hashing import string_hash

_MASK = (1 << 32) - 1
_MAX_FAST_LENGTH = 1024  # well below Python's 4300-digit limit on int() from text
_BASE31_DIGITS = b"0123456789abcdefghijklmnopqrstu"
_QUOTIENT_DIGITS = bytes(_BASE31_DIGITS[code // 31] for code in range(128)) + bytes(128)
_REMAINDER_DIGITS = bytes(_BASE31_DIGITS[code % 31] for code in range(128)) + bytes(128)
_NUMBER_CHARACTERS = b"-.0123456789"
_NUMBER_DIGITS = bytes.maketrans(
    _NUMBER_CHARACTERS, bytes(_BASE31_DIGITS[code - 31] for code in _NUMBER_CHARACTERS)
)
_MAX_NUMBER_LENGTH = 64
_POWERS = [31**length for length in range(_MAX_NUMBER_LENGTH + 1)]
_NUMBER_OFFSETS = [int("1" * length + "0", 31) for length in range(_MAX_NUMBER_LENGTH + 1)]
_prefix_values: dict[str, int] = {}
_PREFIX_CACHE_LIMIT = 10_000


def fast_string_hash(text: str) -> str:
    if 0 < len(text) <= _MAX_FAST_LENGTH and text.isascii():
        return str(_ascii_value(text.encode()) & _MASK)
    return string_hash(text)


def _ascii_value(encoded: bytes) -> int:
    """Σ cᵢ·31^(n−1−i), exactly (not reduced)."""
    quotients = int(encoded.translate(_QUOTIENT_DIGITS) + b"0", 31)
    return quotients + int(encoded.translate(_REMAINDER_DIGITS), 31)


def fast_number_hash(prefix: str, number: str) -> str:
    """``fast_string_hash(prefix + number)`` for a recurring prefix and a number text."""
    prefix_value = _prefix_values.get(prefix)
    if prefix_value is None:
        if not (0 < len(prefix) <= _MAX_FAST_LENGTH and prefix.isascii()):
            return fast_string_hash(prefix + number)
        if len(_prefix_values) >= _PREFIX_CACHE_LIMIT:
            _prefix_values.clear()
        prefix_value = _prefix_values[prefix] = _ascii_value(prefix.encode()) & _MASK
    length = len(number)
    encoded = number.encode()
    if length > _MAX_NUMBER_LENGTH or encoded.translate(None, _NUMBER_CHARACTERS):
        return fast_string_hash(prefix + number)
    number_value = _NUMBER_OFFSETS[length] + int(encoded.translate(_NUMBER_DIGITS) or b"0", 31)
    return str((prefix_value * _POWERS[length] + number_value) & _MASK)
