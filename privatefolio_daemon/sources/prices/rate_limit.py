"""A token bucket per host, so providers that share a host (Yahoo for stocks, metals and FX) share
its request budget."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    refilled_at: float
    lock: asyncio.Lock


class HostRateLimiter:
    """Allows ``rate`` requests per second to each host, with bursts of up to ``burst``.

    ``clock`` and ``sleep`` default to the monotonic clock and ``asyncio.sleep``; tests pass their
    own to check the waits without spending them.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}

    async def acquire(self, host: str) -> None:
        """Wait until ``host`` has a token, then take it. Callers are served in arrival order."""
        bucket = self._bucket(host)
        async with bucket.lock:
            self._refill(bucket)
            if bucket.tokens < 1:
                await self._sleep((1 - bucket.tokens) / self.rate)
                self._refill(bucket)
                bucket.tokens = max(bucket.tokens, 1.0)
            bucket.tokens -= 1

    def _bucket(self, host: str) -> _Bucket:
        bucket = self._buckets.get(host)
        if bucket is None:
            bucket = _Bucket(float(self.burst), self._clock(), asyncio.Lock())
            self._buckets[host] = bucket
        return bucket

    def _refill(self, bucket: _Bucket) -> None:
        now = self._clock()
        elapsed = max(0.0, now - bucket.refilled_at)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
        bucket.refilled_at = now
