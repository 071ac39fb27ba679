"""One ``AsyncWeb3`` per RPC URL, used in order with failover, and retried with backoff.

A node fails when it cannot be reached, times out, answers an HTTP error status (429, 503…),
answers something that is not JSON-RPC (an HTML page, JSON without ``result`` or ``error``, a
result of the wrong shape such as a ``null`` or non-hex block number), answers ``eth_chainId`` or
``eth_blockNumber`` with a JSON-RPC error, or serves another chain. A failed node is cooled down
for ``cooldown_s`` and the next URL is tried. Other JSON-RPC errors (a revert, a range limit) are
answers, not failures: they reach the caller unchanged.

When every node failed and at least one failure may pass (429, 5xx, no connection, a timeout),
the whole round is tried again, up to ``attempts`` rounds, after ``retry_delay_s`` doubled at each
round, or the longest ``Retry-After`` a node asked for, capped at ``max_retry_after_s``. Then
``RpcUnavailable`` names each host and what it answered. Every request first takes a token from
the per-host rate limiter. ``eth_chainId`` is cached by web3's own request cache, so each node is
asked once.
"""

import asyncio
import functools
import json
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter

if TYPE_CHECKING:
    from web3 import AsyncHTTPProvider, AsyncWeb3

T = TypeVar("T")
DEFAULT_COOLDOWN_S = 60.0
DEFAULT_TIMEOUT_S = 20.0
DEFAULT_ATTEMPTS = 4
DEFAULT_RETRY_DELAY_S = 0.5
DEFAULT_MAX_RETRY_AFTER_S = 30.0
_QUOTED_LENGTH = 40
_HEX_QUANTITY = re.compile(r"0x[0-9a-fA-F]+")
_HEX_DATA = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
#: Methods that cannot fail on a healthy node: a JSON-RPC error from them is the node's failure.
_HEALTH_METHODS = frozenset({"eth_chainId", "eth_blockNumber"})


class RpcUnavailable(Exception):
    """No node answered. The message names hosts only: URLs often embed an API key."""


class _WrongChain(Exception):
    pass


