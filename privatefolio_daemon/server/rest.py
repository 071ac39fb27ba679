"""The plain HTTP routes: liveness, build information and the password flow.

``/api/setup`` and ``/api/login`` need no credential, so they must not be reachable from a web
page: they refuse ``Origin: null`` (any site can send it from a sandboxed frame, and CORS allows
it for Electron) and take only ``application/json``, which a foreign page cannot send without a
preflight that the Origin check answers without CORS headers.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from privatefolio_daemon.config import Config
from privatefolio_daemon.domain.errors import ConflictError, InvalidInputError
from privatefolio_daemon.server.credentials import Credentials
from privatefolio_daemon.server.local_peer import CAN_NAME_PEERS, peer_uid
from privatefolio_daemon.server.login_throttle import LoginThrottle
from privatefolio_daemon.settings import APP_NAME, HOMEPAGE


def bearer_token(request: web.Request) -> str | None:
    """From ``Authorization: Bearer`` (the scheme in any case, RFC 7235), ``?jwt=`` or
    ``?token=``."""
    scheme, _, value = request.headers.get(hdrs.AUTHORIZATION, "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    return request.query.get("jwt") or request.query.get("token")


log = logging.getLogger(__name__)

NULL_ORIGIN_REFUSED = (
    "Forbidden: a page with a null Origin (a sandboxed frame, a data: URL) may not set or check "
    "the password. Open the app from its own address."
)
NOT_JSON = "The body must be JSON, sent with Content-Type: application/json."

Handler = Callable[[web.Request], Awaitable[web.Response]]


def _from_a_trusted_page(handler: Handler) -> Handler:
    """Guards a route that changes state without a credential (see the module docstring)."""

    async def guarded(request: web.Request) -> web.Response:
        if request.headers.get(hdrs.ORIGIN) == "null":
            return web.json_response({"error": NULL_ORIGIN_REFUSED}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"error": NOT_JSON}, status=415)
        return await handler(request)

    return guarded


def rest_routes(
    config: Config,
    credentials: Credentials,
    throttle: LoginThrottle | None = None,
    kiosk_mode: Callable[[], Awaitable[bool]] | None = None,
) -> list[web.RouteDef]:
    throttle = throttle or LoginThrottle()
    #: One login is checked at a time, so the back-off applies to the very next attempt.
    login_lock = asyncio.Lock()

    async def ping(_: web.Request) -> web.Response:
        return web.Response(text="pong")

    async def info(_: web.Request) -> web.Response:
        build = await asyncio.to_thread(getattr, config, "build")  # may run git
        return web.json_response(
            {
                "name": APP_NAME,
                "version": build.version,
                "commit": build.commit,
                "digest": build.commit[:7],
                "buildDate": build.date,
                "homepage": HOMEPAGE,
            }
        )

    async def setup_status(_: web.Request) -> web.Response:
        kiosk = kiosk_mode is not None and await kiosk_mode()
        return web.json_response(
            {"needsSetup": not credentials.is_password_set(), "kioskMode": kiosk}
        )

    async def setup(request: web.Request) -> web.Response:
        refused = await _other_users_setup(request, credentials)
        if refused is not None:
            log.warning("Refused /api/setup from %s: %s", request.remote, refused)
            return web.json_response({"error": refused}, status=403)
        try:
            password = await _password_from(request)
        except _BadBody as error:
            return error.response()
        try:
            await credentials.set_password(password or "")
        except ConflictError as error:
            return web.json_response({"error": str(error)}, status=409)
        except InvalidInputError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response({"success": True}, status=201)

    async def login(request: web.Request) -> web.Response:
        if not credentials.is_password_set():
            return web.json_response({"error": "Setup not complete."}, status=400)
        try:
            password = await _password_from(request)
        except _BadBody as error:
            return error.response()
        if not password:
            return web.json_response({"error": "Password required."}, status=400)
        async with login_lock:
            wait = throttle.retry_after()
            if wait:
                return web.json_response(
                    {"error": f"Too many wrong passwords: try again in {wait} s"},
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
            try:
                right = await credentials.check_password(password)
            except InvalidInputError as error:
                return web.json_response({"error": str(error)}, status=400)
            if not right:
                delay = throttle.failed()
                log.warning(
                    "Wrong password at /api/login from %s (%d in a row)%s",
                    request.remote,
                    throttle.failures,
                    f": logins wait {delay} s" if delay else "",
                )
                return web.json_response({"error": "Incorrect password."}, status=401)
            throttle.succeeded()
        return web.json_response({"token": credentials.issue_jwt()})

    async def verify_auth(request: web.Request) -> web.Response:
        token = bearer_token(request)
        if credentials.is_authorized(token):  # a JWT, or the desktop token
            return web.json_response({"valid": True})
        if not credentials.is_password_set():
            body = {"error": "Authentication setup not complete.", "valid": False}
            return web.json_response(body, status=400)
        if not token:
            body = {"error": "No authentication token provided.", "valid": False}
            return web.json_response(body, status=401)
        body = {"error": "Invalid or expired authentication token.", "valid": False}
        return web.json_response(body, status=401)

    return [
        web.get("/ping", ping),
        web.get("/info", info),
        web.get("/api/setup-status", setup_status),
        web.post("/api/setup", _from_a_trusted_page(setup)),
        web.post("/api/login", _from_a_trusted_page(login)),
        web.get("/api/verify-auth", verify_auth),
    ]


async def _other_users_setup(request: web.Request, credentials: Credentials) -> str | None:
    """Why ``request`` may not choose the password: it has no desktop token and comes from
    another OS user of this machine (or one the socket tables do not show). None where the
    platform cannot tell (see README, Security)."""
    if not CAN_NAME_PEERS or credentials.is_password_set():  # set: the setup gets 409
        return None
    if credentials.is_authorized(bearer_token(request)):
        return None
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport else None
    local = transport.get_extra_info("sockname") if transport else None
    uid = None if not (peer and local) else await asyncio.to_thread(peer_uid, peer, local)
    if uid is not None and uid == credentials.owner_uid:
        return None
    who = "a user it cannot tell" if uid is None else f"another user (uid {uid})"
    return (
        f"Forbidden: only the user the daemon runs as (uid {credentials.owner_uid}) may set the "
        f"password, and this request comes from {who}. Set it from that user's browser, or send "
        "the desktop token (Authorization: Bearer)."
    )


async def _password_from(request: web.Request) -> str | None:
    """The body's ``password``; a body that is not JSON, or too large, is refused with a JSON
    error the page can show."""
    try:
        body: Any = await request.json()
    except web.HTTPRequestEntityTooLarge:
        raise _BadBody(413, "The body is too large to hold a password") from None
    except ValueError as error:
        raise _BadBody(400, f"The body is not valid JSON: {error}") from None
    except (LookupError, HttpProcessingError, RequestPayloadError) as error:  # charset, encoding
        raise _BadBody(400, f"The body cannot be read: {error}") from None
    password = body.get("password") if isinstance(body, dict) else None
    return password if isinstance(password, str) else None


class _BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def response(self) -> web.Response:
        return web.json_response({"error": str(self)}, status=self.status)
