"""Shared fixtures: a real daemon in-process on a free port, and clients that talk to it."""

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, Dialect
from privatefolio_daemon.config import Config, load_config
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.store.migrations import latest_version, load_migrations

Connect = Callable[..., Awaitable[DaemonClient]]

#: The schema version this code migrates account databases to.
ACCOUNT_SCHEMA_VERSION = latest_version(load_migrations(schema_dir("account")))


def make_config(data_dir: Path, **overrides: Any) -> Config:
    options: dict[str, Any] = {"data_dir": str(data_dir), "port": 0, "crons": False}
    options.update(overrides)
    return load_config(environ={}, **options)


def offline_daemon(config: Config) -> Daemon:
    """A daemon whose price providers all point at a loopback port where nothing listens."""
    from tests.api.derived import price_settings

    instance = Daemon(config)
    instance.price_settings = price_settings()
    return instance


@pytest.fixture
def python_collector() -> Iterator[None]:
    """Python's own collector thresholds for the test; this process's are put back after it."""
    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*thresholds)


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    instance = offline_daemon(make_config(tmp_path / "data"))
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


def ws_url(daemon: Daemon) -> str:
    return f"ws://127.0.0.1:{daemon.port}/"


def http_url(daemon: Daemon, path: str = "/") -> str:
    return f"http://127.0.0.1:{daemon.port}{path}"


@pytest.fixture
async def connect(daemon: Daemon) -> AsyncIterator[Connect]:
    clients: list[DaemonClient] = []

    async def open_client(dialect: Dialect = "privatefolio", **options: Any) -> DaemonClient:
        options.setdefault("token", daemon.credentials.desktop_token())
        client = await DaemonClient.connect(ws_url(daemon), dialect=dialect, **options)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        await client.close()


@pytest.fixture
async def client(connect: Connect) -> DaemonClient:
    return await connect()


@asynccontextmanager
async def running_daemon(config: Config) -> AsyncIterator[tuple[Daemon, DaemonClient]]:
    """An offline daemon on ``config`` and a client of it, both closed at the end."""
    daemon = offline_daemon(config)
    await daemon.start()
    try:
        token = daemon.credentials.desktop_token()
        async with await DaemonClient.connect(ws_url(daemon), token=token) as client:
            yield daemon, client
    finally:
        await daemon.stop()


@asynccontextmanager
async def client_of_daemon_with_sql_budget(
    data_dir: Path, seconds: float
) -> AsyncIterator[DaemonClient]:
    """A client of a daemon whose client SQL stops after ``seconds``, with an account "main"."""
    config = replace(make_config(data_dir), limits=Limits(client_sql_time_budget_seconds=seconds))
    daemon = Daemon(config)
    await daemon.start()
    try:
        token = daemon.credentials.desktop_token()
        async with await DaemonClient.connect(ws_url(daemon), token=token) as client:
            await client.call("createAccount", "main")
            yield client
    finally:
        await daemon.stop()
