"""Errors the domain raises. The API layer maps them to wire codes in one place."""


def shortened(text: str, limit: int = 40) -> str:
    """``text`` as a message quotes it: cut to ``limit`` characters, marked with ``…``."""
    return text if len(text) <= limit else f"{text[:limit]}…"


class DomainError(Exception):
    """A meaningful failure whose message is written for the user."""


class NotFoundError(DomainError):
    """The thing asked for does not exist."""


class InvalidInputError(DomainError):
    """The input is not acceptable; the message says why."""


class ConflictError(DomainError):
    """The request conflicts with the current state."""

    def __init__(self, message: str, latest: object = None) -> None:
        super().__init__(message)
        self.latest = latest


class BusyError(DomainError):
    """The resource is busy; try again later."""


class StorageFullError(DomainError):
    """The disk is full; the message says where. Trying again once space is freed may work."""


class UpstreamError(DomainError):
    """An outside service (a price API, an exchange) did not answer as it should; the message
    names it. Trying again later may work."""


class TaskCancelledError(DomainError):
    """The work was cancelled before it finished."""


class TaskFailedError(DomainError):
    """Work the call waited for ran as a task and failed; the message is the task's error."""
