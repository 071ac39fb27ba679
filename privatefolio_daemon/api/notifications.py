"""Notification methods: the account's notifications, their count, and marking them read or
archived. The daemon writes one when a task it started itself (a cron or the refresh chain)
fails, so the user hears of what no one was watching."""

from collections.abc import Callable
from typing import Any, Literal, TypedDict

from privatefolio_daemon.api.client_queries import FrontendTable
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.notifications import (
    NOTIFICATIONS_COUNT_SQL,
    NOTIFICATIONS_DEFAULT_SQL,
    notification_to_wire,
    patch_notifications,
)

_NOTIFICATIONS = FrontendTable(NOTIFICATIONS_DEFAULT_SQL, NOTIFICATIONS_COUNT_SQL)


class NotificationPatch(TypedDict, total=False):
    title: str
    text: str
    status: Literal[0, 1, 2]
    metadata: dict[str, Any] | None


class NotificationsApi:
    def __init__(self, db_of: Callable[[str], Database], events: EventBus, budget: float) -> None:
        self._db_of = db_of
        self._events = events
        self._budget = budget

    @rpc_method()
    async def getNotifications(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Newest first ``{id, title, text, createdAt (s), status, metadata?}`` (or a query's)."""
        rows = await _NOTIFICATIONS.rows(self._db_of(accountName), query, params, self._budget)
        return [notification_to_wire(row) for row in rows]

    @rpc_method()
    async def countNotifications(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> int:
        """How many notifications (all, or a query's count, e.g. the unread ones)."""
        return await _NOTIFICATIONS.count(self._db_of(accountName), query, params, self._budget)

    @rpc_method()
    async def patchNotification(self, accountName: str, id: int, patch: NotificationPatch) -> None:
        """Change one notification: status 0 unread, 1 read, 2 archived; title, text, metadata."""
        await self._patch(accountName, [id], patch)

    @rpc_method()
    async def patchNotifications(
        self, accountName: str, ids: list[int], patch: NotificationPatch
    ) -> None:
        """The same change on several notifications (marking all read, say)."""
        await self._patch(accountName, ids, patch)

    async def _patch(self, account: str, ids: list[int], patch: NotificationPatch) -> None:
        fields = dict(patch)
        if not fields:
            raise InvalidInputError(
                "The patch changes nothing: give title, text, status or metadata"
            )
        changed = await self._db_of(account).write(
            lambda conn: patch_notifications(conn, ids, fields)
        )
        if changed:
            self._events.emit("notifications", "updated", account=account)
