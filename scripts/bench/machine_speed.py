"""How fast this machine runs Python right now, printed beside benchmark figures.

The same code on the same 2-core machine has measured up to four times slower from one day to
the next (the host's load, not ours). Each benchmark prints this figure with its own, so two
runs can be compared: a figure that doubles while this one doubles is the machine, not a change.
"""

import time
from decimal import Decimal

REFERENCE_ROUNDS = 200_000


def reference_loop_ms() -> float:
    """The best of three runs of a fixed mix of integer, Decimal and string work, in ms."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total, amount = 0, Decimal(0)
        for number in range(REFERENCE_ROUNDS):
            total += number
            amount += Decimal(number % 97)
            str(number).rstrip("0")
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine_line() -> str:
    milliseconds = reference_loop_ms()
    return f"machine: reference Python loop {milliseconds:.0f} ms (scripts/bench/machine_speed.py)"


if __name__ == "__main__":
    print(machine_line())
