"""What the exchange-account tests share: a source pointed at a stand-in, and what it opened."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from privatefolio_daemon.sources.connection_source import ConnectionSpec
from privatefolio_daemon.sources.exchanges.account_source import ExchangeAccountSource

FAST_RETRIES = (0.01, 0.01, 0.01)


def fast_throttle(exchange: Any) -> None:
    """Keep ccxt's rate limiter on, but let it refill a token per millisecond."""
    exchange.throttler.config["refillRate"] = 1.0


@dataclass
class Harness:
    """An ``ExchangeAccountSource`` whose ccxt clients go to ``point(exchange)``'s stand-in."""

    exchange_id: str
    point: Callable[[Any], None]
    opened: list[Any] = field(default_factory=list)
    progress: list[tuple[float | None, str | None]] = field(default_factory=list)

    def source(self, **options: Any) -> ExchangeAccountSource:
        options.setdefault("retry_delays", FAST_RETRIES)
        return ExchangeAccountSource(self.exchange_id, configure=self._configure, **options)

    def spec(self, key: str, secret: str, connection_id: str = "conn-1") -> ConnectionSpec:
        return ConnectionSpec(
            id=connection_id,
            extension_id=f"{self.exchange_id}-connection",
            platform_id=f"ex.{self.exchange_id}",
            api_key=key,
            api_secret=secret,
        )

    async def report(self, percent: float | None, message: str | None) -> None:
        self.progress.append((percent, message))

    def all_closed(self) -> bool:
        """Every ccxt client the source opened released its aiohttp session and connector."""
        return bool(self.opened) and all(
            exchange.session is None and exchange.tcp_connector is None for exchange in self.opened
        )

    def _configure(self, exchange: Any) -> None:
        self.point(exchange)
        fast_throttle(exchange)
        self.opened.append(exchange)
