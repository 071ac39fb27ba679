"""The daemon runs Python's cyclic collector rarely: its work frees records by refcount."""

import gc
from pathlib import Path

from privatefolio_daemon.collector import YOUNG_THRESHOLD
from tests.conftest import make_config, running_daemon


async def test_a_started_daemon_collects_its_youngest_objects_rarely(
    tmp_path: Path, python_collector: None
) -> None:
    async with running_daemon(make_config(tmp_path)) as (_daemon, client):
        assert await client.call("ping") == "pong"
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
