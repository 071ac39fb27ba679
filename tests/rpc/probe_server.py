"""A server with probe methods, to test the protocol layer on its own over a real WebSocket."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from privatefolio_daemon.api.errors import domain_error_to_rpc
from privatefolio_daemon.domain.errors import (
    BusyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TaskCancelledError,
)
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.rpc.builtins import add_builtin_methods
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.connection import ConnectionLimits
from privatefolio_daemon.rpc.errors import Unauthorized
from privatefolio_daemon.rpc.owned_results import OwnedList
from privatefolio_daemon.rpc.registry import CallContext, MethodTable, rpc_method
from privatefolio_daemon.rpc.stats import RpcStats
from privatefolio_daemon.server.credentials import Credentials
from privatefolio_daemon.server.http_app import build_http_app
from privatefolio_daemon.server.websocket import WebSocketHub
from tests.conftest import make_config


class NotingDecimal(Decimal):
    """A decimal that notes the thread that writes it out (a connection writes decimals as
    text), in ``threads``."""

    threads: set[int]

    def __str__(self) -> str:
        self.threads.add(threading.get_ident())
        return super().__str__()


class ProbeApi:
    def __init__(self, events: EventBus) -> None:
        self.events = events
        #: The marks of the ``sleepThenMark`` and ``spinThenMark`` calls that ran to their end.
        self.marks: list[str] = []
        #: Set by the first ``spinThenMark`` call that ends.
        self.spun = asyncio.Event()
        #: ``holdSlot`` calls running now, and the most that ever ran at once.
        self.holding = 0
        self.most_holding = 0
        self.owned = OwnedList()
        self.cached = [{"n": index} for index in range(5000)]
        #: The threads on which the amounts of ``notedRecords`` were written out.
        self.encoded_on: set[int] = set()

    @rpc_method()
    async def echo(self, value: Any) -> Any:
        return value

    @rpc_method()
    async def add(self, a: int, b: int = 1) -> int:
        """Add two integers."""
        return a + b

    @rpc_method()
    async def nothing(self) -> None:
        return None

    @rpc_method(none_is_nothing=True)
    async def found(self, key: str) -> dict[str, str] | None:
        """A record or nothing, as the ``get<Record>(id)`` methods."""
        return {"key": key} if key else None

    @rpc_method()
    async def maybe(self, key: str) -> dict[str, str] | None:
        """A record or null (``getSystemInfo`` before its first refresh)."""
        return {"key": key} if key else None

    @rpc_method()
    async def unencodable(self) -> Any:
        """A result JSON cannot hold: a value of a type it does not know."""
        return {"value": object()}

    @rpc_method()
    async def records(self, count: int, unencodable_at: int = -1) -> list[Any]:
        """``count`` records, one of them not JSON if ``unencodable_at`` names it."""
        return [
            object() if index == unencodable_at else {"n": index, "amount": Decimal(index) / 4}
            for index in range(count)
        ]

    @rpc_method()
    async def notedRecords(self, count: int, shape: str) -> Any:
        """``count`` records, whose amounts note where they are written out (``encoded_on``):
        a list, or held by an object (``object``) or by an object in an object (``nested``), or
        an object of a key each (``keys``), or lists of 100 in a list (``rows``)."""
        self.encoded_on = set()
        records = [{"n": index, "amount": self._noted(index)} for index in range(count)]
        shapes = {
            "list": records,
            "object": {"lastSeq": count, "records": records},
            "nested": {"page": {"hasMore": False, "records": records}},
            "keys": {f"r{record['n']}": record for record in records},
            "rows": [records[start : start + 100] for start in range(0, count, 100)],
        }
        return shapes[shape]

    def _noted(self, value: int) -> NotingDecimal:
        noted = NotingDecimal(Decimal(value) / 4)
        noted.threads = self.encoded_on
        return noted

    @rpc_method()
    async def ownedRecords(self, count: int) -> list[Any]:
        """``count`` records in a list the connection may empty once it is sent."""
        self.owned = OwnedList({"n": index} for index in range(count))
        return self.owned

    @rpc_method()
    async def cachedRecords(self) -> list[Any]:
        """The same list at every call, as a method with a cache answers."""
        return self.cached

    @rpc_method()
    async def fail(self, kind: str) -> None:
        errors: dict[str, Exception] = {
            "not-found": NotFoundError('Account "ghost" does not exist'),
            "invalid": InvalidInputError("Amount must be positive"),
            "conflict": ConflictError(
                "Version 3 is not the latest", latest={"id": "t1", "version": 4}
            ),
            "busy": BusyError("Too many imports at once"),
            "cancelled": TaskCancelledError("Task cancelled by user."),
            "unauthorized": Unauthorized("Login or sign up to continue."),
            "internal": RuntimeError("disk on fire"),
        }
        raise errors[kind]

    @rpc_method()
    async def sleep(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "slept"

    @rpc_method()
    async def sleepThenMark(self, seconds: float, mark: str) -> None:
        await asyncio.sleep(seconds)
        self.marks.append(mark)

    @rpc_method()
    async def spinThenMark(self, milliseconds: float, mark: str) -> None:
        """Hold the event loop, as a call of CPU-bound work that never waits would."""
        deadline = time.perf_counter() + milliseconds / 1000
        while time.perf_counter() < deadline:
            pass
        self.marks.append(mark)
        self.spun.set()

    @rpc_method()
    async def holdSlot(self, seconds: float) -> None:
        self.holding += 1
        self.most_holding = max(self.most_holding, self.holding)
        await asyncio.sleep(seconds)
        self.holding -= 1

    @rpc_method()
    async def subscribeToTicks(self, ctx: CallContext, callback: RemoteFunction) -> str:
        return ctx.add_subscription(self.events.subscribe("ticks", callback), callback)

    @rpc_method()
    async def payload(self, size: int) -> str:
        return "x" * size

    @rpc_method()
    async def markedPayload(self, seconds: float, mebibytes: int, mark: str) -> list[str]:
        """``mebibytes`` texts of 1 MiB after ``seconds``. Texts no longer than that are encoded
        at once, so the answer is queued as ``mark`` is noted."""
        await asyncio.sleep(seconds)
        self.marks.append(mark)
        return ["x" * 2**20] * mebibytes

    @rpc_method()
    async def emitTicks(self, count: int, size: int = 10) -> None:
        payload = "x" * size
        for index in range(count):
            self.events.emit("ticks", index, payload)

    @rpc_method()
    async def callNow(self, callback: RemoteFunction) -> None:
        """Call back during the call, keeping nothing."""
        await callback("now")

    @rpc_method()
    async def callLater(self, ctx: CallContext, callback: RemoteFunction) -> None:
        ctx.keep_until_called(callback)
        asyncio.get_running_loop().call_later(0.01, callback, "done")


@dataclass
class ProbeServer:
    url: str
    token: str
    stats: RpcStats
    events: EventBus
    api: ProbeApi
    hub: WebSocketHub

    @asynccontextmanager
    async def socket(
        self, max_msg_size: int = 4 * 2**20, **headers: str
    ) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
        async with aiohttp.ClientSession() as session:
            all_headers = {"Authorization": f"Bearer {self.token}", **headers}
            async with session.ws_connect(
                self.url, headers=all_headers, max_msg_size=max_msg_size
            ) as ws:
                yield ws


@asynccontextmanager
async def probe_server(
    tmp_path: Path,
    *,
    dev: bool = False,
    queued_bytes: int = 128 * 2**20,
    queued_bytes_total: int = 256 * 2**20,
    batch_answer_bytes: int = 64 * 2**20,
    max_callbacks: int = 10_000,
    close_timeout_seconds: float = 5.0,
    heartbeat_seconds: float = 30.0,
) -> AsyncIterator[ProbeServer]:
    events = EventBus()
    stats = RpcStats()
    table = MethodTable()
    add_builtin_methods(table, title="probe", version="1")
    api = ProbeApi(events)
    table.add_object(api)
    config = make_config(tmp_path, dev=dev)
    credentials = Credentials(tmp_path / "auth", jwt_lifetime_days=30, password_min_length=4)
    hub = WebSocketHub(
        table,
        credentials,
        stats,
        limits=ConnectionLimits(
            max_concurrent_calls=16,
            max_queued_bytes=queued_bytes,
            max_queued_bytes_total=queued_bytes_total,
            max_batch_answer_bytes=batch_answer_bytes,
            max_callbacks=max_callbacks,
            close_timeout_seconds=close_timeout_seconds,
        ),
        dev=dev,
        map_error=domain_error_to_rpc,
        heartbeat_seconds=heartbeat_seconds,
    )
    hub.ready.set()
    runner = web.AppRunner(build_http_app(config, credentials, hub), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield ProbeServer(
            f"ws://127.0.0.1:{port}/", credentials.desktop_token(), stats, events, api, hub
        )
    finally:
        await runner.cleanup()


async def exchange(ws: aiohttp.ClientWebSocketResponse, frame: Any) -> Any:
    """Send one frame (a JSON value, or raw text) and return the next frame, decoded."""
    await ws.send_str(frame if isinstance(frame, str) else orjson.dumps(frame).decode())
    return await receive(ws)


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5) -> Any:
    message = await ws.receive(timeout=timeout)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return orjson.loads(message.data)


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Wait for ``condition`` to hold, checking it every 10 ms."""
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("The condition never held")
