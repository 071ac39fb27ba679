"""One ``AsyncWeb3`` per RPC URL, used in order with failover.

A node that fails at the transport level (connection refused, timeout, an HTTP error status such
as 429 or 503, an answer that is not JSON-RPC, or a chain id other than the expected one) is
cooled down for ``cooldown_s`` and the next URL is tried. JSON-RPC errors (a revert, a range
limit) are answers, not failures: they reach the caller unchanged. Every request first takes a
token from the per-host rate limiter.
``eth_chainId`` is cached by web3's own request cache, so each node is asked once.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter

if TYPE_CHECKING:
    from web3 import AsyncWeb3

T = TypeVar("T")
DEFAULT_COOLDOWN_S = 60.0
DEFAULT_TIMEOUT_S = 20.0


class RpcUnavailable(Exception):
    """No node answered. The message names hosts only: URLs often embed an API key."""


class _WrongChain(Exception):
    pass


@dataclass(slots=True)
class _Node:
    url: str
    host: str
    web3: "AsyncWeb3[Any] | None" = None
    cooled_until: float = 0.0


class RpcPool:
    def __init__(
        self,
        urls: Sequence[str],
        chain_id: int,
        limiter: HostRateLimiter,
        *,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("an RPC pool needs at least one URL")
        self.chain_id = chain_id
        self._nodes = [_Node(url, urlsplit(url).netloc or url) for url in urls]
        self._limiter = limiter
        self._cooldown_s = cooldown_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def run(self, operation: Callable[["AsyncWeb3[Any]"], Awaitable[T]]) -> T:
        """``operation(web3)`` on the first healthy node, failing over to the next ones."""
        from web3.exceptions import BadResponseFormat, ProviderConnectionError

        node_failures = (
            aiohttp.ClientError,
            TimeoutError,
            OSError,
            _WrongChain,
            BadResponseFormat,
            ProviderConnectionError,
        )
        failures: list[str] = []
        for node in self._in_order():
            try:
                web3 = await self._web3(node)
                await self._limiter.acquire(node.host)
                await self._check_chain(web3)
                return await operation(web3)
            except node_failures as error:
                node.cooled_until = self._clock() + self._cooldown_s
                failures.append(f"{node.host}: {_describe(error)}")
        raise RpcUnavailable("No RPC node answered (" + "; ".join(failures) + ")")

    def is_cooled_down(self, url: str) -> bool:
        return any(n.url == url and n.cooled_until > self._clock() for n in self._nodes)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        for node in self._nodes:
            node.web3 = None

    def _in_order(self) -> list[_Node]:
        """Healthy nodes in the configured order, then cooling ones, soonest-ready first."""
        now = self._clock()
        healthy = [node for node in self._nodes if node.cooled_until <= now]
        cooling = sorted(
            (node for node in self._nodes if node.cooled_until > now),
            key=lambda node: node.cooled_until,
        )
        return healthy + cooling

    async def _web3(self, node: _Node) -> "AsyncWeb3[Any]":
        if node.web3 is None:
            from web3 import AsyncHTTPProvider, AsyncWeb3

            provider = AsyncHTTPProvider(
                node.url,
                request_kwargs={"timeout": aiohttp.ClientTimeout(total=self._timeout_s)},
                exception_retry_configuration=None,  # failover is ours, not web3's retries
                cache_allowed_requests=True,
                cacheable_requests={"eth_chainId"},
                request_cache_validation_threshold=None,
            )
            await provider.cache_async_session(self._shared_session())
            node.web3 = AsyncWeb3(provider)
        return node.web3

    def _shared_session(self) -> aiohttp.ClientSession:
        """One keep-alive session for every node (web3's own closes each connection)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(raise_for_status=True)
        return self._session

    async def _check_chain(self, web3: "AsyncWeb3[Any]") -> None:
        served = int(await web3.eth.chain_id)
        if served != self.chain_id:
            raise _WrongChain(f"serves chain {served}, expected {self.chain_id}")


def _describe(error: BaseException) -> str:
    """A short reason without the URL (aiohttp puts the full URL in its messages)."""
    if isinstance(error, aiohttp.ClientResponseError):
        return f"HTTP {error.status}"
    if isinstance(error, aiohttp.ClientConnectionError | OSError):
        return "connection failed"
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    if isinstance(error, _WrongChain):
        return str(error)
    return type(error).__name__
