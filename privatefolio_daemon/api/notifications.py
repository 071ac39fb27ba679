"""Notification methods: the account's notifications, their count, and marking them read or
archived. The daemon writes one when a task it started itself (a cron or the refresh chain)
fails, so the user hears of what no one was watching."""

from collections.abc import Callable
from typing import Any, Literal, TypedDict

from privatefolio_daemon.api.client_queries import FrontendTable, map_rows
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.notifications import Notifications
from privatefolio_daemon.domain.web_push import PushDevices, WebPush
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.notifications import (
    NOTIFICATIONS_COUNT_SQL,
    NOTIFICATIONS_DEFAULT_SQL,
    notification_to_wire,
    patch_notifications,
)

_PATCHABLE = frozenset({"title", "text", "status", "metadata"})
_NOTIFICATIONS = FrontendTable(NOTIFICATIONS_DEFAULT_SQL, NOTIFICATIONS_COUNT_SQL)


class NotificationPatch(TypedDict, total=False):
    title: str
    text: str
    status: Literal[0, 1, 2]
    metadata: dict[str, Any] | None


class PushSubscription(TypedDict, total=False):
    endpoint: str
    keys: dict[str, str]
    expirationTime: int | None


class NotificationsApi:
    def __init__(
        self,
        db_of: Callable[[str], Database],
        events: EventBus,
        budget: float,
        web_push: WebPush,
        notifications_of: Callable[[str], Notifications],
        devices_of: Callable[[str], PushDevices],
    ) -> None:
        self._db_of = db_of
        self._events = events
        self._budget = budget
        self._web_push = web_push
        self._notifications_of = notifications_of
        self._devices_of = devices_of

    @rpc_method()
    async def getNotifications(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Newest first ``{id, title, text, createdAt (s), status, metadata?}`` (or a query's)."""
        rows = await _NOTIFICATIONS.rows(self._db_of(accountName), query, params, self._budget)
        return await map_rows(rows, notification_to_wire, query)

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

    @rpc_method()
    async def createAndPushNotification(
        self,
        accountName: str,
        title: str,
        text: str,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add an unread notification and push it to the account's devices; returns it with
        ``pushed: {sent, failed, removed}`` (removed: devices that had unsubscribed)."""
        notification, report = await self._notifications_of(accountName).create_and_push(
            title, text, metadata
        )
        pushed = {"sent": report.sent, "failed": report.failed, "removed": report.removed}
        return {**notification, "pushed": pushed}

    @rpc_method()
    async def getVapidPublicKey(self) -> str:
        """The daemon's web-push public key, base64url: the ``applicationServerKey`` to
        subscribe with."""
        return self._web_push.keys().public_key

    @rpc_method()
    async def getPushDevices(self, accountName: str) -> list[dict[str, Any]]:
        """The devices notifications are pushed to: ``{createdAt, deviceId, subscription,
        userAgent?}``."""
        return await self._devices_of(accountName).all()

    @rpc_method()
    async def addPushDevice(
        self,
        accountName: str,
        subscription: PushSubscription,
        deviceId: str,
        userAgent: str | None = None,
    ) -> None:
        """Register a browser's push subscription (one with the same endpoint is replaced)."""
        await self._devices_of(accountName).add(subscription, deviceId, userAgent)

    @rpc_method()
    async def removePushDevice(self, accountName: str, endpoint: str) -> None:
        """Stop pushing to the device with this endpoint."""
        await self._devices_of(accountName).remove(endpoint)

    async def _patch(self, account: str, ids: list[int], patch: NotificationPatch) -> None:
        fields = dict(patch)
        unknown = sorted(set(fields) - _PATCHABLE)
        if unknown:
            raise InvalidInputError(
                f"A notification patch cannot set {', '.join(unknown)}: give title, text, "
                "status or metadata"
            )
        if not fields:
            raise InvalidInputError(
                "The patch changes nothing: give title, text, status or metadata"
            )
        changed = await self._db_of(account).write(
            lambda conn: patch_notifications(conn, ids, fields)
        )
        if changed:
            self._events.emit("notifications", "updated", account=account)
