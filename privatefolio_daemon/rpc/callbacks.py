"""Function references: a client passes a function, the daemon calls it back later.

A parameter ``{"__isFunction": true, "functionId": "client_func_12_1"}`` becomes a
``RemoteCallback``. Calling it queues a callback frame on the connection that created it and
returns at once; it never waits for the socket, so a slow client never slows the caller.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from privatefolio_daemon.rpc.dialects import Dialect
from privatefolio_daemon.rpc.errors import Busy, InvalidParams

#: The longest functionId taken. The Privatefolio frontend's are ``client_func_<requestId>_
#: <paramIndex>``, as are the Python client's: under 40 characters. A callback keeps its id for
#: as long as it lives.
MAX_FUNCTION_ID_LENGTH = 256


class CallbackSink(Protocol):
    def send_callback(self, dialect: Dialect, function_id: str, args: list[Any]) -> None: ...

    def release_callback(self, callback: "RemoteCallback") -> None: ...


class RemoteCallback:
    """An async callable that invokes a function on the client."""

    __slots__ = ("_sink", "dialect", "function_id", "once", "released", "retained")

    def __init__(self, sink: CallbackSink, dialect: Dialect, function_id: str) -> None:
        self._sink = sink
        self.dialect = dialect
        self.function_id = function_id
        self.released = False
        self.retained = False
        self.once = False

    def __call__(self, *args: Any) -> Awaitable[None]:
        if not self.released:
            self._sink.send_callback(self.dialect, self.function_id, list(args))
            if self.once:
                self.release()
        return _DONE

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._sink.release_callback(self)

    def __repr__(self) -> str:
        return f"RemoteCallback({self.function_id!r})"


class _Done:
    """An awaitable that is already finished, so callers may ``await`` a callback or not."""

    def __await__(self) -> Any:
        return iter(())


_DONE = _Done()

#: The annotation for a parameter that must be a function reference.
RemoteFunction = Callable[..., Awaitable[None]]


def is_function_reference(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("__isFunction") is True
        and isinstance(value.get("functionId"), str)
    )


def check_function_id(function_id: str, param: str) -> None:
    """Refuse a functionId longer than ``MAX_FUNCTION_ID_LENGTH``, naming the parameter."""
    if len(function_id) > MAX_FUNCTION_ID_LENGTH:
        raise InvalidParams(
            f"Invalid params: the functionId of {param} has {len(function_id):,} characters; "
            f"a functionId may have at most {MAX_FUNCTION_ID_LENGTH}"
        )


def too_many_callbacks(held: int, limit: int) -> Busy:
    """The refusal of a call whose function references a connection holding ``held`` has no
    room for."""
    return Busy(
        f"Too many callbacks: this connection holds {held:,} (its subscriptions and the "
        f"callbacks still to be called) and may hold at most {limit:,} (setting "
        "rpc_max_callbacks); unsubscribe from what it no longer needs, then call again"
    )
