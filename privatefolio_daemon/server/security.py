"""The request gates: Host check, Origin check and CORS headers, as one middleware (which also
tells browsers not to sniff content types)."""

from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from privatefolio_daemon.server.origins import OriginPolicy

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


ORIGIN_ALLOWED = web.RequestKey("origin_allowed", bool)
"""Whether the request's Origin passed the check (a GET from a foreign page may go on)."""
ORIGIN_REFUSED = "Forbidden: this Origin is not allowed.\n"


def is_websocket_upgrade(request: web.Request) -> bool:
    return request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"


def own_origin(request: web.Request) -> str:
    """The request's own scheme and Host: the Origin of the daemon's own page."""
    return f"{request.scheme}://{request.host}"


def _refused(text: str) -> web.Response:
    return web.Response(status=403, text=text, headers={"X-Content-Type-Options": "nosniff"})


def security_middleware(policy: OriginPolicy) -> Middleware:
    @web.middleware
    async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not policy.host_allowed(request.headers.get(hdrs.HOST)):
            return _refused("Forbidden: this Host is not allowed.\n")
        origin = request.headers.get(hdrs.ORIGIN)
        allowed = policy.origin_allowed(origin, own_origin(request))
        guarded = request.method in _STATE_CHANGING or is_websocket_upgrade(request)
        if guarded and not allowed:
            return _refused(ORIGIN_REFUSED)
        request[ORIGIN_ALLOWED] = allowed
        if request.method == "OPTIONS":
            response: web.StreamResponse = web.Response(status=204)
        else:
            response = await handler(request)
        if not response.prepared:
            response.headers["X-Content-Type-Options"] = "nosniff"
        if origin is not None and allowed and not response.prepared:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers[hdrs.VARY] = "Origin"
            response.headers.update(_CORS_HEADERS)
        return response

    return gate
