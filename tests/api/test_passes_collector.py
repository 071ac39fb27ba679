"""Auto-merge and spam detection hold a whole EVM ledger as records: the cyclic collector, whose
passes over them would hold the GIL and stop the event loop, waits until they are freed."""

import gc
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.relayer.cancellation import CancelToken
from tests.api.test_passes_cancelled import imported

__all__ = ["imported"]


@pytest.mark.parametrize("step", ["Auto-merge transactions", "Detect spam transactions"])
async def test_a_pass_runs_without_the_cyclic_collector_and_resumes_it(
    daemon: Daemon, client: DaemonClient, imported: None, step: str
) -> None:
    lines: list[Any] = []

    await daemon.steps[step](
        "main", lambda *line: lines.append([*line, gc.isenabled()]), CancelToken()
    )

    assert lines[0] == [0, "Fetching all transactions", False]
    assert lines[-1] == [100, "Done", False]
    assert gc.isenabled()


async def test_the_merge_is_saved_as_before(
    daemon: Daemon, client: DaemonClient, imported: None
) -> None:
    await daemon.steps["Auto-merge transactions"]("main", lambda *_line: None, CancelToken())

    [merged] = await client.call("getTransactions", "main")
    assert (merged["id"].endswith("_MERGED"), merged["type"]) == (True, "Swap")
