"""Web push: notifications sent to the browsers and phones an account registered.

A device registers the subscription its browser made with the daemon's public key
(``getVapidPublicKey``): an endpoint at its push service and the keys to encrypt for it. A push
is encrypted for each device (RFC 8291, ``aes128gcm``) and signed with the daemon's VAPID key
(RFC 8292) by pywebpush, and posted to the device's endpoint. A device whose push service
answers 404 or 410 has unsubscribed, and is forgotten.

Devices are kept in the account's key-value store (``push_devices``) as Privatefolio keeps them:
``[{createdAt, deviceId, subscription, userAgent?}]``.
"""

import asyncio
import ipaddress
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.key_value import KeyValueStore, read_value, write_value
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.domain.vapid_keys import (
    VapidKeys,
    b64url_decode,
    read_or_create_vapid_keys,
)

log = logging.getLogger(__name__)

DEVICES_KEY = "push_devices"
SUBJECT = "https://privatefolio.app"
"""Who to contact about the pushes (the VAPID ``sub`` claim)."""
APP_URL = "https://privatefolio.app"
ICON = "/icon-512x512.png"
TTL_SECONDS = 24 * 60 * 60
"""How long a push service keeps a notification for a device that is offline."""
GONE_STATUSES = (404, 410)
MAX_BODY_CHARACTERS = 1000
"""Push services take 4 KiB per message, encrypted; a long text (a stack of errors) is cut."""
MAX_PAYLOAD_BYTES = 3900
"""4,096 bytes less the aes128gcm header (86), tag (16) and padding delimiter (1)."""


@dataclass(frozen=True, slots=True)
class PushReport:
    sent: int
    failed: int
    removed: int


def checked_subscription(subscription: Any) -> dict[str, Any]:
    """A browser's PushSubscription as JSON, or a clear error for what is wrong with it."""
    if not isinstance(subscription, dict):
        raise InvalidInputError("A push subscription is an object {endpoint, keys}")
    endpoint, keys = subscription.get("endpoint"), subscription.get("keys")
    if not isinstance(endpoint, str) or not _reachable_endpoint(endpoint):
        raise InvalidInputError(
            f"The push endpoint must be an https URL (http only on this machine), not {endpoint!r}"
        )
    if not isinstance(keys, dict):
        raise InvalidInputError("A push subscription needs keys {p256dh, auth}")
    _check_key(keys.get("p256dh"), "p256dh", 65)
    _check_key(keys.get("auth"), "auth", 16)
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


