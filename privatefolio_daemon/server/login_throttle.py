"""Back-off for wrong passwords: guessing one at /api/login must be slow.

After a few wrong passwords in a row, every attempt is refused for a delay that doubles with each
further wrong password; the right password resets the count. The count is for the daemon as a
whole, not per client address: an attacker can take as many addresses as it likes on a LAN, and
the desktop token still works while logins wait.
"""

import math
import time
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int = 5,
        first_delay_seconds: float = 5.0,
        max_delay_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free_failures = free_failures
        self._first_delay = first_delay_seconds
        self._max_delay = max_delay_seconds
        self._clock = clock
        self._failures = 0
        self._blocked_until = 0.0

    @property
    def failures(self) -> int:
        """Wrong passwords in a row."""
        return self._failures

    def retry_after(self) -> int:
        """Whole seconds until the next attempt may be checked; 0 if it may be now."""
        return max(0, math.ceil(self._blocked_until - self._clock()))

    def failed(self) -> int:
        """Count a wrong password; returns the delay it starts (0: none)."""
        self._failures += 1
        beyond = self._failures - self._free_failures
        if beyond < 0:
            return 0
        delay = min(self._first_delay * 2.0 ** min(beyond, 32), self._max_delay)
        self._blocked_until = self._clock() + delay
        return math.ceil(delay)

    def succeeded(self) -> None:
        self._failures = 0
        self._blocked_until = 0.0
