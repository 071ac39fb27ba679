"""Change notifications: channels per account and app-wide, and their listeners.

Writers emit ``(channel, *args)`` after a change is committed; listeners (RPC subscriptions, the
relayer's side effects) are called in order of subscription. A failing listener is logged and
never disturbs the writer or the other listeners.
"""

import asyncio
import inspect
import itertools
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[..., Any]

#: Channels of one account, as the Privatefolio frontend knows them, on which a reset or a
#: restore of the account is announced with ``("reset")`` (``announce_reset``): their events
#: carry a cause, a value or nothing. Left out are the account's keyed channels, ``key-value``
#: (key, value) and ``server-task-progress`` (task id, line): their listeners filter on the key,
#: which a lone ``"reset"`` is not, so the original's reset reached none of their subscribers.
RESET_CHANNELS = (
    "audit-logs",
    "transactions",
    "balances",
    "networth",
    "daily-prices",
    "file-imports",
    "connections",
    "metadata",
    "tags",
    "trades",
    "trade-pnl",
    "settings",
    "server-tasks",
    "server-files",
    "chat-history",
    "notifications",
)

#: App-wide channels.
APP_CHANNELS = ("accounts", "server-key-value", "server-settings", "server-logs", "server-health")
#: App-wide, inside the daemon only: ``(old, new)`` as an account is renamed, before the listeners
#: of the old name are forgotten, and ``(name,)`` as one is deleted (a reset is not a deletion).
ACCOUNT_RENAMED = "account-renamed"
#: App-wide, inside the daemon only: ``(name,)`` as which assets of an account are listed may
#: have changed (a coin list was downloaded, or a coingeckoId set), so spam may need another look.
LISTINGS_CHANGED = "listings-changed"
ACCOUNT_DELETED = "account-deleted"
#: App-wide, inside the daemon only: ``(name,)`` as a new account is created; not as one is
#: renamed, which the ``accounts`` channel tells as the old name deleted and the new one created.
ACCOUNT_CREATED = "account-created"
#: Inside the daemon only, on the account's own channel: ``()`` as an account closed for a moment
#: (being reset or restored) is open again, whether that succeeded or failed and left it as it
#: was. It claims no change (a reset or restore that succeeded announces that with ``"reset"``):
#: it wakes what met the closed account and waits to read it again, as change-feed followers do.
ACCOUNT_REOPENED = "account-reopened"
#: Inside the daemon only, on the account's own channel: ``()`` as the account is deleted or
#: renamed, with ``ACCOUNT_DELETED`` or ``ACCOUNT_RENAMED``. Its RPC subscriptions end then; on
#: its own channel, a deletion reaches only the subscriptions of that account.
ACCOUNT_GONE = "account-gone"


class EventBus:
    def __init__(self) -> None:
        #: Each channel's listeners by their subscription's number, in order of subscription, so
        #: that an unsubscribe takes one lookup however many listen (a client closing with
        #: 200,000 subscriptions releases them all at once).
        self._listeners: dict[tuple[str | None, str], dict[int, Listener]] = {}
        self._numbers = itertools.count()
        self._tasks: set[asyncio.Task[Any]] = set()

    def subscribe(
        self, channel: str, listener: Listener, account: str | None = None
    ) -> Callable[[], None]:
        """Listen to ``channel`` (of ``account``, or app-wide); returns the unsubscribe function."""
        key = (account, channel)
        number = next(self._numbers)
        self._listeners.setdefault(key, {})[number] = listener

        def unsubscribe() -> None:
            listeners = self._listeners.get(key)
            if listeners is not None and listeners.pop(number, None) is not None and not listeners:
                del self._listeners[key]

        return unsubscribe

    def emit(self, channel: str, *args: Any, account: str | None = None) -> None:
        listeners = self._listeners.get((account, channel))
        for listener in tuple(listeners.values()) if listeners else ():
            try:
                result = listener(*args)
            except Exception:
                log.exception("A listener of %s failed", channel)
                continue
            if inspect.iscoroutine(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._task_done)

    def announce_reset(self, account: str) -> None:
        """Tell every listener of the account, and of the account list, that it was reset."""
        for channel in RESET_CHANNELS:
            self.emit(channel, "reset", account=account)
        self.emit("accounts", "reset", account)

    def listener_count(self, channel: str | None = None, account: str | None = None) -> int:
        return sum(
            len(listeners)
            for (owner, name), listeners in self._listeners.items()
            if (channel is None or name == channel) and (account is None or owner == account)
        )

    def forget_account(self, account: str) -> None:
        for key in [key for key in self._listeners if key[0] == account]:
            del self._listeners[key]

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("An async listener failed", exc_info=task.exception())
