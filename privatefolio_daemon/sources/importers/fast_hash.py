"""The 32-bit id hash (data-model §3.3) with a fast path for short ASCII text.

Same result as ``domain.hashing.string_hash``: h = Σ cᵢ·31^(n−1−i) mod 2³², so for ASCII the sum
of products against precomputed powers runs in C. Other text falls back to the reference.
"""

from operator import mul

from privatefolio_daemon.domain.hashing import string_hash

_MODULUS = 1 << 32
_MAX_FAST_LENGTH = 512
_POWERS = [pow(31, k, _MODULUS) for k in range(_MAX_FAST_LENGTH)]
_REVERSED_POWERS = {n: _POWERS[n - 1 :: -1] for n in range(1, _MAX_FAST_LENGTH)}


def fast_string_hash(text: str) -> str:
    n = len(text)
    if 0 < n < _MAX_FAST_LENGTH and text.isascii():
        return str(sum(map(mul, text.encode(), _REVERSED_POWERS[n])) % _MODULUS)
    return string_hash(text)
