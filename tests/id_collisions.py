"""Texts whose 32-bit id hashes (data-model §3.3) collide, found by a birthday search."""

import random
import string

from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash

CANDIDATES = 1 << 17


def colliding_endings(prefix_a: str, prefix_b: str) -> tuple[str, str]:
    """``(a, b)`` with ``hash(prefix_a + a) == hash(prefix_b + b)``: 2^17 random endings of the
    first, then random endings of the second until one meets them (about 2^15 tries)."""
    rng = random.Random(0)

    def ending() -> str:
        return "".join(rng.choices(string.ascii_letters, k=8))

    seen = {
        fast_string_hash(prefix_a + text): text for text in (ending() for _ in range(CANDIDATES))
    }
    while True:
        text = ending()
        found = seen.get(fast_string_hash(prefix_b + text))
        if found is not None and found != text:
            return found, text
