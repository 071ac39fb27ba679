"""A read that keeps its reader busy until the test lets it go."""

import asyncio
import sqlite3
import threading
from collections.abc import Callable

from privatefolio_daemon.store.database import Database


def held_until(
    started: threading.Event, release: threading.Event
) -> Callable[[sqlite3.Connection], None]:
    """A read of the account that then holds its reader (its thread) until ``release``."""

    def read(connection: sqlite3.Connection) -> None:
        connection.execute("SELECT count(*) FROM key_value").fetchall()
        started.set()
        assert release.wait(10), "the test never released the reader"

    return read


async def hold_a_reader(db: Database) -> tuple[asyncio.Task[None], threading.Event]:
    """A read of ``db`` running on one of its readers, and the event that ends it."""
    started, release = threading.Event(), threading.Event()
    read = asyncio.create_task(db.read(held_until(started, release)))
    await asyncio.to_thread(started.wait, 10)
    return read, release
