"""An Etherscan-v2-compatible account API client: ``txlist``, ``txlistinternal``, ``tokentx``.

Results come in ascending block order. Pages of ``page_size`` records are read until a short page;
Etherscan never serves more than 10,000 records per query, so a full window restarts at the block
of its last record, keeping only the blocks it read whole. "Max rate limit reached" is retried with
a doubling delay. The API key travels in the query string and is never part of an error message.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter

Record = dict[str, str]
RESULT_WINDOW = 10_000
DEFAULT_PAGE_SIZE = 1_000
DEFAULT_ATTEMPTS = 6
DEFAULT_RETRY_DELAY_S = 0.25


class ExplorerClient:
    def __init__(
        self,
        url: str,
        api_key: str,
        chain_id: int,
        session: aiohttp.ClientSession,
        limiter: HostRateLimiter,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        attempts: int = DEFAULT_ATTEMPTS,
        retry_delay_s: float = DEFAULT_RETRY_DELAY_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._url = url
        self._host = urlsplit(url).netloc or url
        self._api_key = api_key
        self._chain_id = chain_id
        self._session = session
        self._limiter = limiter
        self._page_size = max(1, min(page_size, RESULT_WINDOW))
        self._attempts = attempts
        self._retry_delay_s = retry_delay_s
        self._sleep = sleep

    async def indexed_head(self, now_s: int) -> int | None:
        """The newest block the explorer has indexed (``getblocknobytime`` at ``now_s``); None
        when the explorer does not say (an error, no such action, still rate limited), whose
        lag is then left to ``confirmations``. The account calls after it report real errors."""
        params = {
            "chainid": str(self._chain_id),
            "module": "block",
            "action": "getblocknobytime",
            "timestamp": str(now_s),
            "closest": "before",
        }
        try:
            body = await self._answer(params)
        except SyncError:
            return None
        result = body.get("result")
        if str(body.get("status")) == "1" and isinstance(result, str) and result.isdigit():
            return int(result)
        return None

    async def normal_transactions(self, address: str, first: int, last: int) -> list[Record]:
        return await self._records("txlist", address, first, last)

    async def internal_transactions(self, address: str, first: int, last: int) -> list[Record]:
        return await self._records("txlistinternal", address, first, last)

    async def token_transfers(self, address: str, first: int, last: int) -> list[Record]:
        return await self._records("tokentx", address, first, last)

    async def _records(self, action: str, address: str, first: int, last: int) -> list[Record]:
        records: list[Record] = []
        start = first
        while True:
            window, complete = await self._window(action, address, start, last)
            if complete:
                return records + window
            last_block = int(window[-1]["blockNumber"])
            if last_block == start:
                raise SyncError(
                    f"Explorer {action}: more than {len(window)} records in block {start}"
                )
            records += [record for record in window if int(record["blockNumber"]) < last_block]
            start = last_block

    async def _window(
        self, action: str, address: str, start: int, last: int
    ) -> tuple[list[Record], bool]:
        """The pages of one query window, and whether it holds every record up to ``last``."""
        window: list[Record] = []
        page = 1
        while True:
            batch = await self._call(
                {
                    "chainid": str(self._chain_id),
                    "module": "account",
                    "action": action,
                    "address": address,
                    "startblock": str(start),
                    "endblock": str(last),
                    "page": str(page),
                    "offset": str(self._page_size),
                    "sort": "asc",
                }
            )
            window += batch
            if len(batch) < self._page_size:
                return window, True
            if (page + 1) * self._page_size > RESULT_WINDOW:
                return window, False
            page += 1

    async def _call(self, params: dict[str, str]) -> list[Record]:
        return self._result(await self._answer(params), params["action"])

    async def _answer(self, params: dict[str, str]) -> dict[str, Any]:
        """The body of the explorer's answer, rate limits retried with a doubling delay."""
        action = params["action"]
        for attempt in range(self._attempts):
            await self._limiter.acquire(self._host)
            body = await self._get({**params, "apikey": self._api_key}, action)
            if body is None or _is_rate_limit(body):
                if attempt + 1 < self._attempts:
                    await self._sleep(self._retry_delay_s * 2**attempt)
                continue
            return body
        raise SyncError(f"Explorer {action}: still rate limited after {self._attempts} attempts")

    async def _get(self, params: dict[str, str], action: str) -> dict[str, Any] | None:
        """The JSON body, or ``None`` for HTTP 429 (retried like a rate-limit answer)."""
        try:
            async with self._session.get(self._url, params=params) as response:
                if response.status == 429:
                    return None
                if response.status >= 400:
                    raise SyncError(f"Explorer {action}: HTTP {response.status} from {self._host}")
                body = await response.json(content_type=None)
        except aiohttp.ClientError as error:
            reason = type(error).__name__
            raise SyncError(f"Explorer {action}: {self._host} unreachable ({reason})") from None
        except TimeoutError:
            raise SyncError(f"Explorer {action}: {self._host} timed out") from None
        except ValueError:
            raise SyncError(f"Explorer {action}: {self._host} did not answer JSON") from None
        if not isinstance(body, dict):
            raise SyncError(f"Explorer {action}: unexpected answer from {self._host}")
        return body

    def _result(self, body: dict[str, Any], action: str) -> list[Record]:
        result = body.get("result")
        if str(body.get("status")) == "1" and isinstance(result, list):
            return result
        message = str(body.get("message") or "")
        if isinstance(result, list) and (not result or message.startswith("No ")):
            return []  # "No transactions found" / "No token transfers found"
        reason = self._scrub(str(result or message or "unknown error"))
        if "api key" in reason.lower() or "apikey" in reason.lower():
            raise SyncError(f"The explorer rejected the API key: {reason}")
        raise SyncError(f"Explorer {action} failed: {reason}")

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


def _is_rate_limit(body: dict[str, Any]) -> bool:
    return str(body.get("status")) == "0" and "rate limit" in str(body.get("result")).lower()
