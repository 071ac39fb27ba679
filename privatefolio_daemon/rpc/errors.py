"""Protocol errors and their wire codes. The only place that knows the numbers."""

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
UNAUTHORIZED = -32001
NOT_FOUND = -32002
VERSION_CONFLICT = -32003
BUSY = -32004
CANCELLED = -32005
TASK_FAILED = -32006


class RpcError(Exception):
    """An error that goes out to the client with a code, a message and optional data."""

    code = INTERNAL_ERROR

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class ParseError(RpcError):
    code = PARSE_ERROR


class InvalidRequest(RpcError):
    code = INVALID_REQUEST


class MethodNotFound(RpcError):
    code = METHOD_NOT_FOUND


class InvalidParams(RpcError):
    code = INVALID_PARAMS


class Unauthorized(RpcError):
    code = UNAUTHORIZED


class NotFound(RpcError):
    code = NOT_FOUND


class VersionConflict(RpcError):
    code = VERSION_CONFLICT


class Busy(RpcError):
    code = BUSY


class Cancelled(RpcError):
    code = CANCELLED


class TaskFailed(RpcError):
    code = TASK_FAILED
