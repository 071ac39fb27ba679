"""The WebSocket endpoint: authenticate at upgrade, then run an RPC connection over the socket.
Without credentials a socket is closed, unless guests are allowed and its Origin may be a
guest's: they may only read."""

import asyncio
import contextlib
import logging
import socket as sockets
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from privatefolio_daemon.answer_memory import AnswerMemory
from privatefolio_daemon.rpc.connection import (
    CLOSE_GOING_AWAY,
    ConnectionLimits,
    ErrorMapper,
    RpcConnection,
)
from privatefolio_daemon.rpc.dialects import MAX_FRAME_BYTES
from privatefolio_daemon.rpc.guest_access import GuestAccess
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
#: ``SO_LINGER`` on, for 0 seconds: closing the socket resets the connection.
_RESET_AT_CLOSE = struct.pack("ii", 1, 0)


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
    def __init__(self, socket: web.WebSocketResponse, tcp: asyncio.Transport | None) -> None:
        self._socket = socket
        #: The connection under the socket, which closing the socket leaves open until it has
        #: sent everything (forever, to a client that does not read).
        self._tcp = tcp

    async def send_text(self, frame: bytes) -> None:
        await self._socket.send_frame(frame, WSMsgType.TEXT)

    async def close(self, code: int, message: str) -> None:
        # Without draining: a client that stopped reading must not hold up its own close.
        await self._socket.close(code=code, message=message.encode(), drain=False)

    def abort(self) -> None:
        """With a reset, so that the system drops what it has not sent either: a client that
        does not read would keep it there for minutes after a plain close."""
        if self._tcp is None:
            return
        # A socket closed already refuses (uvloop's stand-in, with the descriptor -1, so).
        with contextlib.suppress(OSError, ValueError):
            tcp_socket = self._tcp.get_extra_info("socket")
            if tcp_socket is not None:
                tcp_socket.setsockopt(sockets.SOL_SOCKET, sockets.SO_LINGER, _RESET_AT_CLOSE)
        self._tcp.abort()


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
        guest_access: GuestAccess | None = None,
        heartbeat_seconds: float = 30.0,
        large_answer_sent: Callable[[], None] | None = None,
        answer_memory: AnswerMemory | None = None,
    ) -> None:
        self._table = table
        self._large_answer_sent = large_answer_sent
        #: What the large answers of every socket may hold together.
        self._answer_memory = answer_memory
        #: A socket silent this long is pinged, and closed if no pong comes in half of it.
        self._heartbeat_seconds = heartbeat_seconds
        #: Whether a client without credentials may read (Privatefolio's kiosk mode).
        self._guests_allowed = guests_allowed
        #: Whether such a client, let in already, may go on (default: ``guests_allowed``).
        self._guests_still_allowed = guests_still_allowed or guests_allowed
        #: What such a client may call (nothing without it).
        self._guest_access = guest_access or GuestAccess(())
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
            heartbeat=self._heartbeat_seconds,
            compress=False,
            decode_text=False,
            max_msg_size=MAX_FRAME_BYTES + 1,
        )
        await socket.prepare(request)
        guest = not self._credentials.is_authorized(bearer_token(request))
        if guest and (refusal := await self._guest_refusal(guest_origin_allowed)):
            await socket.close(code=CLOSE_POLICY_VIOLATION, message=refusal)
            return socket
        await self.ready.wait()
        transport = _SocketTransport(socket, request.transport)
        connection = RpcConnection(
            self._table,
            transport,
            stats=self._stats,
            limits=self._limits,
            dev=self._dev,
            map_error=self._map_error,
            guest=self._guest_access if guest else None,
            still_allowed=self.guests_still_allowed if guest else None,
            budget=self._budget,
            large_answer_sent=self._large_answer_sent,
            answer_memory=self._answer_memory,
        )
        self._live[socket] = connection
        try:
            await connection.serve(_text_frames(socket))
        finally:
            self._live.pop(socket, None)
            # However the socket ended (a heartbeat unanswered, say), its connection goes.
            loop = asyncio.get_running_loop()
            loop.call_later(self._limits.close_timeout_seconds, transport.abort)
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
