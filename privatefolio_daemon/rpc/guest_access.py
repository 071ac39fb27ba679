"""What a client without credentials may call when the server lets guests in: reading only.

The names follow Privatefolio's convention, where reading methods start with ``read``, ``get``,
``count`` or ``subscribe``; ``ping`` and ``unsubscribe`` change nothing either.
"""

GUEST_REFUSAL = "Login or sign up to continue."
_READING_PREFIXES = ("read", "get", "count", "subscribe")
_HARMLESS = frozenset({"ping", "unsubscribe"})


def guest_may_call(method: str) -> bool:
    return method.startswith(_READING_PREFIXES) or method in _HARMLESS
