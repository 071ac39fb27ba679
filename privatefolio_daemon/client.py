"""An async client for the daemon's WebSocket RPC, in either dialect, with callbacks.

    async with await DaemonClient.connect("ws://127.0.0.1:5555", token=token) as client:
        names = await client.call("getAccountNames")
        sub = await client.call("subscribeToAccounts", lambda cause, name: print(cause, name))

Any Python callable among the params is sent as a function reference; the daemon calls it back.
The client holds it while the daemon may: a subscription's until ``unsubscribe``, an ``enqueue*``
call's ``onCompletion`` until it is called, any other call's (a progress) until the answer.
"""

import asyncio
import contextlib
import inspect
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, Literal, Self

import aiohttp
import orjson

from privatefolio_daemon.client_methods import DaemonMethods
from privatefolio_daemon.rpc.dialects import MAX_BATCH_CALLS, MAX_FRAME_BYTES

log = logging.getLogger(__name__)

Dialect = Literal["privatefolio", "jsonrpc"]


class _Undefined:
    def __repr__(self) -> str:
        return "UNDEFINED"


#: Pass this for an argument that is "not given", so the method's default applies.
UNDEFINED: Any = _Undefined()


def _as_json(value: Any) -> Any:
    """A ``Decimal`` goes as the decimal text the daemon reads amounts from (``"0.1"``)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


class RpcCallError(Exception):
    """The daemon answered a call with an error."""

    def __init__(
        self, method: str | None, code: int | None, message: str, data: Any = None
    ) -> None:
        super().__init__(message)
        self.method = method
        self.code = code
        self.message = message
        self.data = data


class DaemonClient(DaemonMethods):
    """A connection to the daemon. Every RPC method is also a typed method of the client."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        socket: aiohttp.ClientWebSocketResponse,
        dialect: Dialect,
    ) -> None:
        self._session = session
        self._socket = socket
        self.dialect = dialect
        self._ids = itertools.count()
        self._pending: dict[Any, tuple[str, asyncio.Future[Any]]] = {}
        self._functions: dict[str, Callable[..., Any]] = {}
        self._functions_of_call: dict[Any, list[str]] = {}
        self._functions_of_subscription: dict[str, list[str]] = {}
        self._one_shot: dict[str, list[str]] = {}
        """An answered ``enqueue*`` call's functions, each → all of them: the first called back
        (the task's end) forgets them all."""
        self._reader = asyncio.create_task(self._read_loop())
        self._callback_tasks: set[asyncio.Task[Any]] = set()
        #: Frames that answered no pending call, such as a parse error (it carries no id).
        self.unanswered_errors: list[Any] = []
        #: Why the daemon closed the connection, when it said.
        self._close_reason = ""

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        token: str | None = None,
        dialect: Dialect = "privatefolio",
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Self:
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=timeout))
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        try:
            socket = await session.ws_connect(
                url, headers=all_headers, max_msg_size=0, autoping=True
            )
        except BaseException:
            await session.close()
            raise
        return cls(session, socket, dialect)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._socket.closed

    @property
    def close_code(self) -> int | None:
        return self._socket.close_code

    @property
    def registered_functions(self) -> int:
        """How many Python callables the daemon may still call back."""
        return len(self._functions)

    async def wait_closed(self) -> None:
        """Return once the connection has closed, from either side."""
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._reader)

    async def close(self) -> None:
        await self._socket.close()
        await self._session.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def call(self, method: str, *params: Any) -> Any:
        """Call ``method`` with positional params and return its result."""
        request_id = next(self._ids)
        frame = self._request(request_id, method, self._encode_params(request_id, list(params)))
        return await self._send_and_wait(request_id, method, frame)

    async def call_named(self, method: str, **params: Any) -> Any:
        """Call ``method`` with params by name (JSON-RPC 2.0 only)."""
        request_id = next(self._ids)
        frame = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        return await self._send_and_wait(request_id, method, frame)

    async def notify(self, method: str, *params: Any) -> None:
        """Send a JSON-RPC 2.0 notification: no answer comes back."""
        await self._send({"jsonrpc": "2.0", "method": method, "params": list(params)})

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Send JSON-RPC 2.0 calls as one batch; each answer is a result or an ``RpcCallError``.
        A batch holds at most ``MAX_BATCH_CALLS`` calls (``ValueError`` before anything is sent)."""
        if len(calls) > MAX_BATCH_CALLS:
            raise ValueError(
                f"Could not send the batch: it holds {len(calls):,} calls, more than the "
                f"{MAX_BATCH_CALLS:,} the daemon takes in one batch"
            )
        frames, futures = [], []
        loop = asyncio.get_running_loop()
        for method, params in calls:
            request_id = next(self._ids)
            future: asyncio.Future[Any] = loop.create_future()
            self._pending[request_id] = (method, future)
            frames.append(
                {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}
            )
            futures.append(future)
        awaited = {frame["id"]: future for frame, future in zip(frames, futures, strict=True)}
        await self._send_awaited(awaited, frames, "the batch")
        return list(await asyncio.gather(*futures, return_exceptions=True))

    async def send_raw(self, text: str) -> None:
        """Send a frame as is (for tests of malformed input)."""
        await self._socket.send_str(text)

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *params: self.call(method, *params)

    # -- internals ----------------------------------------------------------------------------

    def _request(self, request_id: int, method: str, params: list[Any]) -> dict[str, Any]:
        frame: dict[str, Any] = {"id": request_id, "method": method, "params": params}
        if self.dialect == "jsonrpc":
            frame = {"jsonrpc": "2.0", **frame}
        return frame

    def _encode_params(self, request_id: int, params: list[Any]) -> list[Any]:
        encoded: list[Any] = []
        for index, value in enumerate(params):
            if value is UNDEFINED:
                encoded.append("undefined")
            elif callable(value):
                function_id = f"client_func_{request_id}_{index}"
                self._functions[function_id] = value
                self._functions_of_call.setdefault(request_id, []).append(function_id)
                encoded.append({"__isFunction": True, "functionId": function_id})
            else:
                encoded.append(value)
        return encoded

    async def _send_and_wait(self, request_id: Any, method: str, frame: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (method, future)
        try:
            await self._send_awaited({request_id: future}, frame, method)
            result = await future
        except BaseException:
            self._forget_functions(self._functions_of_call.pop(request_id, []))
            raise
        finally:
            if method == "unsubscribe":  # answered or refused, the daemon holds it no longer
                self._forget_subscription(frame)
        self._keep_functions(request_id, method, result)
        return result

    def _keep_functions(self, request_id: Any, method: str, result: Any) -> None:
        """What the daemon may still call once the call is answered: a subscription's functions
        until ``unsubscribe``, an ``enqueue*`` call's until it calls one of them (its
        ``onCompletion``, once); any other call's functions (a ``compute*``'s progress) are
        forgotten with its answer."""
        function_ids = self._functions_of_call.pop(request_id, [])
        if not function_ids:
            return
        if method.startswith("subscribe") and isinstance(result, str):
            self._functions_of_subscription[result] = function_ids
        elif method.startswith("enqueue"):
            for function_id in function_ids:
                self._one_shot[function_id] = function_ids
        else:
            self._forget_functions(function_ids)

    def _forget_subscription(self, frame: Any) -> None:
        params = frame.get("params")
        subscription = params[0] if isinstance(params, list) and params else None
        if isinstance(subscription, str):
            self._forget_functions(self._functions_of_subscription.pop(subscription, []))

    def _forget_functions(self, function_ids: list[str]) -> None:
        for function_id in function_ids:
            self._functions.pop(function_id, None)
            self._one_shot.pop(function_id, None)

    async def _send_awaited(
        self, awaited: dict[Any, asyncio.Future[Any]], frame: Any, what: str
    ) -> None:
        """Send the frame of pending calls; if it cannot be sent, they are no longer pending
        and their futures are dropped (the connection's end may have failed them meanwhile)."""
        try:
            await self._send(frame, what)
        except BaseException:
            for request_id, future in awaited.items():
                self._pending.pop(request_id, None)
                _drop(future)
            raise

    async def _send(self, frame: Any, what: str = "the notification") -> None:
        if self._socket.closed:
            raise ConnectionError(f"The connection is closed ({self._close_description()})")
        try:
            encoded = orjson.dumps(frame, default=_as_json)
        except orjson.JSONEncodeError as error:
            raise ValueError(f"Could not send {what}: {error}") from None
        if len(encoded) > MAX_FRAME_BYTES:
            raise ValueError(
                f"Could not send {what}: its frame holds {len(encoded):,} bytes, more than the "
                f"{MAX_FRAME_BYTES:,} the daemon reads; send less at once"
            )
        try:
            await self._socket.send_str(encoded.decode())
        except ConnectionError as error:
            raise ConnectionError(
                f"Could not send {what}: the connection closed while it was being sent"
            ) from error

    async def _read_loop(self) -> None:
        try:
            while True:
                message = await self._socket.receive()
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._dispatch(orjson.loads(message.data))
                elif message.type == aiohttp.WSMsgType.CLOSE:
                    self._close_reason = message.extra or ""
                    break
                elif message.type != aiohttp.WSMsgType.BINARY:  # closing, closed or an error
                    break
        finally:
            self._forget_functions(list(self._functions))  # nothing can call them back now
            self._functions_of_subscription.clear()
            error = ConnectionError(f"The connection closed ({self._close_description()})")
            for _, future in self._pending.values():
                if not future.done():
                    future.set_exception(error)
            self._pending.clear()

    def _close_description(self) -> str:
        code = f"code {self._socket.close_code}"
        return f"{code}: {self._close_reason}" if self._close_reason else code

    def _dispatch(self, payload: Any) -> None:
        if isinstance(payload, list):
            for item in payload:
                self._dispatch(item)
            return
        if payload.get("method") == "rpc.callback" and "id" not in payload:
            params = payload.get("params", {})
            self._invoke(params.get("functionId"), params.get("args", []))
            return
        if "functionId" in payload and "id" not in payload:
            self._invoke(payload["functionId"], payload.get("params", []))
            return
        pending = self._pending.pop(payload.get("id"), None)
        if pending is None:
            self.unanswered_errors.append(payload)
            return
        method, future = pending
        if future.done():
            return
        error = payload.get("error")
        if error is None:
            future.set_result(payload.get("result"))
        elif isinstance(error, dict):
            future.set_exception(
                RpcCallError(method, error.get("code"), error.get("message", ""), error.get("data"))
            )
        else:
            future.set_exception(
                RpcCallError(method, payload.get("code"), error, payload.get("data"))
            )

    def _invoke(self, function_id: Any, args: list[Any]) -> None:
        """Call back a function the daemon named. One that raises is logged: the connection and
        the other callbacks carry on."""
        function = self._functions.get(function_id)
        if function is None:
            return
        if function_id in self._one_shot:
            self._forget_functions(self._one_shot[function_id])
        try:
            result = function(*args)
        except Exception:
            log.exception("A callback the daemon called failed")
            return
        if inspect.iscoroutine(result):
            task = asyncio.ensure_future(result)
            self._callback_tasks.add(task)
            task.add_done_callback(self._callback_tasks.discard)
            task.add_done_callback(_callback_done)


def _callback_done(task: "asyncio.Task[Any]") -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("A callback the daemon called failed", exc_info=error)


def _drop(future: asyncio.Future[Any]) -> None:
    """Forget a future nobody will await, without asyncio logging its exception as unretrieved."""
    if not future.cancel() and not future.cancelled():
        future.exception()
