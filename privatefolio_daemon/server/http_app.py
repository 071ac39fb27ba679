"""The aiohttp application: gates, REST routes, the protected routes of the layers above, a
WebSocket on any path (the routes' included), and a catch-all that serves the frontend build."""

import logging
from collections.abc import Iterable

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from privatefolio_daemon.config import Config
from privatefolio_daemon.server.credentials import Credentials
from privatefolio_daemon.server.origins import OriginPolicy
from privatefolio_daemon.server.rest import bearer_token, rest_routes
from privatefolio_daemon.server.security import (
    ORIGIN_ALLOWED,
    ORIGIN_REFUSED,
    Handler,
    is_websocket_upgrade,
    own_origin,
    security_middleware,
)
from privatefolio_daemon.server.static_files import serve_static
from privatefolio_daemon.server.websocket import WebSocketHub

log = logging.getLogger(__name__)


def build_http_app(
    config: Config,
    credentials: Credentials,
    hub: WebSocketHub,
    protected_routes: Iterable[web.RouteDef] = (),
    client_max_size: int = 1024**2,
) -> web.Application:
    """``protected_routes`` (from the layers above) need the desktop token or a JWT, and an
    allowed Origin whatever their method: a foreign page may neither change nor read them."""
    # The address it listens on names the daemon itself (a rebinding page's Host is a name).
    own_address = () if config.host in ("0.0.0.0", "::", "") else (config.host,)
    policy = OriginPolicy(config.allowed_origins, [*config.allowed_hosts, *own_address])
    app = web.Application(
        middlewares=[security_middleware(policy), _websocket_on_any_path(hub, policy)],
        client_max_size=client_max_size,
    )
    routes = rest_routes(config, credentials, kiosk_mode=hub.guests_allowed)
    routes += [_protect(route, credentials) for route in protected_routes]
    app.add_routes(routes)
    own_routes: dict[str, set[str]] = {}
    for route in routes:  # a GET route answers HEAD too
        methods = {route.method, "HEAD"} if route.method == "GET" else {route.method}
        own_routes.setdefault(route.path, set()).update(methods)

    async def catch_all(request: web.Request) -> web.StreamResponse:
        return await serve_static(config.frontend_dir, request, own_routes)

    app.router.add_route("*", "/{tail:.*}", catch_all)
    return app


def warn_if_the_lan_is_refused(config: Config) -> None:
    """Listening beyond loopback with ALLOWED_HOSTS empty: every request from the LAN gets 403."""
    if not config.binds_loopback_only and not config.allowed_hosts:
        log.warning(
            "Host %s with ALLOWED_HOSTS empty: a request must name this computer by a "
            "loopback Host (localhost, 127.0.0.1, [::1]), so every request from the LAN gets "
            "403 'this Host is not allowed'. Set ALLOWED_HOSTS to the names or addresses the LAN "
            "uses for it (ALLOWED_HOSTS=192.168.1.20,nas.local).",
            config.host,
        )


def _websocket_on_any_path(hub: WebSocketHub, policy: OriginPolicy) -> Middleware:
    """An upgrade becomes the RPC socket whatever its path, before any route sees it."""

    @web.middleware
    async def upgrade(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_websocket_upgrade(request):
            return await handler(request)
        origin = request.headers.get(hdrs.ORIGIN)
        guest_origin_allowed = policy.guest_origin_allowed(origin, own_origin(request))
        return await hub.handle(request, guest_origin_allowed=guest_origin_allowed)

    return upgrade


def _protect(route: web.RouteDef, credentials: Credentials) -> web.RouteDef:
    handler = route.handler

    async def guarded(request: web.Request) -> web.StreamResponse:
        if not request.get(ORIGIN_ALLOWED, True):  # a foreign page may not read these either
            return web.Response(status=403, text=ORIGIN_REFUSED)
        if not credentials.is_authorized(bearer_token(request)):
            return web.json_response({"error": "Unauthorized"}, status=401)
        return await handler(request)

    return web.RouteDef(route.method, route.path, guarded, route.kwargs)
