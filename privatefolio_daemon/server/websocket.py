"""The WebSocket endpoint: authenticate at upgrade, then run an RPC connection over the socket.
Without credentials a socket is closed, unless guests are allowed and its Origin may be a
guest's: they may only read."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from privatefolio_daemon.rpc.connection import (
    CLOSE_GOING_AWAY,
    ConnectionLimits,
    ErrorMapper,
    RpcConnection,
)
from privatefolio_daemon.rpc.dialects import MAX_FRAME_BYTES
from privatefolio_daemon.rpc.guest_access import guest_may_call
from privatefolio_daemon.rpc.output_budget import OutputBudget
from privatefolio_daemon.rpc.registry import MethodTable
from privatefolio_daemon.rpc.stats import RpcStats
from privatefolio_daemon.server.credentials import Credentials
from privatefolio_daemon.server.rest import bearer_token

log = logging.getLogger(__name__)

CLOSE_POLICY_VIOLATION = 1008
GUEST_ORIGIN_REFUSED = (
    b"Unauthorized: this Origin needs a login; kiosk mode admits only local pages, the daemon's "
    b"own page and ALLOWED_ORIGINS"
)
_TOO_BIG_REASON = f"Frame too large: at most {MAX_FRAME_BYTES:,} bytes (4 MiB)".encode()


class _RpcSocket(web.WebSocketResponse):
    """aiohttp closes a socket whose frame is over the limit with 1009 and no reason: say it.

    (aiohttp refuses frames of ``max_msg_size`` bytes or more, hence the ``+ 1`` below.)
    """

    async def close(
        self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True
    ) -> bool:
        if code == WSCloseCode.MESSAGE_TOO_BIG and not message:
            message = _TOO_BIG_REASON
        return await super().close(code=code, message=message, drain=drain)


class _SocketTransport:
    def __init__(self, socket: web.WebSocketResponse) -> None:
        self._socket = socket

    async def send_text(self, frame: bytes) -> None:
        await self._socket.send_frame(frame, WSMsgType.TEXT)

    async def close(self, code: int, message: str) -> None:
        # Without draining: a client that stopped reading must not hold up its own close.
        await self._socket.close(code=code, message=message.encode(), drain=False)


class WebSocketHub:
    """Accepts RPC sockets and keeps track of them, so shutdown can drain and close them."""

    def __init__(
        self,
        table: MethodTable,
        credentials: Credentials,
        stats: RpcStats,
        *,
        limits: ConnectionLimits,
        dev: bool,
        map_error: ErrorMapper,
        guests_allowed: Callable[[], Awaitable[bool]] | None = None,
        guests_still_allowed: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._table = table
        #: Whether a client without credentials may read (Privatefolio's kiosk mode).
        self._guests_allowed = guests_allowed
        #: Whether such a client, let in already, may go on (default: ``guests_allowed``).
        self._guests_still_allowed = guests_still_allowed or guests_allowed
        self._credentials = credentials
        self._stats = stats
        self._limits = limits
        #: What the frames queued for every socket may hold together.
        self._budget = OutputBudget(limits.max_queued_bytes_total)
        self._dev = dev
        self._map_error = map_error
        self._live: dict[web.WebSocketResponse, RpcConnection] = {}
        #: Set once every method is in the table; sockets wait for it before serving calls.
        self.ready = asyncio.Event()

    @property
    def queued_bytes(self) -> int:
        """What the frames waiting for every socket hold now."""
        return self._budget.queued_bytes

    async def guests_allowed(self) -> bool:
        return self._guests_allowed is not None and await self._guests_allowed()

    async def guests_still_allowed(self) -> bool:
        return self._guests_still_allowed is not None and await self._guests_still_allowed()

    async def handle(
        self, request: web.Request, *, guest_origin_allowed: bool = False
    ) -> web.WebSocketResponse:
        """``guest_origin_allowed``: whether the request's Origin may read without a credential
        (``OriginPolicy.guest_origin_allowed``)."""
        socket = _RpcSocket(
            heartbeat=30, compress=False, decode_text=False, max_msg_size=MAX_FRAME_BYTES + 1
        )
        await socket.prepare(request)
        guest = not self._credentials.is_authorized(bearer_token(request))
        if guest and (refusal := await self._guest_refusal(guest_origin_allowed)):
            await socket.close(code=CLOSE_POLICY_VIOLATION, message=refusal)
            return socket
        await self.ready.wait()
        connection = RpcConnection(
            self._table,
            _SocketTransport(socket),
            stats=self._stats,
            limits=self._limits,
            dev=self._dev,
            map_error=self._map_error,
            may_call=guest_may_call if guest else None,
            still_allowed=self.guests_still_allowed if guest else None,
            budget=self._budget,
        )
        self._live[socket] = connection
        try:
            await connection.serve(_text_frames(socket))
        finally:
            self._live.pop(socket, None)
        return socket

    async def _guest_refusal(self, origin_allowed: bool) -> bytes | None:
        """Why a socket without a credential is closed, if it is."""
        if not await self.guests_allowed():
            return b"Unauthorized"
        return None if origin_allowed else GUEST_ORIGIN_REFUSED

    async def shutdown(self, grace_seconds: float) -> None:
        """Let in-flight calls finish within the grace period, then close every socket."""
        live = list(self._live.items())
        await asyncio.gather(*(connection.drain(grace_seconds) for _, connection in live))
        for socket, _ in live:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    socket.close(code=CLOSE_GOING_AWAY, message=b"Server shutting down"), 2
                )


async def _text_frames(socket: web.WebSocketResponse) -> AsyncIterator[bytes]:
    async for message in socket:
        if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            yield message.data if isinstance(message.data, bytes) else message.data.encode()
        elif message.type == WSMsgType.ERROR:
            log.debug("WebSocket error: %s", socket.exception())
            break
