"""Turning a channel of the event bus into an RPC subscription of one connection."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.rpc.registry import CallContext


def subscribe(
    ctx: CallContext,
    events: EventBus,
    channel: str,
    callback: Callable[..., Any],
    *,
    account: str | None = None,
    listener: Callable[..., Any] | None = None,
) -> str:
    """Deliver ``channel`` events to ``callback`` (through ``listener`` when it filters or maps)."""
    unsubscribe = events.subscribe(channel, listener or callback, account)
    return ctx.add_subscription(unsubscribe, callback)
