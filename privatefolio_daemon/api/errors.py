"""Domain errors → wire errors, in one place."""

from privatefolio_daemon.domain.errors import (
    BusyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    StorageFullError,
    TaskCancelledError,
    TaskFailedError,
    UpstreamError,
)
from privatefolio_daemon.rpc.errors import (
    Busy,
    Cancelled,
    InvalidParams,
    NotFound,
    RpcError,
    TaskFailed,
    VersionConflict,
)
from privatefolio_daemon.store.client_sql import QueryFailed, UnsafeQuery
from privatefolio_daemon.store.database import QueriesBusy, QueryTimeout
from privatefolio_daemon.store.file_gone import DatabaseFileGone


def domain_error_to_rpc(error: BaseException) -> RpcError | None:
    message = str(error)
    if isinstance(error, UnsafeQuery | QueryFailed):
        return InvalidParams(message)
    if isinstance(error, QueryTimeout | QueriesBusy):
        return Busy(message)
    if isinstance(error, NotFoundError):
        return NotFound(message)
    if isinstance(error, InvalidInputError):
        return InvalidParams(message)
    if isinstance(error, ConflictError):
        return VersionConflict(message, {"latest": error.latest})
    if isinstance(error, BusyError | UpstreamError | StorageFullError):
        return Busy(message)
    if isinstance(error, TaskCancelledError):
        return Cancelled(message)
    if isinstance(error, TaskFailedError):
        return TaskFailed(message)
    if isinstance(error, DatabaseFileGone):  # logged once, when it was found
        return RpcError(message)
    return None
