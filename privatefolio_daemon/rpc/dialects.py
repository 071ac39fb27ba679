"""The two wire dialects and the only builders of outgoing frames.

A request without ``"jsonrpc"`` is answered in Privatefolio frames, so the Privatefolio frontend
works unchanged; a request with ``"jsonrpc": "2.0"`` is answered in standard JSON-RPC 2.0.
"""

from enum import Enum
from typing import Any

#: The largest text frame the daemon reads; a larger one closes the socket with 1009.
MAX_FRAME_BYTES = 4 * 2**20
#: The most calls a JSON-RPC 2.0 batch may hold (as geth's default); a larger one is refused.
MAX_BATCH_CALLS = 1000


class Dialect(Enum):
    PRIVATEFOLIO = "privatefolio"
    JSONRPC = "jsonrpc"


_ABSENT: Any = object()


def result_frame(
    dialect: Dialect, request_id: Any, method: str, result: Any = _ABSENT
) -> dict[str, Any]:
    if dialect is Dialect.JSONRPC:
        return {"jsonrpc": "2.0", "id": request_id, "result": None if result is _ABSENT else result}
    frame: dict[str, Any] = {"id": request_id, "method": method}
    if result is not _ABSENT:
        frame["result"] = result
    return frame


def error_frame(
    dialect: Dialect,
    request_id: Any,
    method: str | None,
    code: int,
    message: str,
    data: Any = None,
    stack_trace: str | None = None,
) -> dict[str, Any]:
    if dialect is Dialect.JSONRPC:
        error: dict[str, Any] = {"code": code, "message": message}
        if stack_trace is not None:
            data = (
                {**data, "stackTrace": stack_trace}
                if isinstance(data, dict)
                else {"stackTrace": stack_trace}
            )
        if data is not None:
            error["data"] = data
        return {"jsonrpc": "2.0", "id": request_id, "error": error}
    frame: dict[str, Any] = {}
    if request_id is not None:
        frame["id"] = request_id
    if method is not None:
        frame["method"] = method
    frame["error"] = message
    frame["code"] = code
    if data is not None:
        frame["data"] = data
    if stack_trace is not None:
        frame["stackTrace"] = stack_trace
    return frame


def callback_frame(dialect: Dialect, function_id: str, args: list[Any]) -> dict[str, Any]:
    if dialect is Dialect.JSONRPC:
        return {
            "jsonrpc": "2.0",
            "method": "rpc.callback",
            "params": {"functionId": function_id, "args": args},
        }
    return {"functionId": function_id, "params": args}


def absent() -> Any:
    """The marker for "no result key" in a Privatefolio success frame."""
    return _ABSENT
