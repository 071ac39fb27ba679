"""One live RPC connection: it reads frames, runs calls concurrently up to a bound, and owns
every callback and subscription its client registered, releasing them all when it closes.

Outgoing frames go through a bounded queue drained by one writer task. A client that cannot keep
up fills the queue and is closed with 1013; nobody else waits for it. What the queues of every
connection hold together is bounded too (``OutputBudget``). The frame being written has left the
queue: a large one a client is reading makes no frame behind it count as over a limit; and one
frame over the limit may wait, counting toward none. A paced callback (``paced``) waits instead
while the queue holds more than a little, so that a replay goes at the client's pace.
"""

import asyncio
import contextlib
import logging
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from privatefolio_daemon.answer_memory import (
    ANSWER,
    AnswerClaim,
    AnswerDropped,
    AnswerMemory,
    ClientAnswers,
)
from privatefolio_daemon.rpc.answer_encoding import encoded, is_large, to_json
from privatefolio_daemon.rpc.callbacks import (
    RemoteCallback,
    check_function_id,
    is_function_reference,
    too_many_callbacks,
)
from privatefolio_daemon.rpc.dialects import (
    MAX_BATCH_CALLS,
    Dialect,
    absent,
    callback_frame,
    error_frame,
    result_frame,
)
from privatefolio_daemon.rpc.errors import (
    INTERNAL_ERROR,
    Busy,
    InvalidRequest,
    MethodNotFound,
    ParseError,
    RpcError,
    Unauthorized,
)
from privatefolio_daemon.rpc.guest_access import GUEST_REFUSAL, GuestAccess
from privatefolio_daemon.rpc.log_cuts import CutTracebacks
from privatefolio_daemon.rpc.lone_surrogates import (
    is_lone_surrogate_error,
    loads_replacing_lone_surrogates,
)
from privatefolio_daemon.rpc.output_budget import OutputBudget
from privatefolio_daemon.rpc.registry import Method, MethodTable
from privatefolio_daemon.rpc.request_ids import request_id_problem
from privatefolio_daemon.rpc.stats import RpcStats

log = logging.getLogger(__name__)
log.addFilter(CutTracebacks())

CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_POLICY_VIOLATION = 1008
ACCESS_ENDED = "Access without login has ended (kiosk mode was turned off)"
CLOSE_GOING_AWAY = 1001
TOO_SLOW = "Client too slow to keep up"

ErrorMapper = Callable[[BaseException], RpcError | None]


class FrameTransport(Protocol):
    async def send_text(self, frame: bytes) -> None: ...

    async def close(self, code: int, message: str) -> None: ...

    def abort(self) -> None:
        """Drop the connection at once, with whatever it has not sent yet."""
        ...


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    #: Frames of one connection handled at once; also its batched calls that run at once.
    max_concurrent_calls: int = 64
    #: What the frames waiting for a client may hold, each counted with ``FRAME_OVERHEAD``
    #: (one frame may hold more on its own).
    max_queued_bytes: int = 128 * 2**20
    #: What the frames waiting for all the connections that share an ``OutputBudget`` may hold.
    max_queued_bytes_total: int = 256 * 2**20
    max_batch_calls: int = MAX_BATCH_CALLS
    #: Once a batch's answers hold this much, its calls not yet run are answered "busy" (calls
    #: already running still answer).
    max_batch_answer_bytes: int = 64 * 2**20
    #: A paced callback waits while the frames waiting for the client hold more than this.
    pace_queued_bytes: int = 8 * 2**20
    #: How long a close may take before the connection is dropped (a client that does not read
    #: never takes the close frame, which waits behind what it has not read).
    close_timeout_seconds: float = 5.0
    #: Function references one connection holds at once: its subscriptions' callbacks, those
    #: still to be called once (a task's ``onCompletion``) and those of the calls it runs.
    max_callbacks: int = 10_000


@dataclass(slots=True)
class _Subscription:
    unsubscribe: Callable[[], None]
    callbacks: tuple[RemoteCallback, ...]


#: What a queued frame costs besides its bytes (the queue entry, the bytes object), so that a
#: burst of small frames (an event fanned out to many callbacks) is measured by what it holds.
FRAME_OVERHEAD = 256

#: A batch whose answers hold more than this is put together on a thread.
BATCH_ENCODED_OFF_THE_LOOP_BYTES = 2**20

