"""Run an aiohttp application on 127.0.0.1 in a thread with its own event loop.

A stand-in then behaves like a separate server: its blocking work (an EVM, say) never stalls the
daemon's event loop under test, and the daemon reaches it over a real socket.
"""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web


@contextmanager
def serve_in_thread(app: web.Application, host: str = "127.0.0.1") -> Iterator[str]:
    """Start ``app`` on a free loopback port and yield its base URL, e.g. ``http://127.0.0.1:5123``."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    url: list[str] = []
    runner = web.AppRunner(app, access_log=None)

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = runner.addresses[0][1]
        url.append(f"http://{host}:{port}")

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        # Signal readiness from inside run_forever, so a stop request can never be lost in between.
        loop.call_soon(ready.set)
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="standin-server", daemon=True)
    thread.start()
    if not ready.wait(timeout=30):
        raise RuntimeError("stand-in server did not start within 30 s")
    try:
        yield url[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
