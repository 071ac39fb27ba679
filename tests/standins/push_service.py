"""A web-push service on 127.0.0.1 (RFC 8030), and browsers subscribed to it.

The service checks what a real one checks before it accepts a push: a ``TTL`` header, an
``aes128gcm`` body, and a VAPID ``Authorization`` (RFC 8292) whose ES256 token verifies under
the key it carries, for this service's origin, expiring within a day. It answers 201, 410 for a
device that unsubscribed, or whatever status a test sets. A :class:`Browser` holds the keys a
browser's PushSubscription is made of and decrypts what was pushed to it (RFC 8291).
"""

import base64
import os
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
import orjson
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

MAX_MESSAGE_BYTES = 4096
"""What a push service must accept at least (RFC 8030 §7.2), and all that some accept."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class ReceivedPush:
    device: str
    headers: dict[str, str]
    """Names in lower case."""
    body: bytes
    claims: dict[str, Any]
    vapid_key: str


@dataclass
class PushServiceStandin:
    received: list[ReceivedPush] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    status_of: dict[str, int] = field(default_factory=dict)
    """Devices answered with another status than 201 (410: unsubscribed)."""
    origin: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/push/{device}", self._push)
        return app

    async def _push(self, request: web.Request) -> web.Response:
        try:
            claims, key = _accepted(request, self.origin)
        except _Refused as refused:
            self.refused.append(refused.reason)
            return web.Response(status=refused.status, text=refused.reason)
        device, body = request.match_info["device"], await request.read()
        if len(body) > MAX_MESSAGE_BYTES:
            self.refused.append(f"payload of {len(body)} bytes")
            return web.Response(status=413, text="Payload Too Large")
        self.received.append(ReceivedPush(device, _lowercase(request), body, claims, key))
        return web.Response(status=self.status_of.get(device, 201))


def _lowercase(request: web.Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _accepted(request: web.Request, origin: str) -> tuple[dict[str, Any], str]:
    """The VAPID claims and key of an acceptable push."""
    if "TTL" not in request.headers:
        raise _Refused(400, "missing TTL")
    if request.headers.get("Content-Encoding") != "aes128gcm":
        raise _Refused(
            415, f"unsupported Content-Encoding {request.headers.get('Content-Encoding')}"
        )
    try:
        token, key = _vapid(request.headers.get("Authorization", ""))
        claims = jwt.decode(token, _public_key(key), algorithms=["ES256"], audience=origin)
    except (ValueError, KeyError, jwt.PyJWTError) as error:
        raise _Refused(401, f"bad VAPID authorization: {error}") from None
    if not time.time() < claims["exp"] <= time.time() + 24 * 3600:
        raise _Refused(401, "bad VAPID authorization: exp must lie within 24 hours")
    return claims, key


def _vapid(authorization: str) -> tuple[str, str]:
    scheme, _, parameters = authorization.partition(" ")
    if scheme != "vapid":
        raise ValueError(f"scheme {scheme!r}")
    fields = dict(part.strip().split("=", 1) for part in parameters.split(","))
    return fields["t"], fields["k"]


def _public_key(key: str) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))


class Browser:
    """The keys behind one PushSubscription, and the decryption of what reaches it."""

    def __init__(self, service_url: str, device: str) -> None:
        self.endpoint = f"{service_url}/push/{device}"
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self) -> dict[str, Any]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def read(self, push: ReceivedPush) -> Any:
        plain = http_ece.decrypt(
            push.body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return orjson.loads(plain)