#: An answer frame, encoded.
_Answer = bytes
#: A frame to write: its bytes, whether it is a callback's (sent unasked), what it counts toward
#: the limits (nothing, for a frame over them) and the claim its answer holds of the daemon's
#: budget for answers.
_Outgoing = tuple[bytes, bool, int, AnswerClaim | None]


class _UndefinedMarker:
    """Never equal to any JSON value: JSON-RPC 2.0 has no "undefined" argument."""


_NEVER = _UndefinedMarker()


class RpcConnection:
    def __init__(
        self,
        table: MethodTable,
        transport: FrameTransport,
        *,
        stats: RpcStats,
        limits: ConnectionLimits | None = None,
        dev: bool = False,
        map_error: ErrorMapper | None = None,
        guest: GuestAccess | None = None,
        still_allowed: Callable[[], Awaitable[bool]] | None = None,
        budget: OutputBudget | None = None,
        large_answer_sent: Callable[[], None] | None = None,
        answer_memory: AnswerMemory | None = None,
    ) -> None:
        self._table = table
        #: Its answers in the budget shared with the daemon's other connections: each
        #: message's answer holds a claim on it from its large reads until its frame is written
        #: (``answer_memory``).
        self._answers = None if answer_memory is None else ClientAnswers(answer_memory)
        #: Told of each large answer encoded (``is_large``): the daemon trims its heap after.
        self._large_answer_sent = large_answer_sent
        #: What this connection may call, a guest's; None: anything.
        self._guest = guest
        #: Asked before each message of a connection whose access may end (a guest's), and
        #: before each callback frame sent to it: access that ends stops the pushes at once.
        self._still_allowed = still_allowed
        self._transport = transport
        self._stats = stats
        self._limits = limits or ConnectionLimits()
        self._dev = dev
        self._map_error = map_error
        self._outbox: asyncio.Queue[_Outgoing] = asyncio.Queue()
        #: What the frames in ``_outbox`` count; the frame being written counts no more.
        self._queued_bytes = 0
        #: Whether a frame over the limit waits in ``_outbox``: a second one may not.
        self._oversized_waits = False
        #: Set while ``_queued_bytes`` is at most the pace and no frame over the limit waits,
        #: or once the connection closes.
        self._within_pace = asyncio.Event()
        self._within_pace.set()
        #: Shared with the daemon's other connections.
        self._budget = budget or OutputBudget(self._limits.max_queued_bytes_total)
        self._slots = asyncio.Semaphore(self._limits.max_concurrent_calls)
        #: Shared by the calls of every batch of the connection (each batch's frame holds one
        #: of ``_slots``, so its calls could not take those without waiting on each other).
        self._batched_slots = asyncio.Semaphore(self._limits.max_concurrent_calls)
        self._calls: set[asyncio.Task[None]] = set()
        self._callbacks: set[RemoteCallback] = set()
        self._subscriptions: dict[str, _Subscription] = {}
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._closing = False
        self.close_code: int | None = None

    @property
    def dev(self) -> bool:
        return self._dev

    @property
    def queued_bytes(self) -> int:
        return self._queued_bytes

    async def serve(self, frames: AsyncIterator[bytes | str]) -> None:
        """Handle incoming text frames until the client goes away, then release everything."""
        self._stats.connections += 1
        self._budget.join(self)
        self._writer = asyncio.create_task(self._write_loop())
        try:
            async for text in frames:
                if self._closing:
                    break
                await self._slots.acquire()
                task = asyncio.create_task(self._handle_text(text))
                self._calls.add(task)
                task.add_done_callback(self._call_done)
        finally:
            await self._release()

    async def drain(self, grace_seconds: float) -> None:
        """Let in-flight calls finish for up to ``grace_seconds``, then cancel the rest."""
        if self._calls:
            _, pending = await asyncio.wait(set(self._calls), timeout=grace_seconds)
            for task in pending:
                task.cancel()

    # -- callbacks and subscriptions (the CallbackSink and CallContext sides) -----------------

    def send_callback(self, dialect: Dialect, function_id: str, args: list[Any]) -> None:
        self._enqueue(callback_frame(dialect, function_id, args), callback=True)

    def release_callback(self, callback: RemoteCallback) -> None:
        if callback in self._callbacks:
            self._callbacks.discard(callback)
            self._stats.callbacks -= 1

    def add_subscription(self, unsubscribe: Callable[[], None], *callbacks: Any) -> str:
        subscription_id = str(uuid.uuid4())
        kept = tuple(cb for cb in callbacks if isinstance(cb, RemoteCallback))
        for callback in kept:
            callback.retained = True
        self._subscriptions[subscription_id] = _Subscription(unsubscribe, kept)
        self._stats.subscriptions += 1
        return subscription_id

    def remove_subscription(self, subscription_id: str) -> bool:
        subscription = self._subscriptions.pop(subscription_id, None)
        if subscription is None:
            return False
        self._end_subscription(subscription)
        return True

    def keep_until_called(self, callback: Any) -> None:
        if isinstance(callback, RemoteCallback):
            callback.retained = True
            callback.once = True

    def paced(self, callback: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[None]]:
        async def call_at_pace(*args: Any) -> None:
            await self._within_pace.wait()
            await callback(*args)

        return call_at_pace

    # -- dispatch --------------------------------------------------------------------------------

    def _call_done(self, task: asyncio.Task[None]) -> None:
        self._calls.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("RPC dispatch failed", exc_info=task.exception())

    async def _handle_text(self, text: bytes | str) -> None:
        """Answer one message; the claim its answer made (``ANSWER``, in this task's context and
        so in its calls') goes to the writer with the frame, or is released if none is sent."""
        answer = None
        if self._answers is not None:
            answer = self._answers.message()
            ANSWER.set(answer)
        frame: Any = None
        claim: AnswerClaim | None = None
        try:
            if self._still_allowed is not None and not await self._still_allowed():
                self.close_soon(CLOSE_POLICY_VIOLATION, ACCESS_ENDED)
                return
            try:
                message = _parsed(text)
            except orjson.JSONDecodeError as error:
                frame = self._parse_error(text, error)
            else:
                if isinstance(message, list):
                    frame = await self._answer_batch(message)
                else:
                    frame = await self._handle_message(message)
        finally:
            claim = None if answer is None else answer.finish()
            if claim is not None and frame is None:  # no answer, or none after all
                claim.release()
        if frame is not None:
            self._send(frame, claim)

    def _parse_error(self, text: bytes | str, error: orjson.JSONDecodeError) -> bytes:
        raw = text if isinstance(text, bytes) else text.encode()
        dialect = Dialect.JSONRPC if b'"jsonrpc"' in raw else Dialect.PRIVATEFOLIO
        reason = f"Parse error: {error.msg} (line {error.lineno}, column {error.colno})"
        return self._error(dialect, None, None, ParseError(reason))

    async def _answer_batch(self, messages: list[Any]) -> Any:
        refusal = _batch_refusal(len(messages), self._limits.max_batch_calls)
        if refusal is not None:
            return self._error(Dialect.JSONRPC, None, None, InvalidRequest(refusal))
        batch = _Batch(self._batched_slots, self._limits.max_batch_answer_bytes)
        responses = await asyncio.gather(*(self._handle_batched(m, batch) for m in messages))
        answered = [orjson.Fragment(response) for response in responses if response is not None]
        if not answered:
            return None
        if batch.answer_bytes > BATCH_ENCODED_OFF_THE_LOOP_BYTES:
            return await asyncio.to_thread(orjson.dumps, answered)
        return answered

    async def _handle_batched(self, message: Any, batch: "_Batch") -> _Answer | None:
        """One call of a batch. The calls take turns with the event loop, so that a batch of
        calls that never wait (pings, say) does not hold up every other client."""
        async with batch.slots:
            await asyncio.sleep(0)
            refusal = None
            if batch.answer_bytes >= batch.max_answer_bytes:
                refusal = Busy(
                    f"This batch's answers passed {batch.max_answer_bytes // 2**20} MiB, so this "
                    "call was not run: send it again on its own or in a smaller batch"
                )
            response = await self._handle_message(message, batched=True, refusal=refusal)
            batch.answer_bytes += len(response or b"")
            return response

    async def _handle_message(
        self, message: Any, batched: bool = False, refusal: RpcError | None = None
    ) -> _Answer | None:
        if not isinstance(message, dict):
            return self._error(Dialect.JSONRPC, None, None, InvalidRequest("Invalid request"))
        dialect = Dialect.JSONRPC if "jsonrpc" in message or batched else Dialect.PRIVATEFOLIO
        request_id = message.get("id")
        method_name = message.get("method")
        is_notification = dialect is Dialect.JSONRPC and "id" not in message
        name = method_name if isinstance(method_name, str) else None
        id_problem = request_id_problem(request_id)
        if id_problem is not None:
            return self._error(dialect, None, name, InvalidRequest(id_problem))
        try:
            method, params = self._parse_request(dialect, message)
        except InvalidRequest as error:  # not a request at all, so not a notification either
            return self._error(dialect, request_id, name, error)
        except RpcError as error:
            if is_notification:
                return None
            return self._error(dialect, request_id, method_name, error)
        if refusal is not None:
            answer: _Answer | None = self._error(dialect, request_id, method.name, refusal)
        else:
            answer = await self._run(dialect, request_id, method, params)
        return None if is_notification else answer

    def _parse_request(self, dialect: Dialect, message: dict[str, Any]) -> tuple[Method, Any]:
        if dialect is Dialect.JSONRPC and message.get("jsonrpc") != "2.0":
            raise InvalidRequest('Invalid request: "jsonrpc" must be "2.0"')
        if "functionId" in message and "method" not in message:
            raise InvalidRequest(
                "Invalid request: server-side function references are not supported"
            )
        name = message.get("method")
        if not isinstance(name, str) or not name:
            raise InvalidRequest('Invalid request: "method" must be a non-empty string')
        if dialect is Dialect.PRIVATEFOLIO and "id" not in message:
            raise InvalidRequest('Invalid request: "id" is required')
        params = message.get("params", [])
        if not isinstance(params, list | dict) or (
            isinstance(params, dict) and dialect is Dialect.PRIVATEFOLIO
        ):
            raise InvalidRequest('Invalid request: "params" must be an array')
        method = self._table.get(name)
        if method is None:
            raise MethodNotFound(f"API method not found: {name}")
        if self._guest is not None and not self._guest.may_call(name):
            raise Unauthorized(GUEST_REFUSAL)
        return method, params

    async def _run(self, dialect: Dialect, request_id: Any, method: Method, params: Any) -> _Answer:
        self._stats.calls += 1
        callbacks: list[RemoteCallback] = []
        try:
            params = self._materialise_callbacks(dialect, method, params, callbacks)
        except RpcError as error:
            return self._error(dialect, request_id, method.name, error)
        try:
            undefined = "undefined" if dialect is Dialect.PRIVATEFOLIO else _NEVER
            kwargs = method.bind(params, undefined)
            if self._guest is not None and not await self._guest.may_pass(method.name, kwargs):
                raise Unauthorized(GUEST_REFUSAL)
            if method.context_param is not None:
                kwargs[method.context_param] = self
            result = await method.handler(**kwargs)
        except asyncio.CancelledError:
            raise
        except AnswerDropped as error:  # the client went away: nobody reads this answer
            return self._error(dialect, request_id, method.name, Busy(str(error)))
        except Exception as error:
            # A call that failed set off nothing that will call back (a task it did not queue).
            for callback in callbacks:
                if callback.once:
                    callback.release()
            return self._error(dialect, request_id, method.name, error)
        finally:
            for callback in callbacks:
                if not callback.retained:
                    callback.release()
        if result is None and (method.returns_nothing or method.none_is_nothing):
            return orjson.dumps(result_frame(dialect, request_id, method.name, absent()))
        return await self._encoded_result(dialect, request_id, method.name, result)

    async def _encoded_result(
        self, dialect: Dialect, request_id: Any, method_name: str, result: Any
    ) -> _Answer:
        """The result frame, encoded here so that a result JSON cannot hold (too deep, a value
        of an unknown type) is answered with an error instead of no answer at all. A long list
        or an object of many keys, the result or held by an object of it (a snapshot's records),
        is encoded on a thread, a part at a time, so that the event loop goes on meanwhile."""
        try:
            if is_large(result):
                json = await asyncio.to_thread(encoded, result)
                result = orjson.Fragment(json)
                answer = ANSWER.get()
                claim = None if answer is None else answer.claim()
                if claim is not None and not claim.held:  # made without a large read
                    claim.count(len(json))
                if self._large_answer_sent is not None:
                    self._large_answer_sent()
            frame = result_frame(dialect, request_id, method_name, result)
            return orjson.dumps(frame, default=to_json)
        except orjson.JSONEncodeError as error:
            log.error("The result of %s cannot be sent as JSON", method_name, exc_info=error)
            failure = RpcError(f"The result of {method_name} cannot be sent as JSON: {error}")
            return self._error(dialect, request_id, method_name, failure)

    def _materialise_callbacks(
        self, dialect: Dialect, method: Method, params: Any, out: list[RemoteCallback]
    ) -> Any:
        """``params`` with a ``RemoteCallback`` for each function reference, once every
        functionId has passed its bound and the connection has room for them all."""
        given = params.items() if isinstance(params, dict) else enumerate(params)
        references = [(key, value) for key, value in given if is_function_reference(value)]
        for key, reference in references:
            check_function_id(reference["functionId"], _param_name(method, key))
        held = len(self._callbacks)
        if references and held + len(references) > self._limits.max_callbacks:
            raise too_many_callbacks(held, self._limits.max_callbacks)

        def convert(value: Any) -> Any:
            if not is_function_reference(value):
                return value
            callback = RemoteCallback(self, dialect, value["functionId"])
            self._callbacks.add(callback)
            self._stats.callbacks += 1
            out.append(callback)
            return callback

        if isinstance(params, list):
            return [convert(value) for value in params]
        return {key: convert(value) for key, value in params.items()}

    def _error(
        self, dialect: Dialect, request_id: Any, method: str | None, error: BaseException
    ) -> bytes:
        rpc_error = error if isinstance(error, RpcError) else None
        if rpc_error is None and self._map_error is not None:
            rpc_error = self._map_error(error)
        if rpc_error is None:
            log.error("RPC method %s failed", method, exc_info=error)
            message = str(error) or type(error).__name__
            rpc_error = RpcError(message)
            rpc_error.code = INTERNAL_ERROR
        stack = None
        if self._dev:
            stack = "".join(traceback.format_exception(error))
        frame = error_frame(
            dialect, request_id, method, rpc_error.code, rpc_error.message, rpc_error.data, stack
        )
        return orjson.dumps(frame, default=to_json)

    # -- output ------------------------------------------------------------------------------------

    def _send(self, frame: Any, claim: AnswerClaim | None = None) -> None:
        if not self._enqueue(frame, claim=claim) and claim is not None:
            claim.release()

    def _enqueue(
        self, frame: Any, *, callback: bool = False, claim: AnswerClaim | None = None
    ) -> bool:
        """Whether the frame was queued (the writer then releases ``claim`` once it is sent)."""
        if self._closing:
            return False
        encoded = frame if isinstance(frame, bytes) else orjson.dumps(frame, default=to_json)
        cost = len(encoded) + FRAME_OVERHEAD
        limit = self._limits.max_queued_bytes
        if cost > limit:
            return self._enqueue_oversized((encoded, callback, 0, claim))
        if self._queued_bytes + cost > limit:
            self.close_too_slow(f"it would pass its own {limit / 2**20:g} MiB")
            return False
        if not self._budget.take(self, cost):
            return False
        self._count_queued(cost)
        self._outbox.put_nowait((encoded, callback, cost, claim))
        return True

    def _enqueue_oversized(self, outgoing: _Outgoing) -> bool:
        """A frame over the limit on its own (a large batch's answers) counts toward no limit,
        so that the frames around it do not pass them; but only one may wait at a time."""
        if self._oversized_waits:
            limit = self._limits.max_queued_bytes / 2**20
            self.close_too_slow(f"a second frame over {limit:g} MiB would wait behind another")
            return False
        self._oversized_waits = True
        self._pace_changed()
        self._outbox.put_nowait(outgoing)
        return True

    def _count_queued(self, change: int) -> None:
        self._queued_bytes += change
        self._pace_changed()

    def _pace_changed(self) -> None:
        over = self._oversized_waits or self._queued_bytes > self._limits.pace_queued_bytes
        if over and not self._closing:
            self._within_pace.clear()
        else:
            self._within_pace.set()

    def close_too_slow(self, why: str) -> None:
        """Close with 1013: what is queued for the client is more than the limits allow."""
        if self._closing:
            return
        self._stats.slow_consumers_closed += 1
        log.warning(
            "Closing a client that cannot keep up (%d frames, %.1f MiB queued): %s",
            self._outbox.qsize(),
            self._queued_bytes / 2**20,
            why,
        )
        self.close_soon(CLOSE_TRY_AGAIN_LATER, TOO_SLOW)

    def close_soon(self, code: int, message: str) -> None:
        """Stop sending, drop what is queued and close the socket with ``code``."""
        if self._closing:
            return
        self._closing = True
        self.close_code = code
        self._stop_writing()
        self._closer = asyncio.create_task(self._close_transport(code, message))

    def _stop_writing(self) -> None:
        """Stop the writer and drop what is queued, giving it back to the budget."""
        if self._writer is not None:
            self._writer.cancel()
        while not self._outbox.empty():
            claim = self._outbox.get_nowait()[3]
            if claim is not None:
                claim.release()
        self._oversized_waits = False
        self._budget.leave(self, self._queued_bytes)
        self._count_queued(-self._queued_bytes)

    async def _close_transport(self, code: int, message: str) -> None:
        """Close, and drop the connection if it is still open once the close timeout has
        passed: a client that does not read never takes the close frame, and would keep its
        socket and the bytes not yet sent to it for good."""
        timeout = self._limits.close_timeout_seconds
        asyncio.get_running_loop().call_later(timeout, self._transport.abort)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._transport.close(code, message), timeout)

    def _taken(self, counted: int) -> None:
        """The writer took a frame that counted ``counted`` toward the limits."""
        if not counted:
            self._oversized_waits = False
        self._count_queued(-counted)
        self._budget.give_back(counted)

    async def _write_loop(self) -> None:
        """Write the frames; an answer's claim is released once the socket took its frame (or
        it was dropped)."""
        try:
            while True:
                frame, callback, counted, claim = await self._outbox.get()
                try:
                    self._taken(counted)
                    if (
                        callback
                        and self._still_allowed is not None
                        and not await self._still_allowed()
                    ):
                        self.close_soon(CLOSE_POLICY_VIOLATION, ACCESS_ENDED)
                        return
                    await self._transport.send_text(frame)
                finally:
                    if claim is not None:
                        claim.release()
        except asyncio.CancelledError:
            pass
        except Exception:  # the socket went away; the reader loop will notice and clean up
            log.debug("RPC writer stopped", exc_info=True)

    async def _release(self) -> None:
        """The client went away. Its calls in flight run to their end (their answers are
        dropped): one cut short could leave a change it asked for half made. A shutdown still
        cuts them after its grace period (``drain``). Nothing queued can reach it any more."""
        self._closing = True
        self._stop_writing()
        if self._answers is not None:  # their reads stop, or stop waiting their turn
            self._answers.leave()
        if self._calls:
            await asyncio.gather(*self._calls, return_exceptions=True)
        for subscription in list(self._subscriptions.values()):
            self._end_subscription(subscription)
        self._subscriptions.clear()
        for callback in list(self._callbacks):
            callback.release()
        if self._writer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        if self._closer is not None:
            await self._closer
        self._stats.connections -= 1

    def _end_subscription(self, subscription: _Subscription) -> None:
        self._stats.subscriptions -= 1
        try:
            subscription.unsubscribe()
        except Exception:
            log.exception("Unsubscribing failed")
        for callback in subscription.callbacks:
            callback.release()


@dataclass(slots=True)
class _Batch:
    slots: asyncio.Semaphore
    max_answer_bytes: int
    answer_bytes: int = 0


def _batch_refusal(calls: int, max_calls: int) -> str | None:
    if not calls:
        return "Empty batch"
    if calls > max_calls:
        return f"A batch may hold at most {max_calls:,} calls; this one holds {calls:,}"
    return None


def _param_name(method: Method, key: str | int) -> str:
    """The name an error gives the argument at ``key`` (its name, or its position)."""
    if isinstance(key, str):
        return f"'{key}'"
    return f"'{method.params[key].name}'" if key < len(method.params) else f"param {key}"


def _parsed(text: bytes | str) -> Any:
    """The frame's JSON value; one holding an escaped lone surrogate, with U+FFFD in its place."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        if not is_lone_surrogate_error(error.msg):
            raise
        try:
            return loads_replacing_lone_surrogates(text)
        except ValueError:
            raise error from None
