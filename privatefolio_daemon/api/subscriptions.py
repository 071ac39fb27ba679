"""Turning a channel of the event bus into an RPC subscription of one connection."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.domain.events import ACCOUNT_GONE, EventBus
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
    """Deliver ``channel`` events to ``callback`` (through ``listener`` when it filters or maps).

    A subscription to an account's channel ends with the account's name: when the account is
    deleted or renamed, the bus forgets its listeners, and the connection its subscription."""
    stops = [events.subscribe(channel, listener or callback, account)]

    def unsubscribe() -> None:
        for stop in stops:
            stop()

    subscription_id = ctx.add_subscription(unsubscribe, callback)
    if account is not None:

        def account_gone() -> None:
            ctx.remove_subscription(subscription_id)

        stops.append(events.subscribe(ACCOUNT_GONE, account_gone, account))
    return subscription_id
