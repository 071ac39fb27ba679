"""How price providers fetch JSON over HTTP: a per-host rate limit, a timeout, bounded retries on
429 and 5xx, and failures turned into ``PriceFetchError`` with a reason a user can act on."""

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from privatefolio_daemon.sources.prices.base import PriceFetchError, ProviderUnreachable
from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter

ErrorDetail = Callable[[Any], str | None]
"""Reads a provider's JSON error body (e.g. Yahoo's ``chart.error``) into a short message."""

USER_AGENT = "Mozilla/5.0 (compatible; privatefolio-daemon/0.1)"
_RETRYABLE = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    timeout_s: float = 10.0
    max_retries: int = 3
    backoff_base_s: float = 0.5
    max_backoff_s: float = 30.0


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    body: bytes
    retry_after: str | None


class JsonFetcher:
    """Fetches JSON for one provider; ``sleep`` waits between retries (tests pass a recorder)."""

    def __init__(
        self,
        provider_name: str,
        *,
        policy: FetchPolicy | None = None,
        limiter: HostRateLimiter | None = None,
        headers: Mapping[str, str] | None = None,
        error_detail: ErrorDetail | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.provider_name = provider_name
        self.policy = policy or FetchPolicy()
        self._limiter = limiter
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self._error_detail = error_detail
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    async def get_json(
        self, url: str, *, asset_id: str, params: Mapping[str, str] | None = None
    ) -> Any:
        return await self._fetch("GET", url, asset_id, params=params)

    async def post_form(
        self,
        url: str,
        *,
        asset_id: str,
        form: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return await self._fetch("POST", url, asset_id, form=form, headers=headers)

    def malformed(self, asset_id: str, what: str) -> PriceFetchError:
        """The error for a body whose shape is wrong, for providers to raise."""
        return PriceFetchError(self.provider_name, asset_id, f"malformed response: {what}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch(
        self,
        method: str,
        url: str,
        asset_id: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        host = urlsplit(url).netloc
        retries = 0
        while True:
            if self._limiter is not None:
                await self._limiter.acquire(host)
            reply = await self._send(method, url, asset_id, params, form, headers)
            if reply.status in _RETRYABLE and retries < self.policy.max_retries:
                await self._sleep(self._retry_delay(retries, reply.retry_after))
                retries += 1
                continue
            if reply.status >= 400:
                raise PriceFetchError(
                    self.provider_name, asset_id, self._status_reason(reply, retries)
                )
            return self._parse(reply.body, asset_id)

    async def _send(
        self,
        method: str,
        url: str,
        asset_id: str,
        params: Mapping[str, str] | None,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> _Reply:
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_s)
        try:
            async with self._client().request(
                method, url, params=params, data=form, headers=headers, timeout=timeout
            ) as response:
                body = await response.read()
                return _Reply(response.status, body, response.headers.get("Retry-After"))
        except TimeoutError:
            reason = f"timed out after {self.policy.timeout_s:g} s"
            raise PriceFetchError(self.provider_name, asset_id, reason) from None
        except aiohttp.ClientConnectorError as error:
            reason = f"cannot connect: {error}"
            raise ProviderUnreachable(self.provider_name, asset_id, reason) from error
        except aiohttp.ClientError as error:
            reason = f"request failed: {error}"
            raise PriceFetchError(self.provider_name, asset_id, reason) from error

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers)
        return self._session

    def _retry_delay(self, retries: int, retry_after: str | None) -> float:
        asked = _parse_retry_after(retry_after)
        if asked is None:
            asked = self.policy.backoff_base_s * 2**retries
        return min(max(asked, 0.0), self.policy.max_backoff_s)

    def _status_reason(self, reply: _Reply, retries: int) -> str:
        reason = f"HTTP {reply.status}"
        detail = self._detail(reply.body)
        if detail:
            reason = f"{reason}: {detail}"
        if retries:
            reason = f"{reason} (still failing after {retries} retries)"
        return reason

    def _detail(self, body: bytes) -> str | None:
        if self._error_detail is None:
            return None
        try:
            return self._error_detail(orjson.loads(body))
        except (orjson.JSONDecodeError, LookupError, TypeError, AttributeError):
            return None

    def _parse(self, body: bytes, asset_id: str) -> Any:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            snippet = body[:40].decode("utf-8", errors="replace")
            raise self.malformed(asset_id, f"not JSON: {snippet!r}") from None


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header, given as seconds or as an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime.now(UTC)).total_seconds()