class _BadAnswer(Exception):
    """The node answered something a healthy node does not; the message says what."""


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
        attempts: int = DEFAULT_ATTEMPTS,
        retry_delay_s: float = DEFAULT_RETRY_DELAY_S,
        max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not urls:
            raise ValueError("an RPC pool needs at least one URL")
        self.chain_id = chain_id
        self._nodes = [_Node(url, urlsplit(url).netloc or url) for url in urls]
        self._limiter = limiter
        self._cooldown_s = cooldown_s
        self._timeout_s = timeout_s
        self._attempts = max(1, attempts)
        self._retry_delay_s = retry_delay_s
        self._max_retry_after_s = max_retry_after_s
        self._clock = clock
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    async def run(self, operation: Callable[["AsyncWeb3[Any]"], Awaitable[T]]) -> T:
        """``operation(web3)`` on the first healthy node, failing over to the next ones, in
        rounds retried while a failure may pass."""
        from web3.exceptions import BadResponseFormat, ProviderConnectionError

        node_failures = (
            aiohttp.ClientError,
            TimeoutError,
            OSError,
            _WrongChain,
            _BadAnswer,
            BadResponseFormat,
            ProviderConnectionError,
        )
        for attempt in range(self._attempts):
            failures: list[str] = []
            transient, asked_wait = False, 0.0
            for node in self._in_order():
                try:
                    web3 = await self._web3(node)
                    await self._limiter.acquire(node.host)
                    await self._check_chain(web3)
                    return await operation(web3)
                except node_failures as error:
                    node.cooled_until = self._clock() + self._cooldown_s
                    if isinstance(error, _BadAnswer | _WrongChain):
                        node.web3 = None  # web3 may have cached the bad eth_chainId answer
                    failures.append(f"{node.host}: {_describe(error)}")
                    transient = transient or _is_transient(error)
                    asked_wait = max(asked_wait, _retry_after(error))
            if not transient or attempt + 1 == self._attempts:
                break
            delay = max(self._retry_delay_s * 2**attempt, asked_wait)
            await self._sleep(min(delay, self._max_retry_after_s))
        rounds = f" in {attempt + 1} attempts" if attempt else ""
        raise RpcUnavailable(f"No RPC node answered{rounds} (" + "; ".join(failures) + ")")

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
            from web3 import AsyncWeb3

            provider = _checked_provider_class()(
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


def rpc_error_text(error: BaseException) -> str:
    """A JSON-RPC error as ``JSON-RPC error -32000: <message>`` (web3's text is a dict's repr)."""
    response = getattr(error, "rpc_response", None)
    details = response.get("error") if isinstance(response, dict) else None
    if details is None:
        return str(getattr(error, "message", None) or error)
    return _error_text(details)


def _error_text(details: Any) -> str:
    if not isinstance(details, dict):
        return f"JSON-RPC error {_quoted(details)}"
    code, message = details.get("code"), str(details.get("message") or "no message")
    return f"JSON-RPC error {code}: {message}" if isinstance(code, int) else message


def _describe(error: BaseException) -> str:
    """A short reason without the URL (aiohttp puts the full URL in its messages)."""
    if isinstance(error, aiohttp.ClientResponseError):
        return f"HTTP {error.status}"
    # First: TimeoutError is an OSError (asyncio's is the same class since Python 3.11), and
    # aiohttp's ServerTimeoutError is a ClientConnectionError too.
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    if isinstance(error, aiohttp.ClientConnectionError | OSError):
        return "connection failed"
    if isinstance(error, _WrongChain | _BadAnswer):
        return str(error)
    return type(error).__name__


def _is_transient(error: BaseException) -> bool:
    """Whether the same node may well answer if asked again a little later."""
    if isinstance(error, aiohttp.ClientResponseError):
        return error.status == 429 or error.status >= 500
    from web3.exceptions import ProviderConnectionError

    transient = aiohttp.ClientConnectionError, OSError, TimeoutError, ProviderConnectionError
    return isinstance(error, transient)


def _retry_after(error: BaseException) -> float:
    """The seconds a ``Retry-After`` header asks to wait (0 without one)."""
    headers = getattr(error, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 0.0


def _quoted(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= _QUOTED_LENGTH else f"{text[:_QUOTED_LENGTH]}…"


def _checked_answer(method: str, response: Any) -> None:
    """Raise ``_BadAnswer`` unless ``response`` is a JSON-RPC answer a healthy node gives."""
    if not isinstance(response, dict) or not ("result" in response or "error" in response):
        raise _BadAnswer(f"answered {method} with JSON that is not JSON-RPC")
    if "error" in response:
        if method in _HEALTH_METHODS:
            raise _BadAnswer(f"answered {method} with {_error_text(response['error'])}")
        return
    result = response["result"]
    if method in ("eth_chainId", "eth_blockNumber", "eth_getBalance"):
        valid = isinstance(result, str) and _HEX_QUANTITY.fullmatch(result) is not None
    elif method == "eth_call":
        valid = isinstance(result, str) and _HEX_DATA.fullmatch(result) is not None
    elif method == "eth_getLogs":
        valid = isinstance(result, list)
    elif method == "eth_getBlockByNumber":
        valid = isinstance(result, dict)
    else:
        valid = True
    if not valid:
        raise _BadAnswer(f"answered {method} with {_quoted(result)}")


@functools.cache
def _checked_provider_class() -> "type[AsyncHTTPProvider]":
    """``AsyncHTTPProvider`` that turns answers a healthy node never gives into ``_BadAnswer``
    (web3 imported on first use: it loads slowly)."""
    from web3 import AsyncHTTPProvider

    class CheckedProvider(AsyncHTTPProvider):
        @staticmethod
        def decode_rpc_response(raw_response: bytes) -> Any:
            try:
                return json.loads(raw_response)  # not orjson: it refuses integers over 64 bits
            except ValueError:
                start = raw_response.lstrip()[:1]
                kind = "an HTML page" if start == b"<" else "something that is not JSON"
                raise _BadAnswer(f"answered {kind}") from None

        async def make_request(self, method: Any, params: Any) -> Any:
            response = await super().make_request(method, params)
            _checked_answer(str(method), response)
            return response

        async def make_batch_request(self, batch_requests: list[tuple[Any, Any]]) -> Any:
            responses = await super().make_batch_request(batch_requests)
            if isinstance(responses, list):
                for (method, _), response in zip(batch_requests, responses, strict=False):
                    _checked_answer(str(method), response)
                if len(responses) != len(batch_requests):
                    raise _BadAnswer("answered a batch with a different number of answers")
            return responses

    return CheckedProvider
