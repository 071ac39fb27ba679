"""The aiohttp application: gates, REST routes, extra routes of the layers above, and a catch-all
that upgrades WebSockets on any path and serves the frontend build otherwise."""

from collections.abc import Iterable

from aiohttp import web

from privatefolio_daemon.config import Config
from privatefolio_daemon.server.credentials import Credentials
from privatefolio_daemon.server.origins import OriginPolicy
from privatefolio_daemon.server.rest import rest_routes
from privatefolio_daemon.server.security import is_websocket_upgrade, security_middleware
from privatefolio_daemon.server.static_files import serve_static
from privatefolio_daemon.server.websocket import WebSocketHub


def build_http_app(
    config: Config,
    credentials: Credentials,
    hub: WebSocketHub,
    extra_routes: Iterable[web.RouteDef] = (),
    client_max_size: int = 1024**2,
) -> web.Application:
    policy = OriginPolicy(config.allowed_origins, config.allowed_hosts)
    app = web.Application(
        middlewares=[security_middleware(policy)], client_max_size=client_max_size
    )
    app.add_routes(rest_routes(config, credentials))
    app.add_routes(list(extra_routes))

    async def catch_all(request: web.Request) -> web.StreamResponse:
        if is_websocket_upgrade(request):
            return await hub.handle(request)
        return await serve_static(config.frontend_dir, request)

    app.router.add_route("*", "/{tail:.*}", catch_all)
    return app
