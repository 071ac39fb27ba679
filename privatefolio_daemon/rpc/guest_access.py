"""What a client without credentials may call when the server lets guests in.

The server names the methods (``api/guest_reading.py`` for the daemon); ``ping`` and
``unsubscribe`` change nothing and are always let in. A method's arguments may be checked too,
once they are bound: a guest may read some key-value entries and not others, say.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

GUEST_REFUSAL = "Login or sign up to continue."
_HARMLESS = frozenset({"ping", "unsubscribe"})

#: ``(method, arguments by name)`` → whether a guest may make that call.
ArgumentCheck = Callable[[str, Mapping[str, Any]], Awaitable[bool]]


async def _any_arguments(_method: str, _arguments: Mapping[str, Any]) -> bool:
    return True


class GuestAccess:
    def __init__(
        self, methods: Iterable[str], check_arguments: ArgumentCheck = _any_arguments
    ) -> None:
        self.methods = frozenset(methods) | _HARMLESS
        self._check_arguments = check_arguments

    def may_call(self, method: str) -> bool:
        return method in self.methods

    async def may_pass(self, method: str, arguments: Mapping[str, Any]) -> bool:
        """Whether a guest may call ``method`` (one it may call) with these arguments."""
        return await self._check_arguments(method, arguments)
