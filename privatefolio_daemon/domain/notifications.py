"""An account's notifications as the user hears of them: stored, then pushed to its devices."""

from typing import Any

from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.domain.web_push import PushDevices, PushReport, WebPush
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.notifications import insert_notification, notification_to_wire


class Notifications:
    def __init__(
        self,
        account: str,
        db: Database,
        events: EventBus,
        web_push: WebPush,
        devices: PushDevices,
    ) -> None:
        self.account = account
        self._db = db
        self._events = events
        self._web_push = web_push
        self._devices = devices

    async def create_and_push(
        self, title: str, text: str, metadata: dict[str, Any] | None
    ) -> tuple[dict[str, Any], PushReport]:
        if not title.strip():
            raise InvalidInputError("A notification needs a title")
        created = now_ms() // 1000
        row = await self._db.write(
            lambda conn: insert_notification(conn, title, text, created, metadata)
        )
        self._events.emit("notifications", "created", account=self.account)
        notification = notification_to_wire(row)
        return notification, await self.push(notification)

    async def push(self, notification: dict[str, Any]) -> PushReport:
        return await self._web_push.push(self._devices, notification)
