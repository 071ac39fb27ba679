"""A call that fails with -32603 is logged with its traceback cut, not with a long argument."""

import logging
from pathlib import Path

import pytest

from tests.rpc.probe_server import exchange, probe_server


async def test_a_long_argument_is_cut_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="privatefolio_daemon.rpc.connection")
    argument = "x" * 100_000
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 1, "method": "fail", "params": [argument]})
    assert (answer["code"], answer["error"]) == (-32603, f"'{argument}'")
    [record] = [r for r in caplog.records if r.name == "privatefolio_daemon.rpc.connection"]
    assert record.getMessage() == "RPC method fail failed"
    logged = caplog.text
    kept = "KeyError: '" + "x" * 489
    assert f"{kept}… (99,513 characters cut)\n" in logged
    assert "x" * 490 not in logged
    assert len(logged) < 3_000