def _reachable_endpoint(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _check_key(value: Any, name: str, size: int) -> None:
    try:
        decoded = b64url_decode(value) if isinstance(value, str) else b""
    except ValueError:
        decoded = b""
    if len(decoded) != size:
        raise InvalidInputError(f"keys.{name} must be {size} bytes in base64url")


def push_payload(notification: dict[str, Any]) -> str:
    """What the frontend's service worker shows: ``{title, options}``, small enough to push."""
    text = notification["text"]
    if len(text) > MAX_BODY_CHARACTERS:
        text = _cut(text, MAX_BODY_CHARACTERS)
    while True:
        payload = _payload(notification, text)
        if len(payload) <= MAX_PAYLOAD_BYTES or not text:
            return payload.decode()
        text = _cut(text, len(text) * 3 // 4)  # escaped or multi-byte characters


def _cut(text: str, characters: int) -> str:
    return text[: max(characters - 1, 0)] + "…"


def _payload(notification: dict[str, Any], text: str) -> bytes:
    options = {
        "badge": ICON,
        "body": text,
        "data": {"url": APP_URL},
        "icon": ICON,
        "tag": "General",
        "timestamp": notification["createdAt"] * 1000,
    }
    return orjson.dumps({"options": options, "title": notification["title"]})


def stored_devices(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    return devices_from(read_value(connection, DEVICES_KEY))


def devices_from(value: Any) -> list[dict[str, Any]]:
    """The devices in the stored KV value (a JSON string, as Privatefolio stores it)."""
    try:
        devices = orjson.loads(value) if isinstance(value, str) else value
    except orjson.JSONDecodeError:
        return []
    return devices if isinstance(devices, list) else []


class PushDevices:
    """The devices of one account."""

    def __init__(self, kv: KeyValueStore) -> None:
        self._kv = kv

    async def all(self) -> list[dict[str, Any]]:
        return devices_from(await self._kv.get(DEVICES_KEY))

    async def add(self, subscription: Any, device_id: str, user_agent: str | None) -> None:
        """Register a device; one already registered with this endpoint is replaced."""
        checked = checked_subscription(subscription)
        device: dict[str, Any] = {
            "createdAt": now_ms(),
            "deviceId": device_id,
            "subscription": checked,
        }
        if user_agent is not None:
            device["userAgent"] = user_agent
        await self._rewrite(lambda devices: [*_without(devices, checked["endpoint"]), device])

    async def remove(self, endpoint: str) -> None:
        await self._rewrite(lambda devices: _without(devices, endpoint))

    async def _rewrite(self, change: Any) -> None:
        def rewrite(connection: sqlite3.Connection) -> str:
            text = orjson.dumps(change(stored_devices(connection))).decode()
            write_value(connection, DEVICES_KEY, text)
            return text

        self._kv.announce(DEVICES_KEY, await self._kv.transaction(rewrite))


def _log_failure(subscription: dict[str, Any], reason: str) -> None:
    """The push service's host only: an endpoint's path identifies the device."""
    log.warning("A push to %s failed: %s", urlsplit(subscription["endpoint"]).hostname, reason)


def _without(devices: list[dict[str, Any]], endpoint: str) -> list[dict[str, Any]]:
    return [d for d in devices if (d.get("subscription") or {}).get("endpoint") != endpoint]


class WebPush:
    """The daemon's VAPID identity and the HTTP session pushes go out on."""

    def __init__(self, auth_dir: Path, timeout_seconds: float) -> None:
        self._auth_dir = auth_dir
        self._timeout = timeout_seconds
        self._keys: VapidKeys | None = None
        self._session: aiohttp.ClientSession | None = None

    def keys(self) -> VapidKeys:
        if self._keys is None:
            self._keys = read_or_create_vapid_keys(self._auth_dir)
        return self._keys

    async def push(self, devices: PushDevices, notification: dict[str, Any]) -> PushReport:
        """Send ``notification`` to every device of the account, all at once."""
        registered = await devices.all()
        if not registered:
            return PushReport(0, 0, 0)
        payload = push_payload(notification)
        outcomes = await asyncio.gather(
            *(self._send(device["subscription"], payload) for device in registered)
        )
        gone = [d for d, outcome in zip(registered, outcomes, strict=True) if outcome == "gone"]
        for device in gone:
            await devices.remove(device["subscription"]["endpoint"])
        failed = sum(1 for outcome in outcomes if outcome == "failed")
        removed = sum(1 for outcome in outcomes if outcome == "gone")
        return PushReport(len(registered) - failed - removed, failed, removed)

    async def _send(self, subscription: dict[str, Any], payload: str) -> str | None:
        """``None`` once delivered, else ``gone`` (unsubscribed) or ``failed``."""
        from py_vapid import Vapid02
        from pywebpush import WebPushException, webpush_async

        try:
            await webpush_async(
                subscription,
                payload,
                vapid_private_key=Vapid02.from_raw(self.keys().private_key.encode()),
                vapid_claims={"sub": SUBJECT},
                ttl=TTL_SECONDS,
                aiohttp_session=self._http(),
            )
        except WebPushException as error:
            status = getattr(error.response, "status", None)
            if status in GONE_STATUSES:
                return "gone"
            _log_failure(subscription, str(error).splitlines()[0])
            return "failed"
        except (aiohttp.ClientError, TimeoutError) as error:
            _log_failure(subscription, str(error) or type(error).__name__)
            return "failed"
        return None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self._timeout)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
