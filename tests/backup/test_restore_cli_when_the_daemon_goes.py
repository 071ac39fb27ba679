"""The restore command does not wait for good when the daemon stops during the restore."""

import asyncio
from pathlib import Path

import pytest

from privatefolio_daemon.cli_backup import CommandError, _outcome
from privatefolio_daemon.client import DaemonClient
from tests.conftest import make_config, offline_daemon, ws_url


async def test_a_daemon_that_stops_ends_the_wait_with_a_clear_error(tmp_path: Path) -> None:
    daemon = offline_daemon(make_config(tmp_path / "data"))
    await daemon.start()
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    never: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    try:
        waiting = asyncio.ensure_future(_outcome(client, never))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await daemon.stop()
        with pytest.raises(CommandError, match="closed the connection before the restore ended"):
            await asyncio.wait_for(waiting, 10)
    finally:
        await client.close()
