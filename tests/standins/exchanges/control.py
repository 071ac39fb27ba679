"""What every fake exchange shares: a request log, injected faults, and the URL rewrite for ccxt.

A test registers state on a stand-in, serves its ``app()`` with ``serve_in_thread`` and points a
real ccxt client at it with ``point_ccxt_at(exchange, base_url)``. The stand-in runs in another
thread, so everything here that the test touches is guarded by a lock.
"""

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ThrottleBody = Callable[[], tuple[int, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: str
    headers: dict[str, str]


@dataclass(slots=True)
class _Fault:
    remaining: int
    status: int
    retry_after: int | None = None
    raw_body: str | None = None
    content_type: str = "application/json"
    path: str | None = None

    def applies_to(self, path: str) -> bool:
        return self.remaining > 0 and self.path in (None, path)


@dataclass(frozen=True, slots=True)
class Hold:
    """Requests wait at the stand-in until ``released`` is set; ``arrived`` is set by the first."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


@dataclass
class ExchangeControl:
    """The switches a test flips on a stand-in, and what the stand-in saw."""

    throttle_body: ThrottleBody
    requests: list[RecordedRequest] = field(default_factory=list)
    delay_seconds: float = 0.0
    hold: Hold | None = None
    """While set, every request waits for its release (a sync caught between two steps)."""
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_429(self, times: int, retry_after: int | None = 1) -> None:
        """The next ``times`` requests get 429 with the exchange's rate-limit body."""
        with self._lock:
            self._faults.append(_Fault(times, 429, retry_after))

    def answer_status(self, times: int, status: int) -> None:
        """The next ``times`` requests get a bare ``status`` (e.g. 503) with an HTML body."""
        with self._lock:
            self._faults.append(_Fault(times, status))

    def answer_raw(
        self,
        times: int,
        body: str,
        status: int = 200,
        *,
        content_type: str = "application/json",
        path: str | None = None,
    ) -> None:
        """The next ``times`` requests (to ``path`` only, when given) get ``body`` verbatim as
        ``content_type`` (malformed JSON, say)."""
        with self._lock:
            self._faults.append(
                _Fault(times, status, raw_body=body, content_type=content_type, path=path)
            )

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            self._faults = [fault for fault in self._faults if fault.remaining > 0]
            fault = next((fault for fault in self._faults if fault.applies_to(path)), None)
            if fault is not None:
                fault.remaining -= 1
            return fault

    def middleware(self) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
        @web.middleware
        async def control(request: web.Request, handler: Handler) -> web.StreamResponse:
            body = await request.text()
            self._record(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    query=dict(request.query),
                    body=body,
                    headers=dict(request.headers),
                )
            )
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            hold = self.hold
            if hold is not None:
                hold.arrived.set()
                await asyncio.get_running_loop().run_in_executor(None, hold.released.wait, 30)
            fault = self._take_fault(request.path)
            if fault is not None:
                return self._fault_response(fault)
            return await handler(request)

        return control

    def _fault_response(self, fault: _Fault) -> web.Response:
        if fault.raw_body is not None:
            return web.Response(
                status=fault.status, text=fault.raw_body, content_type=fault.content_type
            )
        if fault.status != 429:
            return web.Response(status=fault.status, text="<html>Service Unavailable</html>")
        status, payload = self.throttle_body()
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        response = json_body(payload, status=status)
        response.headers.update(headers)
        return response


def json_body(payload: Any, status: int = 200) -> web.Response:
    """A JSON response serialised compactly, as the exchanges send it."""
    text = json.dumps(payload, separators=(",", ":"))
    return web.Response(text=text, status=status, content_type="application/json")


def rewrite_api_urls(urls: Any, base_url: str) -> Any:
    """Every URL in ccxt's ``urls['api']`` (nested dicts or strings) moved to ``base_url``.

    The path part is kept, so ``https://api.binance.com/sapi/v1`` becomes ``<base>/sapi/v1`` and
    one stand-in can serve every endpoint family.
    """
    if isinstance(urls, dict):
        return {key: rewrite_api_urls(value, base_url) for key, value in urls.items()}
    if isinstance(urls, str) and urls.startswith(("http://", "https://")):
        return base_url.rstrip("/") + urlsplit(urls).path.rstrip("/")
    return urls


def point_ccxt_at(exchange: Any, base_url: str) -> None:
    """Send every endpoint family of a ccxt client to the stand-in at ``base_url``."""
    exchange.urls["api"] = rewrite_api_urls(exchange.urls["api"], base_url)


def unreachable_url() -> str:
    """A loopback URL on which nothing listens (the port was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
