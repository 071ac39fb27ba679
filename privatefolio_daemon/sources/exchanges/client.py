"""One authenticated ccxt session for one sync: built lazily, throttled, retried, always closed.

ccxt is imported here on first use (importing it costs about 2 s, which start-up must not pay).
The client asks ccxt for amounts as strings (``exchange.number = str``), so unified trades,
transfers and balances carry the exchange's decimal text instead of floats.

ccxt signs each private request locally before sending it, decoding the secret as the exchange
wants it (base64 for Kraken, a PEM private key for Coinbase). A secret that does not decode fails
there with a plain ``ValueError``, which would otherwise read as an unreadable response; the
client wraps ``sign`` so that such a failure is reported as a malformed secret.

An answer whose body is not JSON (a proxy's HTML page, a cut-off body, an empty one) comes back
from ccxt's ``fetch`` as plain text, and ccxt's parsers read that as "no records": a sync would
step past records it never saw. The client wraps ``fetch`` so that such an answer is a
``BadResponse`` ("sent a response that could not be read") instead.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.exchanges.errors import (
    exchange_text,
    is_retryable,
    malformed_secret_error,
    sync_error,
)
from privatefolio_daemon.sources.exchanges.profiles import ExchangeProfile, profile_for
from privatefolio_daemon.sources.prices.ccxt_ohlcv import spot_only_options

Configure = Callable[[Any], None]

MAX_RETRY_AFTER_SECONDS = 30.0
DEFAULT_RETRY_DELAYS = (1.0, 2.0, 4.0)

# ccxt logs every request and response at DEBUG, headers included, and the headers carry the API
# key. Its lines go to this logger, which drops DEBUG whatever the root level is.
_WIRE_LOGGER = logging.getLogger("privatefolio_daemon.sources.exchanges.ccxt")
_WIRE_LOGGER.setLevel(logging.INFO)
_LOG = logging.getLogger(__name__)


class _SigningFailed(Exception):
    """ccxt's ``sign`` raised something other than a ccxt error: the secret does not decode."""

    def __init__(self, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.error = error


class ExchangeClient:
    """``async with ExchangeClient(...) as client``: markets loaded once, session closed on exit."""

    def __init__(
        self,
        exchange_id: str,
        *,
        api_key: str,
        api_secret: str,
        password: str | None = None,
        configure: Configure | None = None,
        timeout_ms: int = 10_000,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
    ) -> None:
        self.profile: ExchangeProfile = profile_for(exchange_id)
        self._credentials = {"apiKey": api_key, "secret": api_secret, "password": password}
        self._secrets = (api_key, api_secret, password)
        self._configure = configure
        self._timeout_ms = timeout_ms
        self._retry_delays = retry_delays
        self._max_retry_after = max_retry_after
        self._semaphore = asyncio.Semaphore(self.profile.concurrency)
        self._exchange: Any = None
        self.markets: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return self.profile.display_name

    @property
    def exchange(self) -> Any:
        """The ccxt exchange object (for the calls and paging helpers)."""
        if self._exchange is None:
            raise RuntimeError("ExchangeClient used outside its 'async with' block")
        return self._exchange

    async def __aenter__(self) -> Self:
        self._exchange = self._build()
        try:
            self.markets = await self.call("load_markets")
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        exchange, self._exchange = self._exchange, None
        if exchange is not None:
            # Shielded: a cancelled sync still releases the aiohttp session and connector.
            await asyncio.shield(exchange.close())

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``exchange.<method>(*args, **kwargs)``, throttled, retried, failures as ``SyncError``."""
        import ccxt.async_support as ccxt_async

        attempts = len(self._retry_delays) + 1
        for attempt in range(attempts):
            try:
                async with self._semaphore:
                    return await getattr(self.exchange, method)(*args, **kwargs)
            except _SigningFailed as failed:
                self._log_failure(method, failed.error, attempt + 1)
                raise malformed_secret_error(self.name, self.profile.secret_format) from None
            except ccxt_async.BaseError as error:
                self._log_failure(method, error, attempt + 1)
                if not is_retryable(error) or attempt == attempts - 1:
                    raise self._failure(error, attempt + 1) from None
            except (TypeError, ValueError, KeyError, IndexError) as error:
                self._log_failure(method, error, attempt + 1)
                raise self._failure(ccxt_async.BadResponse(str(error)), attempt + 1) from None
            await asyncio.sleep(self.retry_delay(attempt))
        raise AssertionError("unreachable")

    def retry_delay(self, attempt: int) -> float:
        """The backoff for this attempt, or the server's ``Retry-After`` when it asks for longer."""
        headers = getattr(self._exchange, "last_response_headers", None) or {}
        retry_after = {str(k).lower(): v for k, v in headers.items()}.get("retry-after", "")
        delay = self._retry_delays[attempt]
        try:
            return max(delay, min(float(retry_after), self._max_retry_after))
        except (TypeError, ValueError):
            return delay

    def _log_failure(self, method: str, error: BaseException, attempt: int) -> None:
        _LOG.info(
            "%s %s failed (attempt %d): %s: %s",
            self.name,
            method,
            attempt,
            type(error).__name__,
            exchange_text(error, self._secrets),
        )

    def _failure(self, error: BaseException, attempts: int) -> SyncError:
        # ``from None`` above: ccxt's exception text (kept as __context__ otherwise) can quote
        # request details; the SyncError message is the whole story, and it is redacted.
        return sync_error(
            error, self.name, secrets=self._secrets, attempts=attempts, timeout_ms=self._timeout_ms
        )

    def _build(self) -> Any:
        import ccxt.async_support as ccxt_async

        exchange_class = getattr(ccxt_async, self.profile.exchange_id, None)
        if exchange_class is None or self.profile.exchange_id not in ccxt_async.exchanges:
            raise SyncError(f"Unknown exchange: {self.profile.exchange_id}")
        config = {key: value for key, value in self._credentials.items() if value is not None}
        exchange = exchange_class(
            {
                **config,
                "enableRateLimit": True,
                "timeout": self._timeout_ms,
                "logger": _WIRE_LOGGER,
            }
        )
        if exchange.requiredCredentials.get("password") and not self._credentials["password"]:
            raise SyncError(f"The {exchange.name} connection needs the API key's passphrase.")
        exchange.number = str
        exchange.options.update(spot_only_options(self.profile.exchange_id))
        exchange.options.update(self.profile.ccxt_options)
        if self._configure is not None:
            self._configure(exchange)
        exchange.sign = _checked_sign(exchange.sign)
        exchange.fetch = _checked_fetch(exchange.fetch)
        return exchange


def _checked_sign(sign: Callable[..., Any]) -> Callable[..., Any]:
    """``sign`` with its non-ccxt failures (a secret that does not decode) as ``_SigningFailed``.
    ccxt's own errors (a missing credential, say) pass through as they are."""
    import ccxt.async_support as ccxt_async

    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return sign(*args, **kwargs)
        except ccxt_async.BaseError:
            raise
        except Exception as error:
            raise _SigningFailed(error) from None

    return checked


def _checked_fetch(fetch: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``fetch`` raising ccxt's ``BadResponse`` for an answer that is not JSON."""
    import ccxt.async_support as ccxt_async

    async def checked(*args: Any, **kwargs: Any) -> Any:
        response = await fetch(*args, **kwargs)
        if not _is_json(response):
            raise ccxt_async.BadResponse("the answer is not JSON")
        return response

    return checked


def _is_json(response: Any) -> bool:
    """ccxt hands on parsed JSON as a dict or list, and anything else as text or bytes."""
    if isinstance(response, dict | list):
        return True
    if not isinstance(response, str | bytes) or not response.strip():
        return False
    try:
        json.loads(response)
    except ValueError:
        return False
    return True
